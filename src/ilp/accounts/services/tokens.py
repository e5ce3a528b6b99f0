"""API tokens of users and staff tokens of the vendor's back office; stored hashed."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.auth import STAFF_TOKEN_PREFIX, TOKEN_SCOPES, USER_TOKEN_PREFIX
from ilp.core.authz import StaffRole
from ilp.core.bounds import MAX_DAYS
from ilp.core.errors import Invalid, NotFound, Unauthorized
from ilp.core.idempotency import credential_forget
from ilp.core.ids import new_token, token_hash

from .. import selectors
from ..audit_actions import AuditAction
from ..errors import AccountError
from ..models import ApiToken, StaffToken, User, normalize_email
from .two_factor import otp_verify

LOGIN_TOKEN_NAME = "API login"
TOKEN_MAX_DAYS = MAX_DAYS


def _expiry(expires_in_days: int | None):
    if expires_in_days is None:
        return None
    if not 1 <= expires_in_days <= TOKEN_MAX_DAYS:
        message = _("Choose between 1 and %(max)s days.") % {"max": TOKEN_MAX_DAYS}
        raise Invalid(
            message,
            code=AccountError.VALIDATION_ERROR,
            errors=[{"loc": ["body", "expires_in_days"], "msg": message}],
        )
    return timezone.now() + timedelta(days=expires_in_days)


def _limits_invalid(field: str, message: str) -> Invalid:
    return Invalid(
        message,
        code=AccountError.VALIDATION_ERROR,
        errors=[{"loc": ["body", field], "msg": message}],
    )


def api_token_limits(
    *, user: User, scopes: list[str] | None = None, companies: list[str] | None = None
) -> tuple[list[str], list[str] | None]:
    """The scopes and companies a new API token of the person gets (API.md, "Scoped
    tokens"): the one check every way of making a token passes (`POST /auth/tokens`, the
    profile page, `POST /me/tokens`). `scopes` ⊆ ["read", "write"], not empty, default both;
    `companies` GAIDs of companies the person is a member of (422 for any other, alike
    whether it exists), not empty, default None: every company of the person, now and later.
    Returns them in their canonical order."""
    if scopes is None:
        scopes = list(TOKEN_SCOPES)
    unknown = [s for s in scopes if s not in TOKEN_SCOPES]
    if unknown or not scopes:
        raise _limits_invalid(
            "scopes", _("Choose the scopes among %(scopes)s.") % {"scopes": ", ".join(TOKEN_SCOPES)}
        )
    scopes = [s for s in TOKEN_SCOPES if s in scopes]
    if companies is None:
        return scopes, None
    wanted = {(g or "").strip().upper() for g in companies}
    mine = set(
        selectors.memberships_of(user=user, gaids=wanted).values_list("company__gaid", flat=True)
    )
    if not wanted or wanted - mine:
        raise _limits_invalid(
            "companies",
            _("Name one or more companies you are a member of, by their GAID."),
        )
    return scopes, sorted(mine)


@transaction.atomic
def api_token_create(
    *,
    actor: Actor,
    user: User,
    name: str = "",
    expires_in_days: int | None = None,
    scopes: list[str] | None = None,
    companies: list[str] | None = None,
    sso: bool = False,
) -> tuple[ApiToken, str]:
    """A new API token for the user, named, expiring after `expires_in_days` (never without),
    limited to `scopes` and `companies` (`api_token_limits`); the raw token is returned once
    and stored hashed. `sso`: made in a session signed in by single sign-on (it counts as SSO
    where a company requires it)."""
    scopes, companies = api_token_limits(user=user, scopes=scopes, companies=companies)
    token = new_token(USER_TOKEN_PREFIX)
    api_token = ApiToken.objects.create(
        user=user,
        name=(name or "").strip()[:100],
        token_hash=token_hash(token),
        expires_at=_expiry(expires_in_days),
        scopes=scopes,
        companies=companies,
        sso=sso,
    )
    event_record(
        actor=actor,
        action=AuditAction.API_TOKEN_CREATED,
        obj_type="api_token",
        obj_id=api_token.pk,
        after={
            "user": user.email,
            "name": api_token.name,
            "expires_at": api_token.expires_at.isoformat() if api_token.expires_at else None,
            "scopes": scopes,
            "companies": companies,
            "sso": sso,
        },
    )
    return api_token, token


def auth_token_issue(
    *,
    email: str,
    password: str,
    otp: str | None = None,
    name: str = "",
    expires_in_days: int | None = None,
    scopes: list[str] | None = None,
    companies: list[str] | None = None,
) -> tuple[ApiToken, str]:
    """Log in with e-mail and password (and, with two-factor on, a code or recovery code in
    `otp`) for an API token.

    401 alike for an unknown e-mail and a wrong password (Django's backend spends the hashing
    time for unknown e-mails too); then, only for the right password, 401 `otp_required` or
    `otp_invalid`, or 429 `otp_locked` after too many wrong codes in a row. Not one
    transaction: a wrong code's count is committed by `otp_verify` before the 401.

    A token made here is named ("API login" unless given) and expires after
    `expires_in_days`, by default settings.ILP_LOGIN_TOKEN_DAYS: logging in again and again
    does not pile up permanent tokens."""
    user = authenticate(username=normalize_email(email), password=password or "")
    if user is None:
        raise Unauthorized(_("E-mail or password is wrong."), code=AccountError.INVALID_CREDENTIALS)
    if selectors.two_factor_active(user=user):
        if not (otp or "").strip():
            raise Unauthorized(
                _("Two-factor sign-in is on: send the code of your authenticator app in `otp`."),
                code=AccountError.OTP_REQUIRED,
            )
        if not otp_verify(user=user, code=otp):
            raise Unauthorized(
                _("The code is wrong or was used already."), code=AccountError.OTP_INVALID
            )
    return api_token_create(
        actor=Actor.for_user(user),
        user=user,
        name=(name or "").strip() or LOGIN_TOKEN_NAME,
        expires_in_days=(
            settings.ILP_LOGIN_TOKEN_DAYS if expires_in_days is None else expires_in_days
        ),
        scopes=scopes,
        companies=companies,
    )


@transaction.atomic
def api_token_revoke(*, actor: Actor, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's API tokens (it stops working at once)."""
    api_token = ApiToken.objects.select_for_update().filter(user=user, pk=token_id).first()
    if api_token is None:
        raise NotFound(_("No such token."), code=AccountError.TOKEN_NOT_FOUND)
    if api_token.revoked_at is None:
        api_token.revoked_at = timezone.now()
        api_token.save(update_fields=["revoked_at"])
        credential_forget(api_token.token_hash)
        event_record(
            actor=actor,
            action=AuditAction.API_TOKEN_REVOKED,
            obj_type="api_token",
            obj_id=api_token.pk,
            before={"user": user.email, "name": api_token.name},
        )
    return api_token


