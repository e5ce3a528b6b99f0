"""UMS instances and pack assignment (company side)."""

from ninja import Router, Status
from ninja.pagination import paginate

from ilp.core.idempotency import not_replayable
from ilp.core.pagination import Paging
from ilp.core.params import PackIdPath
from ilp.core.problems import problems
from ilp.licensing.schemas import PackOut
from ilp.licensing.selectors import pack_get

from .. import files, selectors, services
from ..schemas import CredentialOut, UmsCreatedOut, UmsIn, UmsOut, UmsPatch
from .common import MANAGE, VIEW

router = Router(tags=["rollout"])


def _ums(request, ums_id: str):
    return selectors.ums_get(membership=request.auth.membership, ums_id=ums_id)


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
