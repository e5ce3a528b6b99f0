"""API shapes of webhook endpoints and deliveries (API.md, "Webhooks")."""

import datetime

from ninja import Field, Schema


class EndpointIn(Schema):
    url: str = Field(max_length=2000)
    events: list[str] = Field(max_length=50)
    description: str = Field("", max_length=200)


class EndpointPatch(Schema):
    url: str | None = Field(None, max_length=2000)
    events: list[str] | None = Field(None, max_length=50)
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
