"""Devices of a company: the fleet list (or CSV), device search and removal, bulk removal."""

from ninja import Query, Router, Status

from ilp.core.csv_export import csv_response
from ilp.core.pagination import count_capped
from ilp.core.params import UnitIdPath
from ilp.core.problems import problems

from .. import selectors, services
from ..schemas import DeviceFilters, DeviceOut, DevicesPage, DevicesRemoveIn, DevicesRemoveOut
from .common import MANAGE, VIEW

router = Router(tags=["rollout"])


# `GET …/devices` counts at most this many devices past the page's offset (issue 14).
DEVICES_COUNT_CAP = 10_000


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
