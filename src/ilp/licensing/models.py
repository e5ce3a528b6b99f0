"""How licenses arrive and are organised: products, orders, subscription keys, packs."""

import datetime

from django.db import models
from django.db.models import BooleanField, Case, ExpressionWrapper, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Eula(models.Model):
    """A license agreement customers accept (rule 20): the vendor's EULA, which every delivered
    order carries, or a third party's, which a product may carry and each of its packs needs.
    Staff maintain both in the admin; the text lives in its versions."""

    class Kind(models.TextChoices):
        VENDOR = "vendor", _("Vendor EULA (every order)")
        THIRD_PARTY = "third_party", _("Third-party EULA (per pack of a product)")

    slug = models.SlugField(max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)

    class Meta:
        ordering = ["kind", "title"]
        verbose_name = _("EULA")
        verbose_name_plural = _("EULAs")
        constraints = [
            # Orders carry "the" vendor EULA: there is at most one.
            models.UniqueConstraint(
                fields=["kind"], condition=Q(kind="vendor"), name="eula_one_vendor"
            )
        ]

    def __str__(self):
        return self.title

    def version_current(self, today: datetime.date | None = None) -> "EulaVersion | None":
        """The version in force: the latest one published on or before today."""
        today = today or timezone.localdate()
        return (
            self.versions.filter(published_on__lte=today).order_by("-published_on", "-id").first()
        )


class EulaVersion(models.Model):
    """One version of an EULA's text. Never changed once saved (the admin shows saved versions
    read-only): what a customer accepted stays what they read. A new text is a new version."""

    eula = models.ForeignKey(Eula, on_delete=models.PROTECT, related_name="versions")
    version = models.CharField(_("version"), max_length=32)
    text = models.TextField(_("text"))
    published_on = models.DateField(_("in force from"), default=timezone.localdate)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-published_on", "-id"]
        verbose_name = _("EULA version")
        verbose_name_plural = _("EULA versions")
        constraints = [
            models.UniqueConstraint(fields=["eula", "version"], name="eula_version_unique")
        ]

    def __str__(self):
        return f"{self.eula.title} {self.version}"


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
    # A third party's EULA that each pack of this product must accept (rule 20); packs
    # created while it is set carry it, packs created before do not.
    third_party_eula = models.ForeignKey(
        Eula,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
        limit_choices_to={"kind": "third_party"},
        verbose_name=_("third-party EULA"),
    )

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
    # The vendor EULA this order was delivered with (rule 20); null for orders delivered
    # before EULAs were tracked, which need no acceptance. Accepted once per order.
    eula = models.ForeignKey(
        Eula, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    eula_version = models.ForeignKey(
        EulaVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    eula_accepted_at = models.DateTimeField(null=True, blank=True)
    eula_accepted_by = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["-invoice_date", "-id"]

    def __str__(self):
        return self.order_number

    @property
    def eula_pending(self) -> bool:
        """The order's vendor EULA still waits for acceptance."""
        return self.eula_id is not None and self.eula_accepted_at is None

    @property
    def eula_waiting(self) -> bool:
        """Something of this order waits for acceptance: its vendor EULA, or a third-party
        EULA of a pack it created (`third_party_waiting`, annotated by the order selectors)."""
        return self.eula_pending or bool(getattr(self, "third_party_waiting", False))


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
                When(state=ProductPack.State.CANCELLED, then=Value("cancelled")),
                When(starts_on__gt=today, then=Value("not_yet_active")),
                When(expires_on__lte=today, then=Value("expired")),
                default=Value("active"),
                output_field=models.CharField(),
            )
        )

    def with_status_filter(self, status: str, today: datetime.date | None = None):
        return self.with_status(today).filter(current_status=status)

    def issuable(self, today: datetime.date | None = None):
        """Packs that may issue device licenses today (rules 12, 20): `ISSUABLE`. The one
        statement of it; rollout narrows it to the caller's packs and a product."""
        return self.filter(issuable_q(today or timezone.localdate()))

    def with_free_seat(self):
        """Packs with at least one seat not in use."""
        return self.filter(seats_used__lt=F("seats"))

    def in_claim_order(self):
        """Rule 12's order: most seats used first, ties to the earliest created."""
        return self.order_by("-seats_used", "created_at", "id")

    def with_eula(self):
        """Annotate `eula_ok`: whether the pack may issue device licenses as far as EULAs go
        (rule 20), for lists that show it (the admin); see `EULA_ACCEPTED`."""
        return self.annotate(eula_ok=ExpressionWrapper(EULA_ACCEPTED, output_field=BooleanField()))

    def eula_accepted(self):
        return self.filter(EULA_ACCEPTED)

    def eula_pending(self):
        return self.exclude(EULA_ACCEPTED)


