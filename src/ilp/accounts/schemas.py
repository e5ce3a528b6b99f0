"""Request and response bodies of the accounts API (field names as in API.md)."""

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from ilp.core.bounds import MAX_DAYS

RoleName = Literal["administrator", "service_provider", "user"]


class TokenIn(Schema):
    email: str = Field(max_length=254)
    password: str = Field(max_length=4096)
    otp: str | None = Field(None, max_length=64)  # a TOTP code or a recovery code
    name: str = Field("", max_length=100)
    expires_in_days: int | None = Field(None, ge=1, le=MAX_DAYS)
    # API.md, "Scoped tokens": ⊆ ["read", "write"] (default both); GAIDs (default all).
    scopes: list[str] | None = Field(None, max_length=2)
    companies: list[str] | None = Field(None, max_length=1000)


class MyTokenIn(Schema):
    name: str = Field(max_length=100)
    expires_in_days: int | None = Field(None, ge=1, le=MAX_DAYS)
    scopes: list[str] | None = Field(None, max_length=2)  # as TokenIn's
    companies: list[str] | None = Field(None, max_length=1000)


class SessionOut(Schema):
    id: int
    created_at: datetime
    last_seen_at: datetime
    address: str
    user_agent: str
    method: Literal["password", "sso"]
    current: bool


class SignInOut(Schema):
    at: datetime
    address: str
    user_agent: str
    method: Literal["password", "sso"]
    result: Literal["succeeded", "failed"]


class ApiTokenOut(Schema):
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    scopes: list[str]
    companies: list[str] | None


class PasswordResetIn(Schema):
    email: str = Field(max_length=254)


class PasswordIn(Schema):
    password: str = Field(max_length=4096)


class PasswordChangeIn(Schema):
    current_password: str = Field(max_length=4096)
    new_password: str = Field(max_length=4096)


class RegistrationIn(Schema):
    email: str = Field(max_length=254)
    first_name: str = Field(max_length=150)
    last_name: str = Field(max_length=150)
    gaid: str = Field(max_length=32)
    subscription_key: str = Field(max_length=64)


class TwoFactorSetupOut(Schema):
    secret: str
    otpauth_uri: str


class OtpIn(Schema):
    otp: str = Field(max_length=64)


class OtpOptionalIn(Schema):
    """A current or recovery code, needed only while two-factor sign-in is on."""

    otp: str | None = Field(None, max_length=64)


class RecoveryCodesOut(Schema):
    recovery_codes: list[str]


class TokenOut(Schema):
    token: str


class MyCompanyOut(Schema):
    gaid: str
    name: str
    role: str


class MePatch(Schema):
    """`PATCH /me` (API.md, third round): the IANA zone the portal shows times in."""

    time_zone: str


class MeOut(Schema):
    email: str
    first_name: str
    last_name: str
    language: str
    time_zone: str = "UTC"
    default_company: str | None
    two_factor: bool
    companies: list[MyCompanyOut]


class CompanyOut(Schema):
    gaid: str
    name: str
    customer_number: str | None
    street: str
    postal_code: str
    city: str
    country: str
    require_2fa: bool


class CompanyPatch(Schema):
    name: str | None = Field(None, max_length=200)
    street: str | None = Field(None, max_length=200)
    postal_code: str | None = Field(None, max_length=20)
    city: str | None = Field(None, max_length=100)
    country: str | None = Field(None, max_length=2)
    require_2fa: bool | None = None


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
