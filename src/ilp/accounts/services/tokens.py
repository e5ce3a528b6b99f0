"""API tokens of users and staff tokens of the vendor's back office; stored hashed."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.auth import STAFF_TOKEN_PREFIX, USER_TOKEN_PREFIX
from ilp.core.authz import StaffRole
from ilp.core.bounds import MAX_DAYS
from ilp.core.errors import Invalid, NotFound, Unauthorized
from ilp.core.idempotency import credential_forget
from ilp.core.ids import new_token, token_hash

from .. import selectors
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


@transaction.atomic
def api_token_create(
    *, actor: Actor, user: User, name: str = "", expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """A new API token for the user, named, expiring after `expires_in_days` (never without);
    the raw token is returned once and stored hashed."""
    token = new_token(USER_TOKEN_PREFIX)
    api_token = ApiToken.objects.create(
        user=user,
        name=(name or "").strip()[:100],
        token_hash=token_hash(token),
        expires_at=_expiry(expires_in_days),
    )
    event_record(
        actor=actor,
        action="api_token.created",
        obj_type="api_token",
        obj_id=api_token.pk,
        after={
            "user": user.email,
            "name": api_token.name,
            "expires_at": api_token.expires_at.isoformat() if api_token.expires_at else None,
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
            action="api_token.revoked",
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
            action="api_token.revoked",
            obj_type="api_token",
            obj_id=api_token.pk,
            before={"user": user.email, "name": api_token.name},
            after={"reason": reason},
        )
    credential_forget(*(t.token_hash for t in tokens))
    return len(tokens)


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
        action="staff_token.created",
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
            action="staff_token.revoked",
            obj_type="staff_token",
            obj_id=staff.pk,
            before={"name": staff.name},
        )
    return staff