# A pack's EULAs are accepted when the order that created it has no pending vendor EULA (no
# order: a delivery token, whose registration accepted it; an order from before EULAs were
# tracked: none to accept) and its own third-party EULA, if it carries one, is accepted.
# Packs a renewal extended keep the order that created them, so they keep working.
def eula_accepted_q(prefix: str = "") -> Q:
    """`EULA_ACCEPTED` for packs reached through `prefix` (e.g. "pack__")."""
    p = prefix
    return (
        Q(**{f"{p}order__isnull": True})
        | Q(**{f"{p}order__eula__isnull": True})
        | Q(**{f"{p}order__eula_accepted_at__isnull": False})
    ) & (
        Q(**{f"{p}third_party_eula__isnull": True})
        | Q(**{f"{p}third_party_eula_accepted_at__isnull": False})
    )


EULA_ACCEPTED = eula_accepted_q()


def issuable_row_q(today: datetime.date, prefix: str = "") -> Q:
    """The part of `issuable_q` that the pack row holds: live, started, not expired. The
    seat claim's UPDATE re-checks exactly this (a condition on another table would be read
    from the statement's snapshot, not re-checked after a lock wait)."""
    p = prefix
    return Q(**{f"{p}state": ProductPack.State.LIVE, f"{p}starts_on__lte": today}) & (
        Q(**{f"{p}expires_on__isnull": True}) | Q(**{f"{p}expires_on__gt": today})
    )


def issuable_q(today: datetime.date, prefix: str = "") -> Q:
    """The rule of which packs may issue device licenses (rules 12, 20): live, started, not
    expired (`issuable_row_q`), EULAs accepted. Every read that asks "may this pack issue?"
    uses it; nothing else restates it. (An acceptance is never taken back, so a pack picked
    as accepted stays accepted until its seat is claimed.)"""
    return issuable_row_q(today, prefix) & eula_accepted_q(prefix)


