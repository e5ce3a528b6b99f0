"""Rollout API: UMS instances and pack assignment (company side), device search and
removal, and the UMS API itself (`/ums/…`, authenticated by the UMS credential)."""

from ninja import Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from ilp.core.auth import CompanyAuth, UmsAuth
from ilp.core.authz import Permission
from ilp.core.problems import problems
from ilp.licensing.schemas import PackOut
from ilp.licensing.selectors import pack_get

from . import files, selectors, services
from .schemas import (
    CredentialOut,
    DeviceOut,
    IssueIn,
    IssueOut,
    LicenseOut,
    UmsCreatedOut,
    UmsIn,
    UmsOut,
    UmsPatch,
)

router = Router(tags=["rollout"])
ums_router = Router(tags=["ums"])

VIEW = CompanyAuth(Permission.VIEW)
MANAGE = CompanyAuth(Permission.MANAGE_ROLLOUT)


def _ums(request, ums_id: str):
    return selectors.ums_get(membership=request.auth.membership, ums_id=ums_id)


# --- company side -------------------------------------------------------------------------


@router.post(
    "/companies/{gaid}/ums",
    response={201: UmsCreatedOut, **problems(400, 401, 403, 404, 422)},
    auth=MANAGE,
)
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
@paginate(LimitOffsetPagination)
def ums_list(request, gaid: str):
    """The company's UMS instances with the IDs of their assigned packs."""
    return selectors.ums_list(membership=request.auth.membership)


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
    """Rename a UMS or switch auto-assign (only one UMS per company auto-assigns)."""
    ums = _ums(request, ums_id)
    services.ums_update(
        actor=request.auth.actor, ums=ums, name=payload.name, auto_assign=payload.auto_assign
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
    """The signed license file of an air-gapped UMS (one JWS over its packs and licenses)."""
    return files.license_file_response(ums=_ums(request, ums_id))


@router.put(
    "/companies/{gaid}/ums/{ums_id}/product-packs/{pack_id}",
    response={200: PackOut, **problems(401, 403, 404, 409)},
    auth=MANAGE,
)
def pack_assign(request, gaid: str, ums_id: str, pack_id: str):
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
def pack_unassign(request, gaid: str, ums_id: str, pack_id: str, force: bool = False):
    """Unassign a pack; with licenses in use 409 `pack_in_use` unless force=true (revokes)."""
    membership = request.auth.membership
    ums = _ums(request, ums_id)
    pack = pack_get(membership=membership, pack_id=pack_id)
    services.pack_unassign(actor=request.auth.actor, ums=ums, pack=pack, force=force)
    return Status(204, None)


@router.get(
    "/companies/{gaid}/devices/{unit_id}",
    response={200: DeviceOut, **problems(401, 403, 404, 422)},
    auth=VIEW,
)
def device_detail(request, gaid: str, unit_id: str):
    """Search hardware: a device's active licenses (unit ID or MAC, any separator)."""
    normalised = selectors.device_unit_id(unit_id)
    licenses = selectors.device_licenses(membership=request.auth.membership, unit_id=unit_id)
    return {"unit_id": normalised, "licenses": list(licenses)}


@router.delete(
    "/companies/{gaid}/devices/{unit_id}/licenses/{license_id}",
    response={204: None, **problems(401, 403, 404, 409, 422)},
    auth=MANAGE,
)
def device_license_remove(request, gaid: str, unit_id: str, license_id: str):
    """Remove hardware: return the device's license, its seat is free again."""
    lic = selectors.device_license_get(
        membership=request.auth.membership, unit_id=unit_id, license_id=license_id
    )
    services.license_return(actor=request.auth.actor, license=lic)
    return Status(204, None)


# --- the UMS API --------------------------------------------------------------------------


@ums_router.get(
    "/ums/product-packs",
    response={200: list[PackOut], **problems(401, 403, 422)},
    auth=UmsAuth(),
)
@paginate(LimitOffsetPagination)
def ums_product_packs(request):
    """The product packs assigned to this UMS."""
    return selectors.ums_packs(ums=request.auth.ums)


@ums_router.post(
    "/ums/licenses", response={200: IssueOut, **problems(400, 401, 403, 422)}, auth=UmsAuth()
)
def ums_licenses_issue(request, payload: IssueIn):
    """Issue device licenses for up to 1000 unit IDs; results in the order asked."""
    results = services.licenses_issue(
        actor=request.auth.actor,
        ums=request.auth.ums,
        product=payload.product,
        unit_ids=payload.unit_ids,
    )
    return {"results": results}


@ums_router.get(
    "/ums/licenses",
    response={200: list[LicenseOut], **problems(401, 403, 422)},
    auth=UmsAuth(),
)
@paginate(LimitOffsetPagination)
def ums_licenses(request, unit_id: str | None = None):
    """This UMS's active licenses, optionally of one unit ID."""
    return selectors.ums_license_list(ums=request.auth.ums, unit_id=unit_id)


@ums_router.delete(
    "/ums/licenses/{license_id}",
    response={204: None, **problems(401, 403, 404, 409)},
    auth=UmsAuth(),
)
def ums_license_return(request, license_id: str):
    """Return a license (the device was removed); its seat is free again."""
    lic = selectors.ums_license_get(ums=request.auth.ums, license_id=license_id)
    services.license_return(actor=request.auth.actor, license=lic)
    return Status(204, None)


@ums_router.get("/ums/license-file", response={200: None, **problems(401, 403)}, auth=UmsAuth())
def ums_own_license_file(request):
    """This UMS's signed license file (its packs and active licenses in one JWS)."""
    return files.license_file_response(ums=request.auth.ums)


router.add_router("", ums_router)
