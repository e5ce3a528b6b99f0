"""Two-factor sign-in with TOTP and one-time recovery codes (rule 17).

Wrong codes are counted on the person's TwoFactor row, whether they come through the API or
the portal, logging in or on a `/me/2fa…` route (API.md, "Account and credential safety"):
from the 5th wrong code in a row on, the next code may be tried only 2^(n−5) minutes after
the n-th (at most a day), and the person is mailed at the 5th; a right code resets the count.
The row is locked (`select_for_update`) before it is read, so concurrent guesses queue up and
each sees the count of the one before. A wrong code's count is committed even though the
request then fails: the services that check a code do so in a transaction of their own and
raise only after it."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.errors import Conflict, Invalid, Throttled, wait_text
from ilp.notifications.services import mail_enqueue

from .. import otp, selectors
from ..audit_actions import AuditAction
from ..errors import AccountError
from ..models import RecoveryCode, StaffMember, TwoFactor, User
from .common import link_url

# The 5th wrong code in a row locks for 1 minute, the 6th for 2, … at most a day.
FAILURES_FREE = 4
LOCK_MAX = timedelta(hours=24)
TWO_FACTOR_PATH = "profile/two-factor"


def _two_factor_locked(user: User) -> TwoFactor | None:
    return TwoFactor.objects.select_for_update().filter(user=user).first()


def _otp_invalid_422() -> Invalid:
    message = _("The code is wrong or was used already. Enter the current code of your app.")
    return Invalid(
        message, code=AccountError.OTP_INVALID, errors=[{"loc": ["body", "otp"], "msg": message}]
    )


def _otp_required_422() -> Invalid:
    message = _("Two-factor sign-in is on: enter a current code of your app or a recovery code.")
    return Invalid(
        message, code=AccountError.OTP_REQUIRED, errors=[{"loc": ["body", "otp"], "msg": message}]
    )


def lock_delay(failures: int) -> timedelta:
    """How long the n-th wrong code in a row locks: none before the 5th, then 2^(n−5)
    minutes, at most a day."""
    if failures <= FAILURES_FREE:
        return timedelta(0)
    exponent = failures - FAILURES_FREE - 1
    return LOCK_MAX if exponent >= 11 else min(timedelta(minutes=2**exponent), LOCK_MAX)


class OtpLocked(Throttled):
    """429 `otp_locked`: too many wrong codes in a row; Retry-After says how long to wait."""

    def __init__(self, *, retry_after: int):
        super().__init__(
            _("Too many wrong codes in a row. Try again in %(wait)s.")
            % {"wait": wait_text(retry_after)},
            retry_after=retry_after,
            code=AccountError.OTP_LOCKED,
        )


def _lock_check(two_factor: TwoFactor) -> None:
    """Refuse the attempt while the row is locked (the attempt is not counted)."""
    until = two_factor.locked_until
    if until is not None:
        left = (until - timezone.now()).total_seconds()
        if left > 0:
            raise OtpLocked(retry_after=max(1, int(-(-left // 1))))


def _attempt_record(two_factor: TwoFactor, *, accepted: bool) -> None:
    """Count a wrong code (lock from the 5th, mail at the 5th) or reset after a right one.
    The caller holds the row's lock."""
    if accepted:
        if two_factor.failures or two_factor.locked_until:
            two_factor.failures = 0
            two_factor.locked_until = None
            two_factor.save(update_fields=["failures", "locked_until"])
        return
    now = timezone.now()
    two_factor.failures += 1
    two_factor.last_failure_at = now
    delay = lock_delay(two_factor.failures)
    two_factor.locked_until = now + delay if delay else None
    two_factor.save(update_fields=["failures", "last_failure_at", "locked_until"])
    if two_factor.failures == FAILURES_FREE + 1:
        user = two_factor.user
        # The person cannot log in to act: the link is to "forgot your password?".
        _two_factor_mail(user, "two_factor_locked", link=link_url("password-reset", "")[:-1])
        event_record(
            actor=Actor.system(),
            action=AuditAction.USER_TWO_FACTOR_LOCKED,
            obj_type="user",
            obj_id=user.email,
            after={"failures": two_factor.failures},
        )


def _two_factor_mail(user: User, template: str, *, link: str = "") -> None:
    """Tell the person of a change to (or an attack on) their second factor, so that one
    they did not make does not go unnoticed; in the change's transaction (the outbox)."""
    mail_enqueue(
        to=user.email,
        template=template,
        language=user.language or "en",
        context={"first_name": user.first_name, "link": link or link_url(TWO_FACTOR_PATH, "")},
    )


