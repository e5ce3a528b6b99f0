"""API shapes of the licensing objects (API.md "Objects")."""

import datetime

from ninja import Field, Schema


class PackOut(Schema):
    """A product pack. Lists must `select_related("product", "subscription_key",
    "merged_into", "assignment__ums")` so that serialising runs no query per pack."""

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
        try:
            assignment = obj.assignment
        except Exception:  # RelatedObjectDoesNotExist: not assigned
            return None
        return assignment.ums.ums_id if assignment else None

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
    # Plain ints: the service checks ranges and seat multiples and reports every item's
    # problems together (422 with `errors`).
    product: str = Field(..., max_length=32)
    seats: int
    term_months: int | None = None


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

    @staticmethod
    def resolve_subscription_key(obj) -> str | None:
        return obj.subscription_key.key if obj.subscription_key_id else None

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


class DeliveryTokenRegistered(Schema):
    subscription_key: str
    product_packs: list[PackOut]
