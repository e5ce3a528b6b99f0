"""How licenses arrive and are organised: products, orders, subscription keys, packs."""

import datetime

from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Product(models.Model):
    """Catalogue entry. Staff maintain it in the admin."""

    class Term(models.TextChoices):
        SUBSCRIPTION = "subscription", _("Subscription")
        PERPETUAL = "perpetual", _("Perpetual")

    sku = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    pack_prefix = models.CharField(max_length=8)
    seat_multiple = models.PositiveIntegerField(default=1)
    term = models.CharField(max_length=16, choices=Term.choices, default=Term.SUBSCRIPTION)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=Q(seat_multiple__gte=1), name="product_multiple_gte_1")
        ]

    def __str__(self):
        return f"{self.sku} — {self.name}"

    @property
    def is_perpetual(self) -> bool:
        return self.term == self.Term.PERPETUAL


class Order(models.Model):
    """What the vendor sold. `order_number` is the idempotency key of `POST /orders`."""

    class Kind(models.TextChoices):
        NEW = "new", _("New")
        RENEWAL = "renewal", _("Renewal")

    order_number = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    invoice_date = models.DateField()
    company = models.ForeignKey("accounts.Company", on_delete=models.PROTECT, related_name="orders")
    subscription_key = models.ForeignKey(
        "licensing.SubscriptionKey",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    contact = models.JSONField(null=True, blank=True)  # {"email", "first_name", "last_name"}
    company_created = models.BooleanField(default=False)
    contact_outcome = models.CharField(max_length=32, null=True, blank=True)
    status = models.CharField(max_length=24, default="fulfilled")
    request_hash = models.CharField(max_length=64)  # canonical body hash, for replay checks
    # The response body as first returned: an identical replay returns exactly this.
    result = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-invoice_date", "-id"]

    def __str__(self):
        return self.order_number


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    seats = models.PositiveIntegerField()
    term_months = models.PositiveIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(seats__gte=1), name="item_seats_gte_1")]

    def __str__(self):
        return f"{self.order_id}: {self.seats} × {self.product_id}"


class SubscriptionKey(models.Model):
    """Permanent ID created by a new order; renewals name it. It never changes."""

    key = models.CharField(max_length=32, unique=True)
    company = models.ForeignKey(
        "accounts.Company", on_delete=models.PROTECT, related_name="subscription_keys"
    )
    expires_on = models.DateField(null=True, blank=True)  # null: perpetual only
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.key


class ProductPackQuerySet(models.QuerySet):
    def with_status(self, today: datetime.date | None = None):
        """Annotate `current_status` in SQL, so lists can filter and sort by status."""
        today = today or timezone.localdate()
        return self.annotate(
            current_status=Case(
                When(state=ProductPack.State.MERGED, then=Value("merged")),
                When(state=ProductPack.State.ARCHIVED, then=Value("archived")),
                When(starts_on__gt=today, then=Value("not_yet_active")),
                When(expires_on__lte=today, then=Value("expired")),
                default=Value("active"),
                output_field=models.CharField(),
            )
        )

    def with_status_filter(self, status: str, today: datetime.date | None = None):
        return self.with_status(today).filter(current_status=status)