def _code_check(*, user: User, code: str | None) -> str | None:
    """Check a current or recovery code of the active authenticator in a transaction of its
    own and count the attempt: the kind of code accepted, or None for a wrong one (counted
    and committed). 429 `otp_locked` while locked; None also when two-factor is off."""
    with transaction.atomic():
        two_factor = _two_factor_locked(user)
        if two_factor is None or not two_factor.is_active:
            return None
        _lock_check(two_factor)
        kind = _code_accept(two_factor, code or "")
        _attempt_record(two_factor, accepted=kind is not None)
        if kind == "recovery_code":
            event_record(
                actor=Actor.for_user(user),
                action=AuditAction.USER_RECOVERY_CODE_USED,
                obj_type="user",
                obj_id=user.email,
                after={
                    "left": RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
                },
            )
    return kind


def _code_require(*, user: User, code: str | None) -> None:
    """For a `/me/2fa…` change with two-factor on: 422 `otp_required` without a code, 422
    `otp_invalid` for a wrong one (counted), 429 `otp_locked` while locked."""
    if not (code or "").strip():
        raise _otp_required_422()
    if _code_check(user=user, code=code) is None:
        raise _otp_invalid_422()


def two_factor_begin(*, actor: Actor, user: User, code: str | None = None) -> tuple[str, str]:
    """Start setting up an authenticator: a new secret, not active until a code from it is
    confirmed. With two-factor on already, a current or recovery code of the active one is
    needed (`code`: 422 `otp_required` / `otp_invalid`, 429 `otp_locked`), so that a stolen
    session or token cannot replace it; it keeps working until the new one is confirmed (how
    a person moves to a new phone). Returns (secret, otpauth URI)."""
    if selectors.two_factor_active(user=user):
        _code_require(user=user, code=code)
    return _two_factor_begin(actor=actor, user=user)


@transaction.atomic
def _two_factor_begin(*, actor: Actor, user: User) -> tuple[str, str]:
    two_factor = _two_factor_locked(user) or TwoFactor(user=user)
    two_factor.pending_secret = otp.secret_new()
    two_factor.save()
    event_record(
        actor=actor,
        action=AuditAction.USER_TWO_FACTOR_SETUP_STARTED,
        obj_type="user",
        obj_id=user.email,
    )
    return two_factor.pending_secret, otp.provisioning_uri(
        secret=two_factor.pending_secret, email=user.email
    )


@transaction.atomic
def two_factor_confirm(*, actor: Actor, user: User, code: str) -> list[str]:
    """Turn on the authenticator being set up with one of its codes (409
    `two_factor_not_started` without a set-up, 422 `otp_invalid` for a wrong code). Returns ten
    new recovery codes, shown once and stored hashed; earlier ones stop working."""
    two_factor = _two_factor_locked(user)
    if two_factor is None or not two_factor.pending_secret:
        raise Conflict(
            _("Start setting up two-factor sign-in first."),
            code=AccountError.TWO_FACTOR_NOT_STARTED,
        )
    step = otp.totp_step_matching(
        secret=two_factor.pending_secret, code=otp.code_normalize(code), after_step=0
    )
    if step is None:
        raise _otp_invalid_422()
    renewed = two_factor.is_active
    two_factor.secret, two_factor.pending_secret = two_factor.pending_secret, ""
    two_factor.confirmed_at = timezone.now()
    two_factor.last_step = step
    two_factor.save()
    codes = _recovery_codes_replace(user)
    two_factor.failures, two_factor.locked_until = 0, None
    two_factor.save(update_fields=["failures", "locked_until"])
    _two_factor_mail(user, "two_factor_replaced" if renewed else "two_factor_enabled")
    event_record(
        actor=actor,
        action=AuditAction.USER_TWO_FACTOR_ENABLED,
        obj_type="user",
        obj_id=user.email,
        after={"new_authenticator": renewed},
    )
    return codes


def _recovery_codes_replace(user: User) -> list[str]:
    codes = otp.recovery_codes_new()
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=otp.recovery_code_hash(c)) for c in codes
    )
    return codes


def recovery_codes_renew(*, actor: Actor, user: User, code: str | None) -> list[str]:
    """Ten new recovery codes for a current or recovery code (422 `otp_required` /
    `otp_invalid`, 429 `otp_locked`); the earlier ones stop working. 409
    `two_factor_not_active` when two-factor is off."""
    if not selectors.two_factor_active(user=user):
        raise Conflict(_("Two-factor sign-in is not on."), code=AccountError.TWO_FACTOR_NOT_ACTIVE)
    _code_require(user=user, code=code)
    return _recovery_codes_renew(actor=actor, user=user)


@transaction.atomic
def _recovery_codes_renew(*, actor: Actor, user: User) -> list[str]:
    two_factor = _two_factor_locked(user)
    if two_factor is None or not two_factor.is_active:  # turned off meanwhile
        raise Conflict(_("Two-factor sign-in is not on."), code=AccountError.TWO_FACTOR_NOT_ACTIVE)
    codes = _recovery_codes_replace(user)
    _two_factor_mail(user, "recovery_codes_renewed")
    event_record(
        actor=actor,
        action=AuditAction.USER_RECOVERY_CODES_RENEWED,
        obj_type="user",
        obj_id=user.email,
    )
    return codes