class ProductPack(models.Model):
    """A set of seats of one product under exactly one subscription key."""

    class State(models.TextChoices):
        # Stored state; `status` adds the date-derived not_yet_active / active / expired.
        LIVE = "live", _("Live")
        MERGED = "merged", _("Merged")
        ARCHIVED = "archived", _("Archived")
        # Every seat taken back by the vendor (rule 26, `order_seats_cancel`).
        CANCELLED = "cancelled", pgettext_lazy("pack status", "Cancelled")

    class Status(models.TextChoices):
        NOT_YET_ACTIVE = "not_yet_active", _("Not yet active")
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        MERGED = "merged", _("Merged")
        ARCHIVED = "archived", _("Archived")
        CANCELLED = "cancelled", pgettext_lazy("pack status", "Cancelled")

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
    # Seats the vendor took back from this pack (an order cancelled, rule 26): history, never
    # counted; `seats` is what remains.
    seats_cancelled = models.PositiveIntegerField(default=0, db_default=0)
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
    # The product's third-party EULA when the pack was created, accepted per pack (rule 20).
    # A split-off pack copies all four from its source.
    third_party_eula = models.ForeignKey(
        Eula, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    third_party_eula_version = models.ForeignKey(
        EulaVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    third_party_eula_accepted_at = models.DateTimeField(null=True, blank=True)
    third_party_eula_accepted_by = models.CharField(max_length=254, blank=True)
    # The UMS ID the pack is assigned to (rollout's `PackAssignment`, rule 15), kept on the
    # pack row by `pack_assignee_set` in the same transaction as the assignment: the seat
    # claim's conditions must all sit on the row it updates, which PostgreSQL re-checks
    # after waiting for a concurrent change (docs/decisions.md, "The seat claim").
    assigned_to = models.CharField(max_length=32, null=True, blank=True, editable=False)

    objects = ProductPackQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["company", "state", "expires_on"]),
            models.Index(fields=["subscription_key", "product"]),
            # The packs page's and the API list's default order (issue 14).
            models.Index(fields=["company", "created_at", "id"], name="pack_company_created"),
            # Sorted by expiry (`expires_on ASC NULLS LAST, id`, PostgreSQL's index order).
            models.Index(fields=["company", "expires_on", "id"], name="pack_company_expires"),
            # The seat claim's choice (rule 12) as one index walk, whatever the number of
            # packs: the caller's packs of a product that have a free seat, in claim order.
            models.Index(
                "assigned_to",
                "product",
                F("seats_used").desc(),
                "created_at",
                "id",
                condition=Q(state="live", seats_used__lt=F("seats")),
                name="pack_claim_by_ums",
            ),
            models.Index(
                "subscription_key",
                "product",
                F("seats_used").desc(),
                "created_at",
                "id",
                condition=Q(state="live", seats_used__lt=F("seats")),
                name="pack_claim_by_key",
            ),
        ]
        constraints = [
            # A cancelled pack holds no seat any more; every other pack at least one.
            models.CheckConstraint(
                condition=Q(seats__gte=1) | Q(state="cancelled", seats=0),
                name="pack_seats_gte_1",
            ),
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
        if self.state == self.State.CANCELLED:
            return self.Status.CANCELLED
        if self.starts_on > today:
            return self.Status.NOT_YET_ACTIVE
        if self.expires_on is not None and self.expires_on <= today:
            return self.Status.EXPIRED
        return self.Status.ACTIVE

    @property
    def status(self) -> str:
        return self.status_on(timezone.localdate())

    def issuable_on(self, today: datetime.date) -> bool:
        """`issuable_row_q` for a pack already loaded (and locked): live, started, not
        expired. (Its EULAs were checked when it was picked; an acceptance is never undone.)"""
        return (
            self.state == self.State.LIVE
            and self.starts_on <= today
            and (self.expires_on is None or self.expires_on > today)
        )

    @staticmethod
    def claim_order(pack: "ProductPack") -> tuple:
        """Rule 12's order as a sort key (`in_claim_order` for packs already loaded)."""
        return (-pack.seats_used, pack.created_at, pack.pk)

    @property
    def seats_free(self) -> int:
        return self.seats - self.seats_used

    @property
    def order_eula_pending(self) -> bool:
        """The vendor EULA of the order that created this pack waits (lists select `order`)."""
        return self.order_id is not None and self.order.eula_pending

    @property
    def third_party_eula_pending(self) -> bool:
        return self.third_party_eula_id is not None and self.third_party_eula_accepted_at is None

    @property
    def eula_accepted(self) -> bool:
        """API.md `eula_accepted`: the pack may issue device licenses as far as EULAs go."""
        if hasattr(self, "eula_ok"):
            return bool(self.eula_ok)
        return not (self.order_eula_pending or self.third_party_eula_pending)


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
    # The pack IDs a redemption kept (rule 8): with the packs the order's applied renewals
    # extended, they are the order's `product_packs`.
    redeemed_packs = models.JSONField(default=list, blank=True)

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
    # Registering accepts the order's vendor EULA (`accept_eula`); when and by whom is
    # `registered_at` and `eula_accepted_by`.
    eula_version = models.ForeignKey(
        EulaVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    eula_accepted_by = models.CharField(max_length=254, blank=True)

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


class SeatSnapshot(models.Model):
    """Seats of one product in one company on one day: what its active packs held and used
    (`ilp snapshot-seats`, run daily). The dashboard draws the last 12 months from these.

    Derived figures, not a domain state: written by `seat_snapshots_take` only, not audited.
    The unique constraint makes a second run on the same day replace the first day's figures
    instead of adding a row.
    """

    company = models.ForeignKey(
        "accounts.Company", on_delete=models.CASCADE, related_name="seat_snapshots"
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    seats = models.PositiveIntegerField()
    seats_used = models.PositiveIntegerField()
    taken_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["company", "date", "product"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "product", "date"], name="seat_snapshot_once_a_day"
            )
        ]
        indexes = [models.Index(fields=["company", "date"])]

    def __str__(self):
        return f"{self.company_id} {self.product_id} {self.date}: {self.seats_used}/{self.seats}"
