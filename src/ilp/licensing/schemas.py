"""API shapes of the licensing objects (API.md "Objects")."""

import datetime

from ninja import Schema


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
