"""The back office's request and response bodies (API.md, "Vendor back office (staff)")."""

import datetime
from typing import Literal

from ninja import Field, Schema

from ilp.core.authz import StaffRole
from ilp.licensing.schemas import PackData

StaffRoleName = Literal["support", "operator", "staff_admin"]
assert set(StaffRoleName.__args__) == set(StaffRole.values)  # noqa: S101 - one list of roles


class StaffUserIn(Schema):
    email: str = Field(..., max_length=254)
    role: StaffRoleName


class StaffUserPatch(Schema):
    role: StaffRoleName


class StaffUserOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    role: str
    created_at: datetime.datetime
    registered: bool  # the person chose a password
    two_factor: bool  # the back office opens for them only with it

    @staticmethod
    def resolve_email(obj) -> str:
        return obj.user.email

    @staticmethod
    def resolve_first_name(obj) -> str:
        return obj.user.first_name

    @staticmethod
    def resolve_last_name(obj) -> str:
        return obj.user.last_name

    @staticmethod
    def resolve_registered(obj) -> bool:
        return obj.user.is_registered

    @staticmethod
    def resolve_two_factor(obj) -> bool:
        return bool(getattr(obj, "second_factor", False))


class StaffTokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    role: StaffRoleName = "operator"


class StaffTokenCreated(Schema):
    id: int
    name: str
    role: str
    token: str


class StaffTokenOut(Schema):
    id: int
    name: str
    role: str
    created_at: datetime.datetime
    last_used_at: datetime.datetime | None


class StaffSearchHit(Schema):
    kind: Literal["company", "subscription_key", "product_pack", "order", "user", "device"]
    id: str
    label: str
    gaid: str | None


class StaffSearchOut(Schema):
    items: list[StaffSearchHit]
    count: int


class StaffCompanyCounts(Schema):
    members: int
    subscription_keys: int
    product_packs: int
    ums: int
    licenses: int


class StaffCompanyOrderLine(Schema):
    order_number: str
    kind: str
    invoice_date: datetime.date
    status: str
    subscription_key: str | None
    contact_outcome: str | None

    @staticmethod
    def resolve_subscription_key(obj) -> str | None:
        return obj.subscription_key.key if obj.subscription_key_id else None


class StaffCompanyOut(Schema):
    gaid: str
    name: str
    customer_number: str | None
    street: str
    postal_code: str
    city: str
    country: str
    created_at: datetime.datetime
    counts: StaffCompanyCounts
    orders: list[StaffCompanyOrderLine]


class StaffOrderItemLine(Schema):
    product: str
    seats: int
    term_months: int

    @staticmethod
    def resolve_product(obj) -> str:
        return obj.product.sku


class StaffOrderOut(Schema):
    """An order object (as `POST /orders` answered it, with its current status) plus the
    company's GAID and name, the invoice date and the items."""

    order_number: str
    kind: str
    gaid: str
    company: str
    invoice_date: datetime.date
    created_at: datetime.datetime
    company_created: bool
    subscription_key: str | None
    status: str
    contact_outcome: str | None
    items: list[StaffOrderItemLine]
    product_packs: list[PackData]

    @staticmethod
    def resolve_gaid(obj) -> str:
        return obj.company.gaid

    @staticmethod
    def resolve_company(obj) -> str:
        return obj.company.name

    @staticmethod
    def resolve_subscription_key(obj) -> str | None:
        return obj.subscription_key.key if obj.subscription_key_id else None

    @staticmethod
    def resolve_items(obj) -> list:
        return list(obj.items.all())

    @staticmethod
    def resolve_product_packs(obj) -> list:
        # The packs as the order delivered them (its stored answer); GET /orders/{n} and the
        # order page show them as they are now.
        return (obj.result or {}).get("product_packs", [])


class StaffProductIn(Schema):
    sku: str = Field(..., max_length=32)
    name: str = Field(..., max_length=200)
    pack_prefix: str = Field(..., max_length=8)
    seat_multiple: int = Field(1, ge=1, le=10_000)
    term: Literal["subscription", "perpetual"]


class StaffProductPatch(Schema):
    name: str | None = Field(None, max_length=200)
    pack_prefix: str | None = Field(None, max_length=8)
    seat_multiple: int | None = Field(None, ge=1, le=10_000)


class StaffProductOut(Schema):
    sku: str
    name: str
    pack_prefix: str
    seat_multiple: int
    term: str


class StaffEulaIn(Schema):
    kind: Literal["vendor", "third_party"]
    product: str | None = Field(None, max_length=32)
    version: str = Field(..., max_length=32)
    text: str = Field(..., max_length=200_000)


class StaffEulaOut(Schema):
    kind: str
    product: str | None
    title: str
    version: str
    published_on: datetime.date


class StaffSeatsRow(Schema):
    product: str
    seats_sold: int
    seats_active: int
    seats_used: int
    companies: int


class StaffRenewalRow(Schema):
    gaid: str
    company: str
    subscription_key: str
    product: str
    seats: int
    expires_on: datetime.date
