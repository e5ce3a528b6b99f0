"""Routes whose work changes packs and licenses (or assignments) together: orders and
delivery tokens (new packs auto-assigned), split and merge (licenses move with their seats).

They call rollout's orchestrating services, which call licensing downward in one
transaction. Added to the API ahead of licensing's routes (`ilp/api.py`), so that the literal
`product-packs/merge` is matched before licensing's `product-packs/{pack_id}`.
"""

from ninja import Field, Router, Schema, Status

from ilp.core.auth import CompanyAuth, StaffAuth
from ilp.core.authz import Permission, StaffRole
from ilp.core.bounds import MAX_SEATS
from ilp.core.params import PackIdPath
from ilp.core.problems import problems
from ilp.licensing import selectors as licensing_selectors
from ilp.licensing.schemas import (
    DeliveryTokenRegistered,
    DeliveryTokenRegisterIn,
    OrderIn,
    OrderOut,
    PackOut,
)

from .. import services

router = Router(tags=["licensing"])


class SplitIn(Schema):
    seats: int = Field(
        ..., ge=1, le=MAX_SEATS, description="Seats that leave the pack for the new one."
    )
    unit_ids: list[str] = Field(
        default_factory=list, max_length=10_000, description="Devices whose licenses move."
    )


class SplitOut(Schema):
    source: PackOut
    created: PackOut


class MergeIn(Schema):
    product_packs: list[str] = Field(
        ..., min_length=2, max_length=500, description="Pack IDs; the first is the target."
    )


class MergeOut(Schema):
    target: PackOut
    merged: list[str]


@router.post(
    "/orders",
    response={200: OrderOut, 201: OrderOut, **problems(401, 403, 409, 422)},
    auth=StaffAuth(StaffRole.OPERATOR),
)
def post_order(request, body: OrderIn):
    """Receive an order from the ERP (201; an identical replay of its order number 200)."""
    data = body.model_dump(mode="python")
    order, created = services.order_place(
        actor=request.auth.actor,
        order_number=data["order_number"],
        kind=data["kind"],
        invoice_date=data["invoice_date"],
        end_customer=body.end_customer.model_dump(mode="json"),
        contact=body.contact.model_dump(mode="json") if body.contact else None,
        subscription_key=data["subscription_key"],
        items=[item.model_dump(mode="json") for item in body.items],
    )
    return Status(201 if created else 200, order.result)


@router.post(
    "/companies/{gaid}/delivery-tokens",
    response={201: DeliveryTokenRegistered, **problems(401, 403, 404, 409, 422)},
    auth=CompanyAuth(Permission.REGISTER_DELIVERY_TOKEN),
)
def register_delivery_token(request, gaid: str, body: DeliveryTokenRegisterIn):
    """Register a delivery token: its packs land in this company under a new key."""
    membership = request.auth.membership
    key, packs = services.delivery_token_register(
        actor=request.auth.actor,
        membership=membership,
        token=body.token,
        accept_eula=body.accept_eula,
    )
    fresh = licensing_selectors.pack_reload_many(
        membership=membership, packs=sorted(packs, key=lambda p: p.pk)
    )
    return Status(201, {"subscription_key": key.key, "product_packs": fresh})


@router.post(
    "/companies/{gaid}/product-packs/merge",
    response={200: MergeOut, **problems(401, 403, 404, 409, 422)},
    auth=CompanyAuth(Permission.MANAGE_PACKS),
)
def merge_packs(request, gaid: str, body: MergeIn):
    """Merge active packs of one key, product and dates into the first one named."""
    membership = request.auth.membership
    packs = licensing_selectors.pack_get_many(membership=membership, pack_ids=body.product_packs)
    target, merged = services.pack_merge(actor=request.auth.actor, packs=packs)
    (target,) = licensing_selectors.pack_reload_many(membership=membership, packs=[target])
    return Status(200, {"target": target, "merged": [p.pack_id for p in merged]})


@router.post(
    "/companies/{gaid}/product-packs/{pack_id}/split",
    response={201: SplitOut, **problems(401, 403, 404, 409, 422)},
    auth=CompanyAuth(Permission.MANAGE_PACKS),
)
def split_pack(request, gaid: str, pack_id: PackIdPath, body: SplitIn):
    """Split seats (and optionally the licenses of some devices) off into a new pack."""
    membership = request.auth.membership
    pack = licensing_selectors.pack_get(membership=membership, pack_id=pack_id)
    source, created = services.pack_split(
        actor=request.auth.actor, pack=pack, seats=body.seats, unit_ids=body.unit_ids
    )
    source, created = licensing_selectors.pack_reload_many(
        membership=membership, packs=[source, created]
    )
    return Status(201, {"source": source, "created": created})
