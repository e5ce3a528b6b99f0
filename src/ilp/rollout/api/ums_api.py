"""The UMS API itself (`/ums/…`), authenticated by a UMS credential or an ALD token."""

import datetime

from ninja import Router, Status
from ninja.pagination import paginate

from ilp.core.api import api
from ilp.core.auth import UmsAuth
from ilp.core.pagination import DeepPaging
from ilp.core.params import IsoDateTime
from ilp.core.problems import problems
from ilp.licensing.schemas import PackOut

from .. import files, selectors, services
from ..licensee import Licensee
from ..schemas import IssueIn, IssueOut, LicenseOut, RevocationsOut, issue_out_data

ums_router = Router(tags=["rollout", "ums"])  # as when it was mounted in the rollout router


def _licensee(request) -> Licensee:
    """The caller of a UMS route: its UMS, or its ALD token (limited to one key's packs)."""
    principal = request.auth
    licensee = Licensee(ums=principal.ums, ald=principal.ald_token)
    if licensee.ald is not None:
        licensee.touch()
    return licensee


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
