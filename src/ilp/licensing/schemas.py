"""API shapes of the licensing objects (API.md "Objects")."""

import datetime

from ninja import Field, Schema

from ilp.core.bounds import MAX_SEATS, MAX_TERM_MONTHS


class PackOut(Schema):
    """A product pack. Lists must `select_related("product", "subscription_key",
    "merged_into")` so that serialising runs no query per pack."""

    id: str
    product: str
    subscription_key: str
    seats: int
    seats_used: int
    starts_on: datetime.date
    expires_on: datetime.date | None
    status: str
    comment: str
    ums_id: str | None
    merged_into: str | None
    eula_accepted: bool = Field(
        ..., description="False while the pack's order or third-party EULA waits (rule 20)."
    )

    @staticmethod
    def resolve_id(obj) -> str:
        return obj.pack_id

    @staticmethod
    def resolve_product(obj) -> str:
        return obj.product.sku

    @staticmethod
    def resolve_subscription_key(obj) -> str:
        return obj.subscription_key.key

    @staticmethod
    def resolve_status(obj) -> str:
        return getattr(obj, "current_status", None) or obj.status

    @staticmethod
    def resolve_ums_id(obj) -> str | None:
        # The pack row names the UMS it is assigned to (`assigned_to`, kept by rollout's
        # assignment services): no read of rollout's table.
        return obj.assigned_to

    @staticmethod
    def resolve_merged_into(obj) -> str | None:
        return obj.merged_into.pack_id if obj.merged_into_id else None


class PackData(Schema):
    """A product pack as stored in an order's result (same fields as PackOut)."""

    id: str
    product: str
    subscription_key: str
    seats: int
    seats_used: int
    starts_on: datetime.date
    expires_on: datetime.date | None
    status: str
    comment: str
    ums_id: str | None
    merged_into: str | None
    # Results stored before EULAs were tracked lack it: their packs needed no acceptance.
    eula_accepted: bool = True


class ProductOut(Schema):
    sku: str
    name: str
    pack_prefix: str
    seat_multiple: int
    term: str


class ProductList(Schema):
    items: list[ProductOut]


class EndCustomerIn(Schema):
    gaid: str | None = Field(None, max_length=16)
    customer_number: str | None = Field(None, max_length=64)
    name: str = Field("", max_length=200)
    street: str | None = Field(None, max_length=200)
    postal_code: str | None = Field(None, max_length=20)
    city: str | None = Field(None, max_length=100)
    country: str | None = Field(None, max_length=2, description="ISO 3166 alpha-2, e.g. DE")


class ContactIn(Schema):
    email: str = Field(..., max_length=254)
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)


class ItemIn(Schema):
    # The service checks the ranges (1..MAX_SEATS, 0..MAX_TERM_MONTHS) and seat multiples and
    # reports every item's problems together (422 `invalid_items` with `errors`); the schema
    # states the same upper bounds for OpenAPI without checking them first, so an order keeps
    # its one error code.
    product: str = Field(..., max_length=32)
    seats: int = Field(..., json_schema_extra={"maximum": MAX_SEATS})
    term_months: int | None = Field(None, json_schema_extra={"maximum": MAX_TERM_MONTHS})


class OrderIn(Schema):
    order_number: str = Field(..., min_length=1, max_length=64)
    kind: str = "new"
    invoice_date: datetime.date
    end_customer: EndCustomerIn
    contact: ContactIn | None = None
    subscription_key: str | None = None
    items: list[ItemIn]


class OrderOut(Schema):
    """The result of `POST /orders` (stored, replayed identically) and `GET /orders/{n}`."""

    order_number: str
    kind: str
    gaid: str
    company_created: bool
    subscription_key: str
    status: str
    product_packs: list[PackData]
    contact_outcome: str | None
    # The order's vendor EULA (rule 20); `eula_accepted` is true when nothing waits (also
    # for orders from before EULAs were tracked). Stored results lack them: defaults.
    eula_accepted: bool = True
    eula_version: str | None = None
    eula_accepted_at: datetime.datetime | None = None
    eula_accepted_by: str | None = None


