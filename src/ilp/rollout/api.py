"""Rollout API: UMS instances and pack assignment (company side), device search and
removal, ALD tokens, and the UMS API itself (`/ums/…`, authenticated by a UMS credential or
an ALD token)."""

import datetime

from ninja import Query, Router, Status
from ninja.pagination import paginate

from ilp.core.api import api
from ilp.core.auth import CompanyAuth, UmsAuth
from ilp.core.authz import Permission
from ilp.core.csv_export import csv_response
from ilp.core.idempotency import not_replayable
from ilp.core.pagination import DeepPaging, Paging, count_capped
from ilp.core.params import IsoDateTime, PackIdPath, UnitIdPath
from ilp.core.problems import problems
from ilp.licensing.schemas import PackOut
from ilp.licensing.selectors import key_get, pack_get

from . import files, selectors, services
from .licensee import Licensee
from .schemas import (
    AldTokenOut,
    CredentialOut,
    DeviceFilters,
    DeviceOut,
    DevicesPage,
    DevicesRemoveIn,
    DevicesRemoveOut,
    IssueIn,
    IssueOut,
    LicenseOut,
    RevocationsOut,
    UmsCreatedOut,
    UmsIn,
    UmsOut,
    UmsPatch,
    issue_out_data,
)

router = Router(tags=["rollout"])
ums_router = Router(tags=["ums"])

VIEW = CompanyAuth(Permission.VIEW)
MANAGE = CompanyAuth(Permission.MANAGE_ROLLOUT)
# `GET …/devices` counts at most this many devices past the page's offset (issue 14).
DEVICES_COUNT_CAP = 10_000


def _ums(request, ums_id: str):
    return selectors.ums_get(membership=request.auth.membership, ums_id=ums_id)


def _licensee(request) -> Licensee:
    """The caller of a UMS route: its UMS, or its ALD token (limited to one key's packs)."""
    principal = request.auth
    licensee = Licensee(ums=principal.ums, ald=principal.ald_token)
    if licensee.ald is not None:
        licensee.touch()
    return licensee


# --- company side -------------------------------------------------------------------------


@router.post(
    "/companies/{gaid}/ums",
    response={201: UmsCreatedOut, **problems(400, 401, 403, 404, 422)},
    auth=MANAGE,
)
@not_replayable
def ums_create(request, gaid: str, payload: UmsIn):
    """Register a UMS; the credential is in this response only."""
    ums, credential = services.ums_register(
        actor=request.auth.actor,
        company=request.auth.company,
        name=payload.name,
        auto_assign=payload.auto_assign,
    )
    ums = selectors.ums_get(membership=request.auth.membership, ums_id=ums.ums_id)
    ums.credential = credential
    return Status(201, ums)


@router.get(
    "/companies/{gaid}/ums",
    response={200: list[UmsOut], **problems(401, 403, 404, 422)},
    auth=VIEW,
)
@paginate(Paging)
def ums_list(request, gaid: str):
    """The company's UMS instances with the IDs of their assigned packs."""
    return selectors.ums_list_with_pack_ids(membership=request.auth.membership)


@router.get(
    "/companies/{gaid}/ums/{ums_id}", response={200: UmsOut, **problems(401, 403, 404)}, auth=VIEW
)
def ums_detail(request, gaid: str, ums_id: str):
    """One UMS instance."""
    return _ums(request, ums_id)


@router.patch(
    "/companies/{gaid}/ums/{ums_id}",
    response={200: UmsOut, **problems(400, 401, 403, 404, 422)},
    auth=MANAGE,
)
def ums_patch(request, gaid: str, ums_id: str, payload: UmsPatch):
    """Rename a UMS, switch auto-assign (one UMS per company) or automatic exchange, or give
    it a longer lease (`lease_days`, at most ILP_LICENSE_LEASE_MAX_DAYS)."""
    ums = _ums(request, ums_id)
    services.ums_update(
        actor=request.auth.actor,
        ums=ums,
        name=payload.name,
        auto_assign=payload.auto_assign,
        lease_days=payload.lease_days,
        auto_exchange=payload.auto_exchange,
    )
    return _ums(request, ums_id)


@router.delete(
    "/companies/{gaid}/ums/{ums_id}",
    response={204: None, **problems(401, 403, 404, 409, 422)},
    auth=MANAGE,
)
def ums_remove(request, gaid: str, ums_id: str, force: bool = False):
    """Delete a UMS; 409 while its packs have licenses in use unless force=true."""
    services.ums_delete(actor=request.auth.actor, ums=_ums(request, ums_id), force=force)
    return Status(204, None)


