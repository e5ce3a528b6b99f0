"""Renewals: the list, and redeeming a decreased renewal (rule 8)."""

import datetime
from typing import Literal

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from ilp.core.auth import CompanyAuth
from ilp.core.authz import Permission
from ilp.core.pagination import Paging
from ilp.core.problems import problems

from .. import selectors
from ..schemas import PackOut
from ..services.renewals import renewal_redeem

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


@router.get(
    "/companies/{gaid}/renewals",
    response={200: list[RenewalOut], **problems(401, 403, 404, 422)},
    auth=CompanyAuth(Permission.VIEW),
)
@paginate(Paging)
def list_renewals(request, gaid: str, filters: Query[RenewalFilter]):
    """The company's renewals, newest first; filter by status, key or product."""
    return selectors.renewal_list(membership=request.auth.membership, **filters.model_dump())


@router.post(
    "/companies/{gaid}/renewals/{order_number}/redeem",
    response={200: RedeemOut, **problems(401, 403, 404, 409, 422)},
    auth=CompanyAuth(Permission.REDEEM_RENEWAL),
)
def redeem_renewal(request, gaid: str, order_number: str, body: RedeemIn):
    """Redeem a decreased renewal: the picked packs, whose seats add up exactly, renew."""
    membership = request.auth.membership
    packs = selectors.pack_get_many(membership=membership, pack_ids=body.product_packs)
    renewal = selectors.renewal_get_for_redeem(
        membership=membership, order_number=order_number, product=body.product, packs=packs
    )
    picked = renewal_redeem(actor=request.auth.actor, renewal=renewal, packs=packs)
    return Status(
        200,
        {
            "renewal": selectors.renewal_reload(membership=membership, renewal=renewal),
            "product_packs": selectors.pack_reload_many(membership=membership, packs=picked),
        },
    )
