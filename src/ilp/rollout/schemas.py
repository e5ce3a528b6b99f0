"""API shapes of rollout objects (API.md "Objects", "Rollout", "UMS")."""

import datetime

from ninja import Field, Schema


class LicenseOut(Schema):
    """A device license. Lists select_related("product", "pack", "ums")."""

    id: str
    unit_id: str
    product: str
    pack_id: str
    expires_on: datetime.date | None
    token: str
    status: str
    ums_id: str | None
    issued_at: datetime.datetime

    @staticmethod
    def resolve_id(obj) -> str:
        return obj.license_id

    @staticmethod
    def resolve_product(obj) -> str:
        return obj.product.sku

    @staticmethod
    def resolve_pack_id(obj) -> str:
        return obj.pack.pack_id

    @staticmethod
    def resolve_ums_id(obj) -> str | None:
        return obj.ums.ums_id if obj.ums_id else None


class UmsIn(Schema):
    name: str = Field(..., max_length=200)
    auto_assign: bool = False


class UmsPatch(Schema):
    name: str | None = Field(None, max_length=200)
    auto_assign: bool | None = None


class UmsOut(Schema):
    """A UMS instance. Lists prefetch "assignments" with their packs."""

    ums_id: str
    name: str
    auto_assign: bool
    created_at: datetime.datetime
    credential_rotated_at: datetime.datetime
    last_seen_at: datetime.datetime | None
    product_packs: list[str]

    @staticmethod
    def resolve_product_packs(obj) -> list[str]:
        return [a.pack.pack_id for a in obj.assignments.all()]


class UmsCreatedOut(UmsOut):
    credential: str


class CredentialOut(Schema):
    ums_id: str
    credential: str


class IssueIn(Schema):
    product: str
    # The 1000 limit is checked by the service (422 `too_many_unit_ids`).
    unit_ids: list[str]


class IssueResultOut(Schema):
    unit_id: str
    status: str
    license: LicenseOut | None = None


class IssueOut(Schema):
    results: list[IssueResultOut]


class DeviceOut(Schema):
    unit_id: str
    licenses: list[LicenseOut]
