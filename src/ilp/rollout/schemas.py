"""API shapes of rollout objects (API.md "Objects", "Rollout", "UMS")."""

import datetime
import functools
from typing import Literal

from django.core.serializers.json import DjangoJSONEncoder
from ninja import Field, Schema

from ilp.core.bounds import MAX_DAYS, MAX_OFFSET

from .licensee import lease_days_of
from .selectors import ums_pack_ids


class LicenseSummaryOut(Schema):
    """A device license without its signed document (the fleet view). Lists
    select_related("product", "pack", "ums")."""

    id: str
    unit_id: str
    product: str
    pack_id: str | None
    expires_on: datetime.date | None
    status: str
    ums_id: str | None
    issued_at: datetime.datetime
    lease_expires_at: datetime.datetime | None

    resolve_id = staticmethod(lambda obj: obj.license_id)
    resolve_product = staticmethod(lambda obj: obj.product.sku)
    resolve_pack_id = staticmethod(lambda obj: obj.pack.pack_id if obj.pack_id else None)
    resolve_ums_id = staticmethod(lambda obj: obj.ums.ums_id if obj.ums_id else None)
    resolve_lease_expires_at = staticmethod(lambda obj: obj.document_expires_at)


class LicenseOut(Schema):
    """A device license (or a demo license: `demo` true, no pack). Lists
    select_related("product", "pack", "ums").

    `expires_on` is the entitlement (the pack's end); `lease_expires_at` is when the current
    document (`token`) expires, `signed_at` when it was signed (null: before leases).
    """

    id: str
    unit_id: str
    product: str
    pack_id: str | None
    expires_on: datetime.date | None
    token: str
    status: str
    ums_id: str | None
    issued_at: datetime.datetime
    lease_expires_at: datetime.datetime | None
    signed_at: datetime.datetime | None
    demo: bool = False

    @staticmethod
    def resolve_id(obj) -> str:
        return obj.license_id

    @staticmethod
    def resolve_product(obj) -> str:
        return obj.product.sku

    @staticmethod
    def resolve_pack_id(obj) -> str | None:
        pack = getattr(obj, "pack", None)
        return pack.pack_id if pack is not None else None

    @staticmethod
    def resolve_expires_on(obj) -> datetime.date | None:
        if hasattr(obj, "expires_on"):
            return obj.expires_on
        return obj.expires_at.date()

    @staticmethod
    def resolve_status(obj) -> str:
        return getattr(obj, "status", "demo")

    @staticmethod
    def resolve_ums_id(obj) -> str | None:
        return obj.ums.ums_id if obj.ums_id else None

    @staticmethod
    def resolve_lease_expires_at(obj) -> datetime.datetime | None:
        return getattr(obj, "document_expires_at", None) or getattr(obj, "expires_at", None)

    @staticmethod
    def resolve_signed_at(obj) -> datetime.datetime | None:
        if hasattr(obj, "document_signed_at"):
            return obj.document_signed_at
        return obj.issued_at

    @staticmethod
    def resolve_demo(obj) -> bool:
        return not hasattr(obj, "pack_id")


def license_out_data(obj, names: dict | None = None) -> dict:
    """`LicenseOut` of a license (or a demo license) as the same plain data, without pydantic:
    `POST /ums/licenses` answers up to 1000 of them, where validating each through the schema
    cost a quarter of the request. tests/rollout/test_schemas.py holds the two equal.
    `names` memoises the product, pack and UMS names across the licenses of one answer."""
    demo = not hasattr(obj, "pack_id")
    if demo:
        expires_on, lease, signed = obj.expires_at.date(), obj.expires_at, obj.issued_at
    else:
        expires_on, lease, signed = obj.expires_on, obj.document_expires_at, obj.document_signed_at
    sku, pack_id, ums_id = _related_names(obj, demo=demo, names={} if names is None else names)
    return {
        "id": obj.license_id,
        "unit_id": obj.unit_id,
        "product": sku,
        "pack_id": pack_id,
        "expires_on": expires_on.isoformat() if expires_on is not None else None,
        "token": obj.token,
        "status": getattr(obj, "status", "demo"),
        "ums_id": ums_id,
        "issued_at": _json_time(obj.issued_at),
        "lease_expires_at": _json_time(lease),
        "signed_at": _json_time(signed),
        "demo": demo,
    }


