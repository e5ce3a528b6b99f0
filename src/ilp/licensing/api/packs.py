"""Subscription keys and product packs of a company: reads, and the comment/archive edit."""

from typing import Literal

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from ilp.accounts.selectors import memberships_of
from ilp.core.auth import CompanyAuth, UserAuth
from ilp.core.authz import Permission
from ilp.core.csv_export import csv_exportable
from ilp.core.pagination import DeepPaging, Paging
from ilp.core.params import IsoDate, PackIdPath
from ilp.core.problems import problems

from .. import selectors
from ..models import ProductPack
from ..schemas import KeyOut, PackEulaAcceptIn, PackEulaOut, PackOut, PackPatchIn
from ..selectors import PACK_SORTS
from ..services.eula import pack_eula_accept
from ..services.packs import pack_update

router = Router(tags=["licensing"])


# `sort`: a PACK_SORTS key, `-` for descending; anything else is a 422 here (the portal's
# list page ignores an unknown sort instead, selectors.pack_list).
PackSort = Literal[tuple(k for key in PACK_SORTS for k in (key, f"-{key}"))]


class PackFilters(Schema):
    product: str | None = None
    # An unknown status is the selector's 422 `invalid_status`; the enum documents the values.
    status: str | None = Field(None, json_schema_extra={"enum": list(ProductPack.Status.values)})
    subscription_key: str | None = None
    expires_before: IsoDate | None = None
    eula_accepted: bool | None = None
    sort: PackSort | None = None
    format: Literal["json", "csv"] = "json"


@router.get(
    "/companies/{gaid}/subscription-keys",
    response={200: list[KeyOut], **problems(401, 403, 404, 422)},
    auth=CompanyAuth(),
)
@paginate(Paging)
def list_keys(request, gaid: str):
    """The company's subscription keys with their packs and pending renewals."""
    return selectors.key_queryset(membership=request.auth.membership)


@router.get(
    "/companies/{gaid}/subscription-keys/{key}",
    response={200: KeyOut, **problems(401, 403, 404)},
    auth=CompanyAuth(),
)
def get_key(request, gaid: str, key: str):
    """One subscription key with its packs and pending renewals."""
    return selectors.key_detail(membership=request.auth.membership, key=key)


@router.get(
    "/companies/{gaid}/product-packs",
    response={200: list[PackOut], **problems(401, 403, 404, 422)},
    auth=CompanyAuth(),
)
@csv_exportable(PackOut, "product-packs")
@paginate(DeepPaging)
def list_packs(request, gaid: str, filters: Query[PackFilters]):
    """The company's product packs; filter by product, status, subscription_key,
    expires_before, eula_accepted; sort by id, product, key, seats, used, starts, expires,
    status (-desc); `format=csv` exports every pack."""
    return selectors.pack_list(
        membership=request.auth.membership, **filters.model_dump(exclude={"format"})
    )


@router.get(
    "/companies/{gaid}/product-packs/{pack_id}",
    response={200: PackOut, **problems(401, 403, 404)},
    auth=CompanyAuth(),
)
def get_pack(request, gaid: str, pack_id: PackIdPath):
    """One product pack."""
    return selectors.pack_get(membership=request.auth.membership, pack_id=pack_id)


@router.patch(
    "/companies/{gaid}/product-packs/{pack_id}",
    response={200: PackOut, **problems(401, 403, 404, 409, 422)},
    auth=CompanyAuth(Permission.MANAGE_PACKS),
)
def patch_pack(request, gaid: str, pack_id: PackIdPath, body: PackPatchIn):
    """Change a pack's comment, or archive / unarchive it."""
    membership = request.auth.membership
    pack = selectors.pack_get(membership=membership, pack_id=pack_id)
    pack_update(actor=request.auth.actor, pack=pack, comment=body.comment, archived=body.archived)
    return selectors.pack_get(membership=membership, pack_id=pack_id)


@router.post(
    "/companies/{gaid}/product-packs/{pack_id}/eula",
    response={200: PackEulaOut, **problems(401, 403, 404, 409, 422)},
    auth=CompanyAuth(Permission.ACCEPT_EULA),
)
def accept_pack_eula(request, gaid: str, pack_id: PackIdPath, body: PackEulaAcceptIn | None = None):
    """Accept what the pack waits for: its order's EULA (for the whole order) and its own
    third-party EULA."""
    membership = request.auth.membership
    pack = selectors.pack_get(membership=membership, pack_id=pack_id)
    order, _pack = pack_eula_accept(
        actor=request.auth.actor,
        pack=pack,
        version=body.eula_version if body else None,
        third_party_version=body.third_party_eula_version if body else None,
    )
    pack = selectors.pack_get(membership=membership, pack_id=pack_id)
    third_party = None
    if pack.third_party_eula_id is not None and pack.third_party_eula_accepted_at is not None:
        third_party = {
            "eula": pack.third_party_eula.title,
            "eula_version": pack.third_party_eula_version.version,
            "accepted_at": pack.third_party_eula_accepted_at,
            "accepted_by": pack.third_party_eula_accepted_by,
        }
    accepted_order = order if order is not None and order.eula_accepted_at else None
    return {"product_pack": pack, "order": accepted_order, "third_party": third_party}


class SeatsOut(Schema):
    seats: int
    used: int


class CompanyOverviewOut(Schema):
    """One company of the caller on the start page of a person in several companies."""

    gaid: str
    name: str
    role: str
    two_factor_required: Literal[False] = False
    seats: dict[str, SeatsOut]
    expiring_30: int
    eula_pending: int
    renewals_awaiting: int


class CompanyOverviewGatedOut(Schema):
    """A company of the caller that requires two-factor sign-in, which the caller has not
    turned on: nothing but who it is until they do."""

    gaid: str
    name: str
    role: str
    two_factor_required: Literal[True]


# A named alias, so the paged answer's OpenAPI schema is `PagedCompanyOverviewItem`.
type CompanyOverviewItem = CompanyOverviewOut | CompanyOverviewGatedOut


@router.get(
    "/me/overview",
    response={200: list[CompanyOverviewItem], **problems(401, 403, 422)},
    auth=UserAuth(),
)
@paginate(Paging)
def me_overview(request):
    """Every company the caller belongs to: seats and used per product (active packs), packs
    expiring within 30 days, orders waiting for an EULA, renewals awaiting redemption. A
    company whose `require_2fa` the caller does not meet: only `gaid`, `name`, `role` and
    `two_factor_required: true`."""
    return selectors.companies_overview(
        memberships=memberships_of(user=request.auth.user, gaids=request.auth.companies),
        request=request,
    )
