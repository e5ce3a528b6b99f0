"""API shapes of webhook endpoints and deliveries (API.md, "Webhooks")."""

import datetime
from typing import Literal

from ninja import Field, Schema

# The contract's event types (webhooks/events.py EVENT_TYPES, in the same order).
EventType = Literal[
    "license.issued",
    "license.returned",
    "license.revoked",
    "license.exchanged",
    "product_pack.created",
    "product_pack.changed",
    "product_pack.expiring",
    "order.delivered",
    "order.eula_pending",
    "member.added",
    "member.removed",
    "ums.created",
    "webhook.test",
]


class EndpointIn(Schema):
    url: str = Field(min_length=1, max_length=2000)
    events: list[EventType] = Field(min_length=1, max_length=50)
    description: str = Field("", max_length=200)


class EndpointPatch(Schema):
    url: str | None = Field(None, min_length=1, max_length=2000)
    events: list[EventType] | None = Field(None, min_length=1, max_length=50)
    description: str | None = Field(None, max_length=200)
    enabled: bool | None = None


class EndpointOut(Schema):
    id: str
    url: str
    events: list[str]
    description: str
    enabled: bool
    disabled_reason: str | None
    created_at: datetime.datetime

    @staticmethod
    def resolve_id(obj) -> str:
        return obj.endpoint_id

    @staticmethod
    def resolve_disabled_reason(obj) -> str | None:
        return obj.disabled_reason or None


class EndpointCreatedOut(EndpointOut):
    secret: str


class SecretOut(Schema):
    secret: str


class DeliveryOut(Schema):
    id: str
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime.datetime
    next_attempt_at: datetime.datetime | None

    @staticmethod
    def resolve_id(obj) -> str:
        return obj.message_id

    @staticmethod
    def resolve_last_error(obj) -> str | None:
        return obj.last_error or None


class DeliveryFilters(Schema):
    status: str | None = Field(None, pattern="^(pending|succeeded|failed)$")


class AcceptedOut(Schema):
    id: str
    status: str