class ProductPack(models.Model):
    """A set of seats of one product under exactly one subscription key."""

    class State(models.TextChoices):
        # Stored state; `status` adds the date-derived not_yet_active / active / expired.
        LIVE = "live", _("Live")
        MERGED = "merged", _("Merged")
        ARCHIVED = "archived", _("Archived")

    class Status(models.TextChoices):
        NOT_YET_ACTIVE = "not_yet_active", _("Not yet active")
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        MERGED = "merged", _("Merged")
        ARCHIVED = "archived", _("Archived")

    pack_id = models.CharField(max_length=24, unique=True)  # e.g. WE-7K3QX
    subscription_key = models.ForeignKey(
        SubscriptionKey, on_delete=models.PROTECT, related_name="product_packs"
    )
    # Denormalised from the key so that every tenant-scoped query is one indexed filter.
    company = models.ForeignKey(
        "accounts.Company", on_delete=models.PROTECT, related_name="product_packs"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    seats = models.PositiveIntegerField()
    seats_used = models.PositiveIntegerField(default=0)
    starts_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)  # null when perpetual
    state = models.CharField(max_length=10, choices=State.choices, default=State.LIVE)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_packs"
    )
    comment = models.CharField(max_length=500, blank=True)
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="product_packs"
    )
    split_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ProductPackQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["company", "state", "expires_on"]),
            models.Index(fields=["subscription_key", "product"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=1), name="pack_seats_gte_1"),
            models.CheckConstraint(
                condition=Q(seats_used__lte=F("seats")), name="pack_seats_used_lte_seats"
            ),
            models.CheckConstraint(
                condition=Q(state="merged", merged_into__isnull=False)
                | (~Q(state="merged") & Q(merged_into__isnull=True)),
                name="pack_merged_has_target",
            ),
        ]

    def __str__(self):
        return self.pack_id

    def status_on(self, today: datetime.date) -> str:
        if self.state == self.State.MERGED:
            return self.Status.MERGED
        if self.state == self.State.ARCHIVED:
            return self.Status.ARCHIVED
        if self.starts_on > today:
            return self.Status.NOT_YET_ACTIVE
        if self.expires_on is not None and self.expires_on <= today:
            return self.Status.EXPIRED
        return self.Status.ACTIVE

    @property
    def status(self) -> str:
        return self.status_on(timezone.localdate())

    @property
    def seats_free(self) -> int:
        return self.seats - self.seats_used


class Renewal(models.Model):
    """One product's part of a renewal order (rules 6–8)."""

    class Status(models.TextChoices):
        AWAITING_REDEMPTION = "awaiting_redemption", _("Awaiting redemption")
        REDEEMED = "redeemed", _("Redeemed")
        APPLIED = "applied", _("Applied")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="renewals")
    subscription_key = models.ForeignKey(
        SubscriptionKey, on_delete=models.PROTECT, related_name="renewals"
    )
    company = models.ForeignKey("accounts.Company", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    seats = models.PositiveIntegerField()
    term_months = models.PositiveIntegerField()
    old_expires_on = models.DateField()
    expires_on = models.DateField()  # the new expiry
    status = models.CharField(max_length=24, choices=Status.choices)
    created_at = models.DateTimeField(default=timezone.now)
    redeemed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="renewal_order_product")
        ]

    def __str__(self):
        return f"renewal {self.order_id} {self.product_id}: {self.status}"


class DeliveryToken(models.Model):
    """Legacy (orders before September 2021): registered once into a company."""

    token_hash = models.CharField(max_length=64, unique=True)
    order_number = models.CharField(max_length=64)
    invoice_date = models.DateField()
    items = models.JSONField()  # [{"product", "seats", "term_months"}]
    issued_by = models.CharField(max_length=254)
    created_at = models.DateTimeField(default=timezone.now)
    registered_at = models.DateTimeField(null=True, blank=True)
    company = models.ForeignKey(
        "accounts.Company", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subscription_key = models.ForeignKey(
        SubscriptionKey, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self):
        return f"delivery token for {self.order_number}"


class ExpiryReminder(models.Model):
    """One expiry reminder sent for one pack, expiry date and threshold (90/60/30/7 days).

    The unique constraint is what makes `ilp send-reminders` send each reminder once even
    when two runs overlap: the loser's transaction fails and queues nothing. The expiry date
    is part of the key, so a renewed pack gets reminders again before its new expiry.
    """

    pack = models.ForeignKey(ProductPack, on_delete=models.CASCADE, related_name="expiry_reminders")
    expires_on = models.DateField()
    days_before = models.PositiveSmallIntegerField()
    recipients = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "notifications_expiryreminder"  # moved from notifications; table kept
        constraints = [
            models.UniqueConstraint(
                fields=["pack", "expires_on", "days_before"], name="expiry_reminder_once"
            )
        ]

    def __str__(self):
        return f"{self.pack_id}: {self.days_before} days before {self.expires_on}"
