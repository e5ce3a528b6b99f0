"""Request and response bodies of the single sign-on API (field names as in API.md)."""

from typing import Literal

from ninja import Field, Schema


class SsoIn(Schema):
    issuer: str = Field(max_length=500)
    client_id: str = Field(min_length=1, max_length=255)
    client_secret: str = Field(min_length=1, max_length=2000)
    jit_role: Literal["user", "service_provider"] | None = None
    require_sso: bool = False


class DomainIn(Schema):
    domain: str = Field(max_length=253)


class DomainOut(Schema):
    domain: str
    verification: str
    verified: bool


class SsoOut(Schema):
    issuer: str
    client_id: str
    jit_role: Literal["user", "service_provider"] | None
    require_sso: bool
    domains: list[DomainOut]
