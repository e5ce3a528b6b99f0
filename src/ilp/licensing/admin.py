"""Back office for licensing. Orders, keys and packs are read-only here: they change only
through the services (the ERP feed, the customer's portal), which keep the audit log.
Staff maintain the product catalogue and issue delivery tokens."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ilp.core.actors import Actor
from ilp.core.errors import AppError

from .models import (
    DeliveryToken,
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


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "pack_prefix", "seat_multiple", "term"]
    search_fields = ["sku", "name"]

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


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = [
        "order_number",
        "kind",
        "invoice_date",
        "company",
        "subscription_key",
        "status",
        "contact_outcome",
    ]
    list_filter = ["kind", "status", "contact_outcome"]
    search_fields = ["order_number", "company__gaid", "company__name", "subscription_key__key"]
    list_select_related = ["company", "subscription_key"]
    inlines = [OrderItemInline]
    date_hierarchy = "invoice_date"


@admin.register(SubscriptionKey)
class SubscriptionKeyAdmin(ReadOnlyAdmin):
    list_display = ["key", "company", "expires_on", "created_at"]
    search_fields = ["key", "company__gaid", "company__name", "product_packs__pack_id"]
    list_select_related = ["company"]
    inlines = [PackInline]


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
    ]
    list_filter = ["product", "state"]
    search_fields = [
        "pack_id",
        "company__gaid",
        "company__name",
        "subscription_key__key",
        "order__order_number",
    ]
    list_select_related = ["company", "product", "subscription_key"]


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
                "{} <strong style='font-family:monospace;font-size:1.2em'>{}</strong> — {}",
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
