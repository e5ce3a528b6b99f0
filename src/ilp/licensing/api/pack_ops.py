"""Split and merge of product packs (rules 9–11)."""

from ninja import Field, Router, Schema, Status

from ilp.core.auth import CompanyAuth
from ilp.core.authz import Permission
from ilp.core.bounds import MAX_SEATS
from ilp.core.params import PackIdPath
from ilp.core.problems import problems

from .. import selectors
from ..schemas import PackOut
from ..services.pack_ops import pack_merge, pack_split

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
    "/companies/{gaid}/product-packs/merge",
    response={200: MergeOut, **problems(401, 403, 404, 409, 422)},
    auth=CompanyAuth(Permission.MANAGE_PACKS),
)
def merge_packs(request, gaid: str, body: MergeIn):
    """Merge active packs of one key, product and dates into the first one named."""
    membership = request.auth.membership
    packs = selectors.pack_get_many(membership=membership, pack_ids=body.product_packs)
    target, merged = pack_merge(actor=request.auth.actor, packs=packs)
    (target,) = selectors.pack_reload_many(membership=membership, packs=[target])
    return Status(200, {"target": target, "merged": [p.pack_id for p in merged]})


@router.post(
    "/companies/{gaid}/product-packs/{pack_id}/split",
    response={201: SplitOut, **problems(401, 403, 404, 409, 422)},
    auth=CompanyAuth(Permission.MANAGE_PACKS),
)
def split_pack(request, gaid: str, pack_id: PackIdPath, body: SplitIn):
    """Split seats (and optionally the licenses of some devices) off into a new pack."""
    membership = request.auth.membership
    pack = selectors.pack_get(membership=membership, pack_id=pack_id)
    source, created = pack_split(
        actor=request.auth.actor, pack=pack, seats=body.seats, unit_ids=body.unit_ids
    )
    source, created = selectors.pack_reload_many(membership=membership, packs=[source, created])
    return Status(201, {"source": source, "created": created})