@router.post(
    "/companies/{gaid}/ums/{ums_id}/credential",
    response={200: CredentialOut, **problems(401, 403, 404)},
    auth=MANAGE,
)
@not_replayable
def ums_rotate(request, gaid: str, ums_id: str):
    """Rotate the UMS credential: the old one stops working at once."""
    ums = _ums(request, ums_id)
    credential = services.ums_credential_rotate(actor=request.auth.actor, ums=ums)
    return Status(200, {"ums_id": ums.ums_id, "credential": credential})


@router.get(
    "/companies/{gaid}/ums/{ums_id}/license-file",
    response={200: None, **problems(401, 403, 404)},
    auth=VIEW,
)
def ums_license_file(request, gaid: str, ums_id: str):
    """The signed license file of an air-gapped UMS (one JWS over its packs, licenses and
    the revocation list); due documents are refreshed first."""
    return files.license_file_response(ums=_ums(request, ums_id), actor=request.auth.actor)


@router.put(
    "/companies/{gaid}/ums/{ums_id}/product-packs/{pack_id}",
    response={200: PackOut, **problems(401, 403, 404, 409)},
    auth=MANAGE,
)
def pack_assign(request, gaid: str, ums_id: str, pack_id: PackIdPath):
    """Assign a pack to this UMS (409 if it is assigned to another one)."""
    membership = request.auth.membership
    ums = _ums(request, ums_id)
    pack = pack_get(membership=membership, pack_id=pack_id)
    services.pack_assign(actor=request.auth.actor, ums=ums, pack=pack)
    return pack_get(membership=membership, pack_id=pack_id)


@router.delete(
    "/companies/{gaid}/ums/{ums_id}/product-packs/{pack_id}",
    response={204: None, **problems(401, 403, 404, 409, 422)},
    auth=MANAGE,
)
def pack_unassign(request, gaid: str, ums_id: str, pack_id: PackIdPath, force: bool = False):
    """Unassign a pack; with licenses in use 409 `pack_in_use` unless force=true (revokes)."""
    membership = request.auth.membership
    ums = _ums(request, ums_id)
    pack = pack_get(membership=membership, pack_id=pack_id)
    services.pack_unassign(actor=request.auth.actor, ums=ums, pack=pack, force=force)
    return Status(204, None)


@router.get(
    "/companies/{gaid}/devices",
    response={200: DevicesPage, **problems(401, 403, 404, 422)},
    auth=VIEW,
)
def device_list(request, gaid: str, filters: Query[DeviceFilters]):
    """The company's licensed devices, each with its active licenses (without documents);
    filter by product, pack_id, ums_id, q (unit-ID prefix); `format=csv` exports every row."""
    scope = selectors.device_scope(
        membership=request.auth.membership,
        product=filters.product,
        pack_id=filters.pack_id,
        ums_id=filters.ums_id,
        q=filters.q,
    )
    if filters.format == "csv":
        return csv_response(
            f"devices-{gaid}.csv",
            selectors.DEVICE_EXPORT_HEADER,
            selectors.device_export_rows(scope=scope),
        )
    unit_ids = selectors.device_unit_ids(scope=scope)
    page = list(unit_ids[filters.offset : filters.offset + filters.limit])
    # Capped (issue 14): exact while the list ends within 10,000 devices past `offset`.
    count, capped = count_capped(unit_ids, offset=filters.offset, cap=DEVICES_COUNT_CAP)
    return {
        "items": selectors.devices_of(scope=scope, unit_ids=page),
        "count": count,
        "count_capped": capped,
    }


@router.post(
    "/companies/{gaid}/devices/remove",
    response={200: DevicesRemoveOut, **problems(401, 403, 404, 409, 422)},
    auth=MANAGE,
)
def devices_remove(request, gaid: str, payload: DevicesRemoveIn):
    """Remove hardware in bulk: return every active license of these devices (of one
    product when `product` is given); per device `removed` or `not_found`."""
    results = services.devices_remove(
        actor=request.auth.actor,
        membership=request.auth.membership,
        unit_ids=payload.unit_ids,
        product=payload.product,
    )
    return {"results": results}


@router.get(
    "/companies/{gaid}/devices/{unit_id}",
    response={200: DeviceOut, **problems(401, 403, 404, 422)},
    auth=VIEW,
)
def device_detail(request, gaid: str, unit_id: UnitIdPath):
    """Search hardware: a device's active licenses (unit ID or MAC, any separator)."""
    normalised = selectors.device_unit_id(unit_id)
    licenses = selectors.device_licenses(membership=request.auth.membership, unit_id=unit_id)
    return {"unit_id": normalised, "licenses": list(licenses)}