def _code_accept(two_factor: TwoFactor, code: str) -> str | None:
    """Use up a code of the active authenticator or a recovery code; which kind, or None.
    The caller holds the TwoFactor row's lock."""
    code = otp.code_normalize(code)
    if not code:
        return None
    if otp.is_totp_shaped(code):
        step = otp.totp_step_matching(
            secret=two_factor.secret, code=code, after_step=two_factor.last_step
        )
        if step is None:
            return None
        two_factor.last_step = step
        two_factor.save(update_fields=["last_step"])
        return "totp"
    used = RecoveryCode.objects.filter(
        user_id=two_factor.user_id, code_hash=otp.recovery_code_hash(code), used_at__isnull=True
    ).update(used_at=timezone.now())
    return "recovery_code" if used else None


def otp_verify(*, user: User, code: str | None) -> bool:
    """Whether `code` is the person's current TOTP code (each accepted once) or one of their
    unused recovery codes (then used up, and audited). False also when two-factor is off. A
    wrong code is counted (and committed); 429 `otp_locked` while the count locks."""
    return _code_check(user=user, code=code) is not None


def _off(two_factor: TwoFactor) -> None:
    two_factor.secret = two_factor.pending_secret = ""
    two_factor.confirmed_at = None
    two_factor.failures, two_factor.locked_until = 0, None
    two_factor.save()
    RecoveryCode.objects.filter(user_id=two_factor.user_id).delete()


def _disable_check(user: User) -> None:
    if not selectors.two_factor_active(user=user):
        raise Conflict(_("Two-factor sign-in is not on."), code=AccountError.TWO_FACTOR_NOT_ACTIVE)
    if StaffMember.objects.filter(user=user).exists():
        # Vendor staff always sign in with a second factor (rule 25).
        raise Conflict(
            _("Vendor staff need two-factor sign-in, so it stays on."),
            code=AccountError.TWO_FACTOR_REQUIRED,
        )
    requiring = selectors.companies_requiring_two_factor(user=user)
    if requiring:
        raise Conflict(
            _("%(companies)s require two-factor sign-in of their members, so it stays on.")
            % {"companies": ", ".join(c.name for c in requiring)},
            code=AccountError.TWO_FACTOR_REQUIRED,
        )


def two_factor_disable(*, actor: Actor, user: User, code: str) -> None:
    """Turn two-factor sign-in off with a current code or a recovery code: 409
    `two_factor_not_active` when it is off, 422 `otp_invalid` for a wrong code (counted), 429
    `otp_locked` while locked, 409 `two_factor_required` while a company of the person
    requires it (naming them)."""
    _disable_check(user)
    _code_require(user=user, code=code)
    _two_factor_disable(actor=actor, user=user)


@transaction.atomic
def _two_factor_disable(*, actor: Actor, user: User) -> None:
    two_factor = _two_factor_locked(user)
    if two_factor is None or not two_factor.is_active:  # turned off meanwhile
        return
    _disable_check(user)  # a company may have started to require it meanwhile
    _off(two_factor)
    _two_factor_mail(user, "two_factor_disabled")
    event_record(
        actor=actor, action=AuditAction.USER_TWO_FACTOR_DISABLED, obj_type="user", obj_id=user.email
    )


@transaction.atomic
def two_factor_reset(*, actor: Actor, user: User) -> None:
    """Turn a person's two-factor sign-in off without a code: the vendor's support, for
    someone who lost both their phone and their recovery codes (the admin's action)."""
    two_factor = _two_factor_locked(user)
    if two_factor is None:
        return
    was_active = two_factor.is_active
    _off(two_factor)
    if was_active:
        _two_factor_mail(user, "two_factor_disabled")
    event_record(
        actor=actor, action=AuditAction.USER_TWO_FACTOR_RESET, obj_type="user", obj_id=user.email
    )


@transaction.atomic
def two_factor_secrets_reencrypt() -> int:
    """Encrypt every stored TOTP secret again with the current ILP_TOTP_KEY, so that after a
    rotation the old key can leave ILP_TOTP_KEY_FALLBACKS (sign-ins save only `last_step`, so
    a secret is otherwise never re-encrypted). Changes no state a person sees: no audit event,
    like the signing key's rotation. Returns how many people's secrets were re-encrypted."""
    rows = list(
        TwoFactor.objects.select_for_update().exclude(secret="", pending_secret="").order_by("pk")
    )
    for two_factor in rows:
        two_factor.save(update_fields=["secret", "pending_secret"])
    return len(rows)
