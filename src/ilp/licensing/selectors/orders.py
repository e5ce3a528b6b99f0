"""Reads of the catalogue and of orders: the company's order pages, and the ERP feed's
look-ups (staff, in any company)."""

from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from ilp.accounts.models import Company
from ilp.core.errors import NotFound

from ..errors import OrderError
from ..models import Order, OrderItem, Product, SubscriptionKey
from .packs import pack_queryset


def products_list() -> QuerySet[Product]:
    return Product.objects.order_by("sku")


def product_find(*, sku: str) -> Product | None:
    return Product.objects.filter(sku=sku).first()


def product_map(*, skus: Iterable[str]) -> dict[str, Product]:
    """The catalogue's products by upper-case SKU, covering at least `skus` where they exist.

    SKUs are matched case-insensitively: when the exact filter misses one, the whole
    (small) catalogue is read so the odd spelling is found too.
    """
    skus = set(skus)
    products = {p.sku.upper(): p for p in Product.objects.filter(sku__in=skus)} if skus else {}
    if skus - products.keys():
        for p in Product.objects.all():
            products.setdefault(p.sku.upper(), p)
    return products


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


def order_find(*, order_number: str) -> Order | None:
    return Order.objects.filter(order_number=order_number).first()


def company_find_by_gaid(*, gaid: str) -> Company | None:
    return Company.objects.filter(gaid=gaid).first()


def company_find_by_customer_number(*, customer_number: str) -> Company | None:
    return Company.objects.filter(customer_number=customer_number).first()


def subscription_key_find(*, key: str) -> SubscriptionKey | None:
    """A subscription key by its exact (normalised) text, with its company."""
    return SubscriptionKey.objects.select_related("company").filter(key=key).first()