@router.delete(
    "/companies/{gaid}/devices/{unit_id}/licenses/{license_id}",
    response={204: None, **problems(401, 403, 404, 409, 422)},
    auth=MANAGE,
)
def device_license_remove(request, gaid: str, unit_id: UnitIdPath, license_id: str):
    """Remove hardware: return the device's license, its seat is free again."""
    lic = selectors.device_license_get(
        membership=request.auth.membership, unit_id=unit_id, license_id=license_id
    )
    services.license_return(actor=request.auth.actor, license=lic)
    return Status(204, None)


@router.post(
    "/companies/{gaid}/subscription-keys/{key}/ald-token",
    response={201: AldTokenOut, **problems(401, 403, 404)},
    auth=MANAGE,
)
@not_replayable
def ald_token_create(request, gaid: str, key: str):
    """Generate the key's ALD token (shown only here); a new one replaces the old at once."""
    subscription_key = key_get(membership=request.auth.membership, key=key)
    token = services.ald_token_generate(actor=request.auth.actor, key=subscription_key)
    return Status(201, {"ald_token": token})


@router.delete(
    "/companies/{gaid}/subscription-keys/{key}/ald-token",
    response={204: None, **problems(401, 403, 404)},
    auth=MANAGE,
)
def ald_token_delete(request, gaid: str, key: str):
    """Revoke the key's ALD token: it stops working at once (204 also when there is none)."""
    subscription_key = key_get(membership=request.auth.membership, key=key)
    services.ald_token_revoke(actor=request.auth.actor, key=subscription_key)
    return Status(204, None)


# --- the UMS API --------------------------------------------------------------------------


@ums_router.get(
    "/ums/product-packs",
    response={200: list[PackOut], **problems(401, 403, 422)},
    auth=UmsAuth(),
)
@paginate(DeepPaging)
def ums_product_packs(request):
    """The product packs assigned to this UMS (for an ALD token: its key's live packs)."""
    return selectors.ums_packs(ums=_licensee(request))


@ums_router.post(
    "/ums/licenses",
    response={200: IssueOut, **problems(400, 401, 403, 409, 422)},
    auth=UmsAuth(),
)
def ums_licenses_issue(request, payload: IssueIn):
    """Issue device licenses for up to 1000 unit IDs; results in the order asked. A licensed
    device gets its license (`existing`), with a fresh document once half its lease is gone;
    with `"demo": true` unlicensed devices get a demo license (once per device and product)."""
    results = services.licenses_issue(
        actor=request.auth.actor,
        ums=_licensee(request),
        product=payload.product,
        unit_ids=payload.unit_ids,
        demo=payload.demo,
    )
    # IssueOut's data built directly (up to 1000 licenses; schemas.license_out_data), rendered
    # by the API's own renderer as the schema's answer would be.
    return api.create_response(request, issue_out_data(results), status=200)


@ums_router.get(
    "/ums/licenses",
    response={200: list[LicenseOut], **problems(401, 403, 422)},
    auth=UmsAuth(),
)
@paginate(DeepPaging)
def ums_licenses(request, unit_id: str | None = None, changed_since: IsoDateTime | None = None):
    """This UMS's active licenses, optionally of one unit ID, or those whose document changed
    since a time (refreshed, renewed, exchanged, moved). Due documents are refreshed first,
    so polling `changed_since` keeps a fleet's leases current."""
    licensee = _licensee(request)
    services.leases_refresh(actor=request.auth.actor, ums=licensee)
    return selectors.ums_license_list(
        ums=licensee, unit_id=unit_id, changed_since=_aware(changed_since)
    )


def _aware(moment: datetime.datetime | None) -> datetime.datetime | None:
    """A time without a zone is UTC (API.md: times are UTC)."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.UTC)
    return moment


@ums_router.delete(
    "/ums/licenses/{license_id}",
    response={204: None, **problems(401, 403, 404, 409)},
    auth=UmsAuth(),
)
def ums_license_return(request, license_id: str):
    """Return a license (the device was removed); its seat is free again."""
    lic = selectors.ums_license_get(ums=_licensee(request), license_id=license_id)
    services.license_return(actor=request.auth.actor, license=lic)
    return Status(204, None)


@ums_router.get("/ums/license-file", response={200: None, **problems(401, 403)}, auth=UmsAuth())
def ums_own_license_file(request):
    """This UMS's signed license file (its packs, active licenses and the revocation list in
    one JWS); due documents are refreshed first."""
    return files.license_file_response(ums=_licensee(request), actor=request.auth.actor)


@ums_router.get(
    "/ums/revocations", response={200: RevocationsOut, **problems(401, 403)}, auth=UmsAuth()
)
def ums_revocations(request):
    """The caller's signed revocation list: every license issued through its packs (a UMS:
    the licenses it was issued; an ALD token: those on its key's packs) that was returned,
    removed or revoked and one of whose documents may still verify."""
    return {"token": files.revocation_list_sign(ums=_licensee(request))}


router.add_router("", ums_router)
