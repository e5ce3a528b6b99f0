"""Back office for licensing. Orders, keys and packs are read-only here: they change only
through the services (the ERP feed, the customer's portal), which keep the audit log.
Staff maintain the product catalogue and the EULAs (new versions are added, saved ones never
change), see each order's EULA state, and issue delivery tokens."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ilp.core.actors import Actor
from ilp.core.errors import AppError

from .models import (
    EULA_ACCEPTED,
    DeliveryToken,
    Eula,
    EulaVersion,
    ExpiryReminder,
    Order,
    OrderItem,
    Product,
    ProductPack,
    SubscriptionKey,
)
from .services.delivery_tokens import delivery_token_issue
from .services.packs import items_validate


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Packs and keys are never deleted, so their IDs are never reused.
        return False


class EulaVersionInline(admin.StackedInline):
    """Versions are added, never changed: what a customer accepted stays what they read."""

    model = EulaVersion
    extra = 0
    fields = ["version", "published_on", "text", "created_at"]
    readonly_fields = ["created_at"]
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False  # saved versions show read-only; "Add another EULA version" adds one


@admin.register(Eula)
class EulaAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "slug", "version_in_force"]
    list_filter = ["kind"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [EulaVersionInline]

    @admin.display(description=_("version in force"))
    def version_in_force(self, obj):
        version = obj.version_current()
        return version.version if version else "—"

    def has_delete_permission(self, request, obj=None):
        return False  # orders and packs refer to EULAs


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "pack_prefix", "seat_multiple", "term", "third_party_eula"]
    search_fields = ["sku", "name"]
    list_select_related = ["third_party_eula"]

    def has_delete_permission(self, request, obj=None):
        return False  # orders and packs refer to products


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    fields = ["product", "seats", "term_months"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class PackInline(admin.TabularInline):
    model = ProductPack
    fk_name = "subscription_key"
    extra = 0
    fields = ["pack_id", "product", "seats", "seats_used", "starts_on", "expires_on", "state"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class OrderEulaFilter(admin.SimpleListFilter):
    title = _("EULA")
    parameter_name = "eula"

    def lookups(self, request, model_admin):
        return [
            ("pending", _("waits for acceptance")),
            ("accepted", _("accepted")),
            ("none", _("none to accept")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(eula__isnull=False, eula_accepted_at__isnull=True)
        if self.value() == "accepted":
            return queryset.filter(eula_accepted_at__isnull=False)
        if self.value() == "none":
            return queryset.filter(eula__isnull=True, eula_accepted_at__isnull=True)
        return queryset


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = [
        "order_number",
        "kind",
        "invoice_date",
        "company",
        "subscription_key",
        "status",
        "eula_state",
        "contact_outcome",
    ]
    list_filter = ["kind", "status", OrderEulaFilter, "contact_outcome"]
    search_fields = ["order_number", "company__gaid", "company__name", "subscription_key__key"]
    list_select_related = ["company", "subscription_key", "eula_version"]
    inlines = [OrderItemInline]
    date_hierarchy = "invoice_date"

    @admin.display(description=_("EULA"), ordering="eula_accepted_at")
    def eula_state(self, obj):
        if obj.eula_pending:
            return _("waits for acceptance")
        if obj.eula_accepted_at:
            return _("accepted: version %(version)s, %(who)s, %(when)s") % {
                "version": obj.eula_version.version if obj.eula_version_id else "?",
                "who": obj.eula_accepted_by,
                "when": obj.eula_accepted_at.date().isoformat(),
            }
        return _("none to accept")


@admin.register(SubscriptionKey)
class SubscriptionKeyAdmin(ReadOnlyAdmin):
    list_display = ["key", "company", "expires_on", "created_at"]
    search_fields = ["key", "company__gaid", "company__name", "product_packs__pack_id"]
    list_select_related = ["company"]
    inlines = [PackInline]


class PackEulaFilter(admin.SimpleListFilter):
    title = _("EULA")
    parameter_name = "eula"

    def lookups(self, request, model_admin):
        return [("accepted", _("accepted")), ("pending", _("waits for acceptance"))]

    def queryset(self, request, queryset):
        if self.value() == "accepted":
            return queryset.filter(EULA_ACCEPTED)
        if self.value() == "pending":
            return queryset.exclude(EULA_ACCEPTED)
        return queryset


@admin.register(ProductPack)
class ProductPackAdmin(ReadOnlyAdmin):
    list_display = [
        "pack_id",
        "company",
        "product",
        "subscription_key",
        "seats",
        "seats_used",
        "starts_on",
        "expires_on",
        "state",
        "eula_ok",
    ]
    list_filter = ["product", "state", PackEulaFilter]
    search_fields = [
        "pack_id",
        "company__gaid",
        "company__name",
        "subscription_key__key",
        "order__order_number",
    ]
    list_select_related = ["company", "product", "subscription_key"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_eula()

    @admin.display(description=_("EULA accepted"), boolean=True, ordering="eula_ok")
    def eula_ok(self, obj):
        return obj.eula_accepted


class DeliveryTokenIssueForm(forms.ModelForm):
    items_text = forms.CharField(
        label=_("Items"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 40}),
        help_text=_('One item per line: product SKU, seats, term in months — e.g. "WE 25 36".'),
    )

    class Meta:
        model = DeliveryToken
        fields = ["order_number", "invoice_date"]

    def clean_items_text(self):
        items = []
        for number, line in enumerate(self.cleaned_data["items_text"].splitlines(), start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts[1:]):
                raise forms.ValidationError(
                    _("Line %(n)s: write product, seats and months, e.g. WE 25 36."),
                    params={"n": number},
                )
            item = {"product": parts[0], "seats": int(parts[1])}
            if len(parts) == 3:
                item["term_months"] = int(parts[2])
            items.append(item)
        try:
            items_validate(items)
        except AppError as exc:
            raise forms.ValidationError(
                [f"{exc.message} {e['msg']}" for e in exc.errors] or exc.message
            ) from None
        return items


@admin.register(DeliveryToken)
class DeliveryTokenAdmin(admin.ModelAdmin):
    """Issuing is the add form; the token is shown once in the confirmation message."""

    list_display = [
        "order_number",
        "invoice_date",
        "issued_by",
        "created_at",
        "registered",
        "company",
    ]
    list_filter = [("registered_at", admin.EmptyFieldListFilter)]
    search_fields = ["order_number", "company__gaid", "company__name", "subscription_key__key"]
    list_select_related = ["company"]

    @admin.display(boolean=True, description=_("registered"))
    def registered(self, obj):
        return obj.registered_at is not None

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = DeliveryTokenIssueForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["order_number", "invoice_date", "items_text"]
        return [
            "order_number",
            "invoice_date",
            "items",
            "issued_by",
            "created_at",
            "registered_at",
            "company",
            "subscription_key",
            "eula_version",
            "eula_accepted_by",
        ]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        row, token = delivery_token_issue(
            actor=Actor.for_user(request.user),
            order_number=form.cleaned_data["order_number"],
            invoice_date=form.cleaned_data["invoice_date"],
            items=form.cleaned_data["items_text"],
        )
        obj.pk = row.pk
        obj.__dict__.update({f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields})
        messages.warning(
            request,
            format_html(
                "{} <strong><code>{}</code></strong> — {}",
                _("Delivery token"),
                token,
                _("copy it now: it is stored hashed and cannot be shown again."),
            ),
        )


@admin.register(ExpiryReminder)
class ExpiryReminderAdmin(admin.ModelAdmin):
    list_display = ["created_at", "pack", "days_before", "expires_on", "recipients"]
    list_filter = ["days_before"]
    search_fields = ["pack__pack_id", "pack__company__gaid", "pack__company__name"]
    list_select_related = ["pack"]
    readonly_fields = [f.name for f in ExpiryReminder._meta.fields]

    def has_add_permission(self, request):
        return False