@transaction.atomic
def api_tokens_revoke_all(*, actor: Actor, user: User, reason: str) -> int:
    """Revoke every working API token of the person (their password was reset or changed:
    a token taken with the old password must not outlive it). Returns how many."""
    tokens = list(
        ApiToken.objects.select_for_update()
        .filter(user=user, revoked_at__isnull=True)
        .order_by("pk")
    )
    now = timezone.now()
    for api_token in tokens:
        api_token.revoked_at = now
        api_token.save(update_fields=["revoked_at"])
        event_record(
            actor=actor,
            action=AuditAction.API_TOKEN_REVOKED,
            obj_type="api_token",
            obj_id=api_token.pk,
            before={"user": user.email, "name": api_token.name},
            after={"reason": reason},
        )
    credential_forget(*(t.token_hash for t in tokens))
    return len(tokens)


@transaction.atomic
def api_tokens_company_drop(*, actor: Actor, user: User, company) -> int:
    """The person left the company (deprovisioned): each live API token of theirs limited to
    it alone is revoked; one limited to it and others keeps the others. A token for every
    company stays: it loses the company with the membership. Returns how many were revoked."""
    gaid = company.gaid
    tokens = [
        t
        for t in ApiToken.objects.select_for_update()
        .filter(ApiToken.live(), user=user, companies__isnull=False)
        .order_by("pk")
        if gaid in (t.companies or [])
    ]
    revoked = []
    for api_token in tokens:
        before = {"user": user.email, "name": api_token.name, "companies": api_token.companies}
        api_token.companies = [g for g in api_token.companies if g != gaid]
        if api_token.companies:
            api_token.save(update_fields=["companies"])
            action, after = AuditAction.API_TOKEN_LIMITED, {"companies": api_token.companies}
        else:
            api_token.companies = before["companies"]
            api_token.revoked_at = timezone.now()
            api_token.save(update_fields=["revoked_at"])
            revoked.append(api_token)
            action, after = (
                AuditAction.API_TOKEN_REVOKED,
                {"reason": "membership_ended", "company": gaid},
            )
        event_record(
            actor=actor,
            company=company,
            action=action,
            obj_type="api_token",
            obj_id=api_token.pk,
            before=before,
            after=after,
        )
    credential_forget(*(t.token_hash for t in tokens))
    return len(revoked)


@transaction.atomic
def staff_token_create(
    *, actor: Actor, name: str, role: str = StaffRole.OPERATOR
) -> tuple[StaffToken, str]:
    """A new staff (vendor back-office) token with a staff role (default `operator`, what the
    ERP feed needs); the raw token is returned once."""
    if role not in StaffRole.values:
        message = _("Choose one of the staff roles: %(roles)s.") % {
            "roles": ", ".join(StaffRole.values)
        }
        raise Invalid(
            message,
            code=AccountError.VALIDATION_ERROR,
            errors=[{"loc": ["body", "role"], "msg": message}],
        )
    token = new_token(STAFF_TOKEN_PREFIX)
    staff = StaffToken.objects.create(name=name, role=role, token_hash=token_hash(token))
    event_record(
        actor=actor,
        action=AuditAction.STAFF_TOKEN_CREATED,
        obj_type="staff_token",
        obj_id=staff.pk,
        after={"name": name, "role": role},
    )
    return staff, token


@transaction.atomic
def staff_token_revoke(*, actor: Actor, staff_token_id: int) -> StaffToken:
    """Revoke a staff token; scripts using it get 401 from now on."""
    staff = StaffToken.objects.select_for_update().filter(pk=staff_token_id).first()
    if staff is None:
        raise NotFound(_("No such token."), code=AccountError.TOKEN_NOT_FOUND)
    if staff.revoked_at is None:
        staff.revoked_at = timezone.now()
        staff.save(update_fields=["revoked_at"])
        credential_forget(staff.token_hash)
        event_record(
            actor=actor,
            action=AuditAction.STAFF_TOKEN_REVOKED,
            obj_type="staff_token",
            obj_id=staff.pk,
            before={"name": staff.name},
        )
    return staff