def _related_names(obj, *, demo: bool, names: dict) -> tuple:
    """The product SKU, pack ID and UMS ID a license names, read from its loaded relations
    once per combination (a batch's 1000 licenses share a handful)."""
    key = (obj.product_id, None if demo else obj.pack_id, obj.ums_id)
    if key not in names:
        names[key] = (
            obj.product.sku,
            None if demo else obj.pack.pack_id,
            obj.ums.ums_id if obj.ums_id else None,
        )
    return names[key]


_encode = DjangoJSONEncoder().default


@functools.lru_cache(maxsize=256)
def _json_time(moment: datetime.datetime | None) -> str | None:
    """A time as the API's renderer writes it, applied up front (no encoder fallback per
    value for 1000 licenses; a batch's licenses share their times, hence the cache)."""
    return _encode(moment) if moment is not None else None


def issue_out_data(results) -> dict:
    """`IssueOut` of `licenses_issue`'s results as plain data (see `license_out_data`)."""
    names: dict = {}
    return {
        "results": [
            {
                "unit_id": r.unit_id,
                "status": r.status,
                "license": license_out_data(r.license, names) if r.license is not None else None,
            }
            for r in results
        ]
    }


class UmsIn(Schema):
    name: str = Field(..., max_length=200)
    auto_assign: bool = False


class UmsPatch(Schema):
    name: str | None = Field(None, max_length=200)
    auto_assign: bool | None = None
    # 1 to ILP_LICENSE_LEASE_MAX_DAYS (checked by the service: 422 `invalid_lease_days`)
    lease_days: int | None = Field(None, le=MAX_DAYS)
    auto_exchange: bool | None = None


class UmsOut(Schema):
    """A UMS instance. Lists annotate `pack_ids_joined` (`ums_list_with_pack_ids`)."""

    ums_id: str
    name: str
    auto_assign: bool
    created_at: datetime.datetime
    credential_rotated_at: datetime.datetime
    last_seen_at: datetime.datetime | None
    product_packs: list[str]
    lease_days: int
    auto_exchange: bool
    last_refresh_at: datetime.datetime | None

    @staticmethod
    def resolve_product_packs(obj) -> list[str]:
        return ums_pack_ids(ums=obj)

    @staticmethod
    def resolve_lease_days(obj) -> int:
        return lease_days_of(obj)


class UmsCreatedOut(UmsOut):
    credential: str


class CredentialOut(Schema):
    ums_id: str
    credential: str


class IssueIn(Schema):
    product: str
    # The 1000 limit is checked by the service (422 `too_many_unit_ids`).
    unit_ids: list[str]
    demo: bool = False


class RevocationsOut(Schema):
    token: str


class AldTokenOut(Schema):
    ald_token: str


class IssueResultOut(Schema):
    unit_id: str
    status: str
    license: LicenseOut | None = None


class IssueOut(Schema):
    results: list[IssueResultOut]


class DeviceOut(Schema):
    unit_id: str
    licenses: list[LicenseOut]


class FleetDeviceOut(Schema):
    unit_id: str
    licenses: list[LicenseSummaryOut]


class DevicesPage(Schema):
    """A page of the devices list, shaped like every paged list (`items`, `count`).

    `count` is exact while the list ends within 10,000 devices past `offset`; beyond, it is
    `offset + 10000` and `count_capped` is true (paging on with `offset` reaches every device,
    and the count turns exact near the end)."""

    items: list[FleetDeviceOut]
    count: int
    count_capped: bool = False


class DeviceFilters(Schema):
    product: str | None = None
    pack_id: str | None = None
    ums_id: str | None = None
    q: str | None = None
    format: Literal["json", "csv"] = "json"
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class DevicesRemoveIn(Schema):
    """`POST …/devices/remove` (API.md, third round): devices whose licenses to return."""

    unit_ids: list[str] = Field(..., min_length=1)
    product: str | None = None


class DeviceRemoved(Schema):
    unit_id: str
    status: Literal["removed", "not_found"]


class DevicesRemoveOut(Schema):
    results: list[DeviceRemoved]
