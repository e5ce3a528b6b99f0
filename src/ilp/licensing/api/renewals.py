"""Renewals: the list, and redeeming a decreased renewal (rule 8)."""

import datetime
from typing import Literal

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from ilp.core.auth import CompanyAuth
from ilp.core.authz import Permission

from ..models import Renewal
from ..schemas import PackOut
from ..services.renewals import renewal_get_for_redeem, renewal_redeem
from .pack_ops import PROBLEMS, packs_by_id, packs_fresh

router = Router(tags=["licensing"])


class RenewalOut(Schema):
    order_number: str
    subscription_key: str
    product: str
    seats: int
    expires_on: datetime.date
    status: str
    old_expires_on: datetime.date
    term_months: int
    created_at: datetime.datetime
    redeemed_at: datetime.datetime | None

    @staticmethod
    def resolve_order_number(obj) -> str:
        return obj.order.order_number

    @staticmethod
    def resolve_subscription_key(obj) -> str:
        return obj.subscription_key.key

    @staticmethod
    def resolve_product(obj) -> str:
        return obj.product.sku


class RenewalFilter(Schema):
    status: Literal["awaiting_redemption", "redeemed", "applied"] | None = None
    subscription_key: str | None = None
    product: str | None = None


class RedeemIn(Schema):
    product_packs: list[str] = Field(
        ..., min_length=1, max_length=500, description="The whole packs to keep."
    )
    product: str | None = Field(
        None, description="Which product's renewal, when the order renews several."
    )


class RedeemOut(Schema):
    renewal: RenewalOut
    product_packs: list[PackOut]


def renewal_queryset(*, membership):
    return Renewal.objects.filter(company_id=membership.company_id).select_related(
        "order", "subscription_key", "product"
    )


@router.get(
    "/companies/{gaid}/renewals",
    response=list[RenewalOut],
    auth=CompanyAuth(Permission.VIEW),
)
@paginate(LimitOffsetPagination)
def list_renewals(request, gaid: str, filters: Query[RenewalFilter]):
    """The company's renewals, newest first; filter by status, key or product."""
    qs = renewal_queryset(membership=request.auth.membership)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.subscription_key:
        qs = qs.filter(subscription_key__key=filters.subscription_key)
    if filters.product:
        qs = qs.filter(product__sku=filters.product.upper())
    return qs.order_by("-created_at", "-pk")


@router.post(
    "/companies/{gaid}/renewals/{order_number}/redeem",
    response={200: RedeemOut, **PROBLEMS},
    auth=CompanyAuth(Permission.REDEEM_RENEWAL),
)
def redeem_renewal(request, gaid: str, order_number: str, body: RedeemIn):
    """Redeem a decreased renewal: the picked packs, whose seats add up exactly, renew."""
    membership = request.auth.membership
    packs = packs_by_id(membership, body.product_packs)
    renewal = renewal_get_for_redeem(
        membership=membership, order_number=order_number, product=body.product, packs=packs
    )
    picked = renewal_redeem(actor=request.auth.actor, renewal=renewal, packs=packs)
    renewal = renewal_queryset(membership=membership).get(pk=renewal.pk)
    return Status(200, {"renewal": renewal, "product_packs": packs_fresh(membership, picked)})