class OrderItemOut(Schema):
    product: str
    seats: int
    term_months: int


class CompanyOrderOut(Schema):
    """An order as its company sees it: the packs it created or extended, as they are now."""

    order_number: str
    kind: str
    invoice_date: datetime.date
    subscription_key: str | None
    status: str
    items: list[OrderItemOut]
    product_packs: list[PackOut]
    eula_accepted: bool
    eula_version: str | None
    eula_accepted_at: datetime.datetime | None
    eula_accepted_by: str | None

    @staticmethod
    def resolve_subscription_key(obj) -> str | None:
        return obj.subscription_key.key if obj.subscription_key_id else None

    @staticmethod
    def resolve_eula_accepted(obj) -> bool:
        return not obj.eula_pending

    @staticmethod
    def resolve_eula_version(obj) -> str | None:
        return obj.eula_version.version if obj.eula_version_id else None

    @staticmethod
    def resolve_eula_accepted_by(obj) -> str | None:
        return obj.eula_accepted_by or None

    @staticmethod
    def resolve_items(obj) -> list[dict]:
        return [
            {"product": i.product.sku, "seats": i.seats, "term_months": i.term_months}
            for i in obj.items.all()
        ]

    @staticmethod
    def resolve_product_packs(obj) -> list:
        return obj.packs_now


class KeyOut(Schema):
    key: str
    expires_on: datetime.date | None
    product_packs: list[PackOut]
    pending_renewals: list[str]

    @staticmethod
    def resolve_product_packs(obj) -> list:
        return obj.packs

    @staticmethod
    def resolve_pending_renewals(obj) -> list[str]:
        return [r.order.order_number for r in obj.pending]


class PackPatchIn(Schema):
    comment: str | None = None  # at most 500 characters (checked by the service: 422)
    archived: bool | None = None


class DeliveryTokenIssueIn(Schema):
    order_number: str = Field(..., min_length=1, max_length=64)
    invoice_date: datetime.date
    items: list[ItemIn]


class DeliveryTokenIssued(Schema):
    token: str


class DeliveryTokenRegisterIn(Schema):
    token: str = Field(..., max_length=200)
    accept_eula: bool = Field(
        False, description="Must be true: registering accepts the order's EULA (rule 20)."
    )


class DeliveryTokenRegistered(Schema):
    subscription_key: str
    product_packs: list[PackOut]


class EulaAcceptIn(Schema):
    """Optional: the version the person read; another one in force by now is a 409."""

    eula_version: str | None = Field(None, max_length=32)


class PackEulaAcceptIn(EulaAcceptIn):
    third_party_eula_version: str | None = Field(None, max_length=32)


class EulaAcceptAllOut(Schema):
    """`POST …/eula/accept-all` (API.md): the orders accepted now, and the packs that waited
    for an EULA (their order's or their own third-party EULA) and no longer do."""

    accepted: list[str]
    packs: list[str]


class OrderEulaOut(Schema):
    """An order's accepted vendor EULA (API.md): the same record when accepted again."""

    order_number: str
    eula_version: str
    accepted_at: datetime.datetime
    accepted_by: str

    @staticmethod
    def resolve_eula_version(obj) -> str:
        return obj.eula_version.version

    @staticmethod
    def resolve_accepted_at(obj) -> datetime.datetime:
        return obj.eula_accepted_at

    @staticmethod
    def resolve_accepted_by(obj) -> str:
        return obj.eula_accepted_by


class ThirdPartyEulaOut(Schema):
    """A pack's accepted third-party EULA."""

    eula: str
    eula_version: str
    accepted_at: datetime.datetime
    accepted_by: str


class PackEulaOut(Schema):
    """What accepting a pack's EULAs accepted: its order's (covering the whole order; null
    when the pack came from no order) and its own third-party EULA (null when none)."""

    product_pack: PackOut
    order: OrderEulaOut | None
    third_party: ThirdPartyEulaOut | None
