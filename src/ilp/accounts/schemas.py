"""Request and response bodies of the accounts API (field names as in API.md)."""

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

RoleName = Literal["administrator", "service_provider", "user"]


class TokenIn(Schema):
    email: str = Field(max_length=254)
    password: str = Field(max_length=4096)
    otp: str | None = None  # accepted and ignored: no second factor yet
    name: str = Field("", max_length=100)


class TokenOut(Schema):
    token: str


class MyCompanyOut(Schema):
    gaid: str
    name: str
    role: str


class MeOut(Schema):
    email: str
    first_name: str
    last_name: str
    language: str
    default_company: str | None
    companies: list[MyCompanyOut]


class CompanyOut(Schema):
    gaid: str
    name: str
    customer_number: str | None
    street: str
    postal_code: str
    city: str
    country: str


class CompanyPatch(Schema):
    name: str | None = Field(None, max_length=200)
    street: str | None = Field(None, max_length=200)
    postal_code: str | None = Field(None, max_length=20)
    city: str | None = Field(None, max_length=100)
    country: str | None = Field(None, max_length=2)


class MemberOut(Schema):
    email: str
    first_name: str
    last_name: str
    role: str

    @staticmethod
    def resolve_email(obj) -> str:
        return obj.user.email

    @staticmethod
    def resolve_first_name(obj) -> str:
        return obj.user.first_name

    @staticmethod
    def resolve_last_name(obj) -> str:
        return obj.user.last_name


class RoleIn(Schema):
    role: RoleName


class InvitationIn(Schema):
    email: str = Field(max_length=254)
    role: RoleName


class InvitationOut(Schema):
    id: int
    email: str
    role: str
    expires_at: datetime
    created_at: datetime


class AccessRequestOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    order_number: str
    created_at: datetime


class InvitationPublicOut(Schema):
    gaid: str
    company_name: str
    email: str
    role: str
    account_exists: bool
    expires_at: datetime


class AcceptIn(Schema):
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    password: str = Field("", max_length=4096)


class AcceptOut(Schema):
    gaid: str
    role: str
