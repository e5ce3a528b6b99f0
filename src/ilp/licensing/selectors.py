"""Reads of licensing data. Every read takes the acting membership and sees only its company."""

import datetime

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.core.errors import Invalid, NotFound

from .errors import OrderError, PackError
from .models import Order, OrderItem, Product, ProductPack, Renewal, SubscriptionKey

PACK_RELATED = ("product", "subscription_key", "merged_into", "assignment__ums")


def pack_queryset(*, membership) -> QuerySet[ProductPack]:
    """The company's packs with everything PackOut needs, and `current_status` annotated."""
    return (
        ProductPack.objects.filter(company_id=membership.company_id)
        .select_related(*PACK_RELATED)
        .with_status()
    )


def pack_get(*, membership, pack_id: str) -> ProductPack:
    pack = pack_queryset(membership=membership).filter(pack_id=pack_id.upper()).first()
    if pack is None:
        raise NotFound(code=PackError.PACK_NOT_FOUND, message=f"No product pack {pack_id}.")
    return pack


def key_get(*, membership, key: str) -> SubscriptionKey:
    found = SubscriptionKey.objects.filter(company_id=membership.company_id, key=key).first()
    if found is None:
        raise NotFound(
            code=PackError.SUBSCRIPTION_KEY_NOT_FOUND, message=f"No subscription key {key}."
        )
    return found


# --- products, orders, keys, pack lists (orders work) -------------------------------------

PACK_SORTS = {
    "id": "pack_id",
    "product": "product__sku",
    "key": "subscription_key__key",
    "seats": "seats",
    "used": "seats_used",
    "starts": "starts_on",
    "expires": "expires_on",
    "status": "current_status",
}


def products_list() -> QuerySet[Product]:
    return Product.objects.order_by("sku")


def pack_list(
    *,
    membership,
    product: str | None = None,
    status: str | None = None,
    subscription_key: str | None = None,
    expires_before: datetime.date | None = None,
    sort: str | None = None,
) -> QuerySet[ProductPack]:
    """The company's packs, filtered (API.md filters) and sorted by a PACK_SORTS key
    (`-` prefix for descending). An unknown status is a 422; an unknown sort is ignored."""
    qs = pack_queryset(membership=membership)
    if product:
        qs = qs.filter(product__sku__iexact=product.strip())
    if status:
        if status not in ProductPack.Status.values:
            raise Invalid(
                _("Unknown status %(s)s.") % {"s": status},
                code=PackError.INVALID_STATUS,
                errors=[
                    {
                        "loc": ["query", "status"],
                        "msg": _("One of: %(v)s.") % {"v": ", ".join(ProductPack.Status.values)},
                    }
                ],
            )
        qs = qs.filter(current_status=status)
    if subscription_key:
        qs = qs.filter(subscription_key__key=subscription_key.strip().upper())
    if expires_before:
        qs = qs.filter(expires_on__lt=expires_before)
    field = PACK_SORTS.get((sort or "").lstrip("-"))
    if field:
        desc = (sort or "").startswith("-")
        order = F(field).desc(nulls_last=True) if desc else F(field).asc(nulls_last=True)
        qs = qs.order_by(order, "id")
    else:
        qs = qs.order_by("created_at", "id")
    return qs


def key_queryset(*, membership) -> QuerySet[SubscriptionKey]:
    """The company's keys with their packs (`packs`) and the order numbers of renewals
    awaiting redemption (`pending`) prefetched: three queries whatever the size."""
    return (
        SubscriptionKey.objects.filter(company_id=membership.company_id)
        .prefetch_related(
            Prefetch(
                "product_packs",
                queryset=ProductPack.objects.select_related(*PACK_RELATED)
                .with_status()
                .order_by("product__sku", "created_at", "id"),
                to_attr="packs",
            ),
            Prefetch(
                "renewals",
                queryset=Renewal.objects.filter(status=Renewal.Status.AWAITING_REDEMPTION)
                .select_related("order")
                .order_by("created_at", "id"),
                to_attr="pending",
            ),
        )
        .order_by("-created_at", "-id")
    )


