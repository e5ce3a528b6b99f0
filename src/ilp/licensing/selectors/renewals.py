"""Reads of renewals, scoped by the acting membership."""

from collections.abc import Sequence

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ilp.core.errors import Invalid, NotFound

from ..errors import RenewalError
from ..models import Product, ProductPack, Renewal, SubscriptionKey
from .packs import PACK_RELATED


def renewal_queryset(*, membership) -> QuerySet[Renewal]:
    """The company's renewals with their order, key and product."""
    return Renewal.objects.filter(company_id=membership.company_id).select_related(
        "order", "subscription_key", "product"
    )


def renewal_list(
    *,
    membership,
    status: str | None = None,
    subscription_key: str | None = None,
    product: str | None = None,
) -> QuerySet[Renewal]:
    """The company's renewals, newest first; filtered by status, key or product (SKU)."""
    qs = renewal_queryset(membership=membership)
    if status:
        qs = qs.filter(status=status)
    if subscription_key:
        qs = qs.filter(subscription_key__key=subscription_key)
    if product:
        qs = qs.filter(product__sku=product.upper())
    return qs.order_by("-created_at", "-pk")


def renewal_list_awaiting(*, membership, key: SubscriptionKey) -> list[Renewal]:
    """The renewals of one of the company's keys that wait for redemption, oldest first."""
    return list(
        Renewal.objects.filter(
            company_id=membership.company_id,
            subscription_key=key,
            status=Renewal.Status.AWAITING_REDEMPTION,
        )
        .select_related("order", "product")
        .order_by("created_at", "pk")
    )


def renewal_reload(*, membership, renewal: Renewal) -> Renewal:
    """The renewal as it is now, with what RenewalOut needs."""
    return renewal_queryset(membership=membership).get(pk=renewal.pk)


def renewal_get_for_redeem(
    *, membership, order_number: str, product: str | None, packs: Sequence[ProductPack]
) -> Renewal:
    """Which renewal of an order a redemption addresses.

    An order renewing several products has one renewal per product under one order number:
    the request's `product`, else the picked packs' product, else the order's only renewal
    waiting for redemption.
    """
    renewals = list(
        Renewal.objects.filter(company_id=membership.company_id, order__order_number=order_number)
        .select_related("product", "order")
        .order_by("pk")
    )
    if not renewals:
        raise NotFound(
            code=RenewalError.RENEWAL_NOT_FOUND,
            message=_("No renewal with order number %s.") % order_number,
        )
    sku = product
    if sku is None and packs:
        skus = {p.product.sku for p in packs}
        if len(skus) > 1:
            raise Invalid(
                code=RenewalError.PACKS_MIXED_PRODUCTS,
                message=_("Pick packs of one product per redemption."),
            )
        sku = skus.pop()
    if sku is not None:
        for r in renewals:
            if r.product.sku == sku.upper():
                return r
        raise Invalid(
            code=RenewalError.PRODUCT_NOT_RENEWED,
            message=_("Order %(order)s renews no %(product)s.")
            % {"order": order_number, "product": sku},
        )
    waiting = [r for r in renewals if r.status == Renewal.Status.AWAITING_REDEMPTION]
    return (waiting or renewals)[0]


def renewal_candidates(*, membership, renewal: Renewal) -> list[ProductPack]:
    """The packs a redemption may pick from: live, same key and product, old expiry."""
    return list(
        ProductPack.objects.filter(
            company_id=membership.company_id,
            subscription_key_id=renewal.subscription_key_id,
            product_id=renewal.product_id,
            state=ProductPack.State.LIVE,
            expires_on=renewal.old_expires_on,
        )
        .select_related(*PACK_RELATED)
        .with_status()
        .order_by("created_at", "pk")
    )


def renewal_pending_exists(*, subscription_key: SubscriptionKey, product: Product) -> bool:
    """Whether a renewal of `product` under the key still waits for redemption."""
    return Renewal.objects.filter(
        subscription_key=subscription_key,
        product=product,
        status=Renewal.Status.AWAITING_REDEMPTION,
    ).exists()


def renewals_awaiting_count(*, membership) -> int:
    """How many of the company's renewals wait for redemption (the dashboard's card)."""
    return Renewal.objects.filter(
        company_id=membership.company_id, status=Renewal.Status.AWAITING_REDEMPTION
    ).count()
