"""Reads of the catalogue and of orders: the company's order pages, and the ERP feed's
look-ups (staff, in any company)."""

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from ilp.core.errors import NotFound
from ilp.core.prepared import Prepared, PreparedObjects

from ..errors import OrderError
from ..models import Order, OrderItem, Product, ProductPack, Renewal, SubscriptionKey
from .packs import PACK_RELATED, pack_queryset


def products_list() -> QuerySet[Product]:
    return Product.objects.order_by("sku")


def product_find(*, sku: str) -> Product | None:
    return Product.objects.filter(sku=sku).first()


def product_map(*, skus: Iterable[str]) -> dict[str, Product]:
    """The catalogue's products by upper-case SKU, covering at least `skus` where they exist.

    SKUs are matched case-insensitively (an upper-case SKU first when two differ in case
    only).
    """
    # The catalogue is a few products: all of them, one prepared statement, whatever the
    # spelling asked for.
    products: dict[str, Product] = {}
    for p in sorted(_PRODUCTS.objects(), key=lambda p: p.sku != p.sku.upper()):
        products.setdefault(p.sku.upper(), p)
    return products


_PRODUCTS = PreparedObjects(Product, lambda: Product.objects.order_by("pk"))


# --- the company's orders -----------------------------------------------------------------


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


def order_pack_ids(order: Order) -> list[str]:
    """The IDs of the packs an order created or extended (API.md `product_packs`): those of
    its first answer, then those its redeemed renewals kept (renewals must be prefetched
    where many orders are read)."""
    ids = [p["id"] for p in ((order.result or {}).get("product_packs") or [])]
    for renewal in order.renewals.all():
        ids += [i for i in renewal.redeemed_packs or [] if i not in ids]
    return ids


def orders_attach_packs(orders: list[Order], *, membership) -> list[Order]:
    ids = {i for o in orders for i in order_pack_ids(o)}
    packs = (
        {p.pack_id: p for p in pack_queryset(membership=membership).filter(pack_id__in=ids)}
        if ids
        else {}
    )
    for o in orders:
        o.packs_now = [packs[n] for n in order_pack_ids(o) if n in packs]
    return orders


# An order waits for EULA acceptance while its vendor EULA does, or a pack it created waits
# for its third-party EULA (`third_party_waiting`, annotated by `order_queryset`).
ORDER_EULA_WAITING = Q(eula__isnull=False, eula_accepted_at__isnull=True) | Q(
    third_party_waiting=True
)


def _third_party_waiting() -> Exists:
    return Exists(
        ProductPack.objects.filter(
            order=OuterRef("pk"),
            third_party_eula__isnull=False,
            third_party_eula_accepted_at__isnull=True,
        )
    )


def order_queryset(*, membership) -> QuerySet[Order]:
    """The company's orders with what the order object and pages show: key, items, the
    renewals (their redeemed packs), the accepted EULA version, `third_party_waiting`."""
    return (
        Order.objects.filter(company_id=membership.company_id)
        .select_related("subscription_key", "eula_version")
        .defer("eula_version__text")
        .annotate(third_party_waiting=_third_party_waiting())
        .prefetch_related(
            Prefetch("items", queryset=OrderItem.objects.select_related("product").order_by("id")),
            "renewals",
        )
        .order_by("-invoice_date", "-id")
    )


def order_list(*, membership, eula: str | None = None) -> OrderPage:
    """The company's orders, newest invoice first; `eula` "pending" keeps those waiting for
    an EULA acceptance, "accepted" the others."""
    qs = order_queryset(membership=membership)
    if eula == "pending":
        qs = qs.filter(ORDER_EULA_WAITING)
    elif eula == "accepted":
        qs = qs.exclude(ORDER_EULA_WAITING)
    return OrderPage(qs, membership)


def orders_waiting_for_eula_count(*, membership) -> int:
    """How many of the company's orders wait for an EULA acceptance (the dashboard)."""
    return (
        Order.objects.filter(company_id=membership.company_id)
        .annotate(third_party_waiting=_third_party_waiting())
        .filter(ORDER_EULA_WAITING)
        .count()
    )


def order_eula_data(order: Order) -> dict:
    """The EULA fields of the order object: accepted (true too when nothing waits), which
    version, when and by whom."""
    return {
        "eula_accepted": not order.eula_pending,
        "eula_version": order.eula_version.version if order.eula_version_id else None,
        "eula_accepted_at": order.eula_accepted_at.isoformat().replace("+00:00", "Z")
        if order.eula_accepted_at
        else None,
        "eula_accepted_by": order.eula_accepted_by or None,
    }


def order_get(*, membership, order_number: str) -> Order:
    order = order_queryset(membership=membership).filter(order_number=order_number).first()
    if order is None:
        raise NotFound(
            code=OrderError.ORDER_NOT_FOUND,
            message=_("No order %(n)s.") % {"n": order_number},
        )
    return orders_attach_packs([order], membership=membership)[0]


def order_list_for_key(*, membership, key: SubscriptionKey) -> list[Order]:
    """The company's orders of one subscription key, oldest invoice first."""
    return list(
        Order.objects.filter(company_id=membership.company_id, subscription_key=key).order_by(
            "invoice_date", "id"
        )
    )


# --- staff and the ERP feed: any company ---------------------------------------------------


def order_get_staff(*, order_number: str) -> Order:
    """Staff look-up of an order by number, in any company."""
    order = order_find(order_number=order_number.strip())
    if order is None:
        raise NotFound(
            code=OrderError.ORDER_NOT_FOUND,
            message=_("No order %(n)s.") % {"n": order_number},
        )
    return order


def order_staff_view(*, order: Order) -> dict:
    """`GET /orders/{n}`: the first answer's fields with the order's current status and EULA
    state, and the packs it created or extended as they are now (including those a
    redemption kept since)."""
    ids = order_pack_ids(order)
    found = {
        p.pack_id: p
        for p in ProductPack.objects.filter(company_id=order.company_id, pack_id__in=ids)
        .select_related(*PACK_RELATED)
        .with_status()
    }
    return {
        **(order.result or {}),
        "status": order.status,
        **order_eula_data(order),
        "product_packs": [found[i] for i in ids if i in found],
    }


def order_find(*, order_number: str) -> Order | None:
    # A new order's number is unknown: the probe is one prepared statement; only an order
    # that exists is read again whole, with its EULA version.
    if not _ORDER_EXISTS.rows(number=order_number):
        return None
    return Order.objects.select_related("eula_version").filter(order_number=order_number).first()


_ORDER_EXISTS = Prepared(
    lambda *, number: Order.objects.filter(order_number=number).order_by().values_list("pk")[:1],
    number=str,
)


def subscription_key_find(*, key: str) -> SubscriptionKey | None:
    """A subscription key by its exact (normalised) text, with its company."""
    return SubscriptionKey.objects.select_related("company").filter(key=key).first()


def order_renewals_waiting(*, order: Order) -> list[Renewal]:
    """The renewals of an order (already looked up in scope) still waiting for redemption."""
    return list(
        order.renewals.filter(status=Renewal.Status.AWAITING_REDEMPTION).select_related(
            "subscription_key", "product"
        )
    )