def key_detail(*, membership, key: str) -> SubscriptionKey:
    found = key_queryset(membership=membership).filter(key=key.strip().upper()).first()
    if found is None:
        raise NotFound(
            code=PackError.SUBSCRIPTION_KEY_NOT_FOUND, message=f"No subscription key {key}."
        )
    return found


class OrderPage:
    """Orders of one company, paged lazily; each fetched page gets `packs_now` (the packs
    its result names, as they are now) with one query for the whole page."""

    def __init__(self, queryset: QuerySet[Order], membership):
        self.queryset = queryset
        self.membership = membership

    def all(self):  # ninja's paginator counts through `.all().count()`
        return self.queryset.all()

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        orders = list(self.queryset[index])
        orders_attach_packs(orders, membership=self.membership)
        return orders


def orders_attach_packs(orders: list[Order], *, membership) -> list[Order]:
    ids = {p["id"] for o in orders for p in ((o.result or {}).get("product_packs") or [])}
    packs = (
        {p.pack_id: p for p in pack_queryset(membership=membership).filter(pack_id__in=ids)}
        if ids
        else {}
    )
    for o in orders:
        names = [p["id"] for p in ((o.result or {}).get("product_packs") or [])]
        o.packs_now = [packs[n] for n in names if n in packs]
    return orders


def order_queryset(*, membership) -> QuerySet[Order]:
    return (
        Order.objects.filter(company_id=membership.company_id)
        .select_related("subscription_key")
        .prefetch_related(
            Prefetch("items", queryset=OrderItem.objects.select_related("product").order_by("id"))
        )
        .order_by("-invoice_date", "-id")
    )


def order_list(*, membership) -> OrderPage:
    return OrderPage(order_queryset(membership=membership), membership)


def order_get(*, membership, order_number: str) -> Order:
    order = order_queryset(membership=membership).filter(order_number=order_number).first()
    if order is None:
        raise NotFound(
            code=OrderError.ORDER_NOT_FOUND, message=_("No order %(n)s.") % {"n": order_number}
        )
    return orders_attach_packs([order], membership=membership)[0]


def order_get_staff(*, order_number: str) -> Order:
    """Staff look-up of an order by number, in any company."""
    order = Order.objects.filter(order_number=order_number.strip()).first()
    if order is None:
        raise NotFound(
            code=OrderError.ORDER_NOT_FOUND, message=_("No order %(n)s.") % {"n": order_number}
        )
    return order


def dashboard_figures(*, membership, today: datetime.date | None = None) -> dict:
    """Seats per product over active packs, and the counts behind the quick filters
    (expired; active and expiring within 30 / 90 days). Two queries."""
    today = today or timezone.localdate()
    d30, d90 = today + datetime.timedelta(days=31), today + datetime.timedelta(days=91)
    packs = ProductPack.objects.filter(company_id=membership.company_id).with_status(today)
    active = Q(current_status=ProductPack.Status.ACTIVE)
    counts = packs.aggregate(
        expired=Count("id", filter=Q(current_status=ProductPack.Status.EXPIRED)),
        within_30=Count("id", filter=active & Q(expires_on__lt=d30)),
        within_90=Count("id", filter=active & Q(expires_on__lt=d90)),
    )
    per_product = list(
        packs.filter(active)
        .values("product__sku", "product__name")
        .annotate(seats=Sum("seats"), used=Sum("seats_used"))
        .order_by("product__sku")
    )
    top = max((row["seats"] for row in per_product), default=0)
    for row in per_product:
        row["free"] = row["seats"] - row["used"]
        row["pct"] = round(100 * row["seats"] / top) if top else 0
        row["used_pct"] = round(100 * row["used"] / row["seats"]) if row["seats"] else 0
    return {
        "counts": counts,
        "per_product": per_product,
        "within_30_before": d30,
        "within_90_before": d90,
    }
