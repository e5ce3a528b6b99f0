"""Two-factor sign-in with TOTP and one-time recovery codes (rule 17)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.errors import Conflict, Invalid

from .. import otp, selectors
from ..errors import AccountError
from ..models import RecoveryCode, TwoFactor, User


def _two_factor_locked(user: User) -> TwoFactor | None:
    return TwoFactor.objects.select_for_update().filter(user=user).first()


def _otp_invalid_422() -> Invalid:
    message = _("The code is wrong or was used already. Enter the current code of your app.")
    return Invalid(
        message, code=AccountError.OTP_INVALID, errors=[{"loc": ["body", "otp"], "msg": message}]
    )


@transaction.atomic
def two_factor_begin(*, actor: Actor, user: User) -> tuple[str, str]:
    """Start setting up an authenticator: a new secret, not active until a code from it is
    confirmed. With two-factor on already, the active authenticator keeps working until the
    new one is confirmed (how a person moves to a new phone). Returns (secret, otpauth URI)."""
    two_factor = _two_factor_locked(user) or TwoFactor(user=user)
    two_factor.pending_secret = otp.secret_new()
    two_factor.save()
    event_record(
        actor=actor, action="user.two_factor_setup_started", obj_type="user", obj_id=user.email
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
    codes = otp.recovery_codes_new()
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=otp.recovery_code_hash(c)) for c in codes
    )
    event_record(
        actor=actor,
        action="user.two_factor_enabled",
        obj_type="user",
        obj_id=user.email,
        after={"new_authenticator": renewed},
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


@transaction.atomic
def otp_verify(*, user: User, code: str | None) -> bool:
    """Whether `code` is the person's current TOTP code (each accepted once) or one of their
    unused recovery codes (then used up, and audited). False also when two-factor is off."""
    two_factor = _two_factor_locked(user)
    if two_factor is None or not two_factor.is_active:
        return False
    kind = _code_accept(two_factor, code or "")
    if kind == "recovery_code":
        event_record(
            actor=Actor.for_user(user),
            action="user.recovery_code_used",
            obj_type="user",
            obj_id=user.email,
            after={"left": RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()},
        )
    return kind is not None


def _off(two_factor: TwoFactor) -> None:
    two_factor.secret = two_factor.pending_secret = ""
    two_factor.confirmed_at = None
    two_factor.save()
    RecoveryCode.objects.filter(user_id=two_factor.user_id).delete()


@transaction.atomic
def two_factor_disable(*, actor: Actor, user: User, code: str) -> None:
    """Turn two-factor sign-in off with a current code or a recovery code: 409
    `two_factor_not_active` when it is off, 422 `otp_invalid` for a wrong code, 409
    `two_factor_required` while a company of the person requires it (naming them)."""
    two_factor = _two_factor_locked(user)
    if two_factor is None or not two_factor.is_active:
        raise Conflict(_("Two-factor sign-in is not on."), code=AccountError.TWO_FACTOR_NOT_ACTIVE)
    requiring = selectors.companies_requiring_two_factor(user=user)
    if requiring:
        raise Conflict(
            _("%(companies)s require two-factor sign-in of their members, so it stays on.")
            % {"companies": ", ".join(c.name for c in requiring)},
            code=AccountError.TWO_FACTOR_REQUIRED,
        )
    if _code_accept(two_factor, code or "") is None:
        raise _otp_invalid_422()
    _off(two_factor)
    event_record(actor=actor, action="user.two_factor_disabled", obj_type="user", obj_id=user.email)


@transaction.atomic
def two_factor_reset(*, actor: Actor, user: User) -> None:
    """Turn a person's two-factor sign-in off without a code: the vendor's support, for
    someone who lost both their phone and their recovery codes (the admin's action)."""
    two_factor = _two_factor_locked(user)
    if two_factor is None:
        return
    _off(two_factor)
    event_record(actor=actor, action="user.two_factor_reset", obj_type="user", obj_id=user.email)


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
