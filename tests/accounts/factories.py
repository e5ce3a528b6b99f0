"""Factories that read like the domain: make_user("a@b.test", company=acme, role="user")."""

import itertools

from django.utils import timezone

from ilp.accounts.models import (
    ApiToken,
    Company,
    Membership,
    StaffMember,
    StaffToken,
    TwoFactor,
    User,
)
from ilp.accounts.otp import secret_new
from ilp.core.auth import STAFF_TOKEN_PREFIX, USER_TOKEN_PREFIX
from ilp.core.ids import crockford, new_token, token_hash

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple"


def make_company(name: str | None = None, **fields) -> Company:
    n = next(_seq)
    fields.setdefault("gaid", f"GA{crockford(8)}")
    return Company.objects.create(name=name or f"Company {n}", country="DE", **fields)


def make_user(
    email: str | None = None,
    *,
    company: Company | None = None,
    role: str = "user",
    password: str = PASSWORD,
    **fields,
) -> User:
    email = email or f"person{next(_seq)}@example.test"
    fields.setdefault("first_name", email.split("@")[0].title())
    fields.setdefault("last_name", "Tester")
    user = User.objects.create_user(email, password, **fields)
    if company is not None:
        Membership.objects.create(user=user, company=company, role=role)
    return user


def add_member(user: User, company: Company, role: str = "user") -> Membership:
    return Membership.objects.create(user=user, company=company, role=role)


def make_user_token(user: User) -> str:
    token = new_token(USER_TOKEN_PREFIX)
    ApiToken.objects.create(user=user, name="test", token_hash=token_hash(token))
    return token


def make_staff_token(name: str = "erp", role: str = "operator") -> str:
    """A staff token; `operator` by default, like `ilp create-staff-token`."""
    token = new_token(STAFF_TOKEN_PREFIX)
    StaffToken.objects.create(name=name, role=role, token_hash=token_hash(token))
    return token


def make_staff_user(
    email: str | None = None, *, role: str = "support", two_factor: bool = True, **fields
) -> User:
    """A person of the vendor's back office with a staff role; with two-factor sign-in on
    (staff need it) unless `two_factor=False`."""
    user = make_user(email or f"staff{next(_seq)}@vendor.test", is_staff=True, **fields)
    StaffMember.objects.create(user=user, role=role)
    if two_factor:
        TwoFactor.objects.create(user=user, secret=secret_new(), confirmed_at=timezone.now())
    return user
