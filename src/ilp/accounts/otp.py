"""TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps) with pyotp, recovery codes, and the
QR code of the set-up page (segno). Pure functions: the services keep the state."""

import hmac
import time

import pyotp
import segno
from django.conf import settings

from ilp.core.ids import crockford, token_hash

STEP_SECONDS = 30
DIGITS = 6
# A code of the step before or after the current one is accepted too: phones' clocks drift
# and people type slowly (RFC 6238 section 5.2 recommends at most one step of delay).
DRIFT_STEPS = 1
RECOVERY_CODES = 10
RECOVERY_CODE_LENGTH = 10  # Crockford base32: 50 bits each, shown as XXXXX-XXXXX


def secret_new() -> str:
    """A new random base32 secret (160 bits, the length RFC 4226 recommends for SHA-1)."""
    return pyotp.random_base32(length=32)


def provisioning_uri(*, secret: str, email: str) -> str:
    """The `otpauth://totp/…` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=email, issuer_name=settings.ILP_TOTP_ISSUER
    )


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code (dark modules on a light background)."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#111", light="#fff")


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def code_normalize(code: str | None) -> str:
    """What a person typed, without spaces and dashes, letters in upper case."""
    return "".join((code or "").split()).replace("-", "").upper()


def is_totp_shaped(code: str) -> bool:
    return len(code) == DIGITS and code.isdigit()


def totp_step_matching(*, secret: str, code: str, after_step: int, now: float | None = None):
    """The time step (within the drift window, later than `after_step`) whose code this is;
    None when no step matches. Compared in constant time."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    step = current_step(now)
    found = None
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code) and candidate > after_step:
            found = candidate
    return found


def totp_code(secret: str, now: float | None = None) -> str:
    """The code of the current step (tests and the demo use it)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(current_step(now))


def recovery_codes_new() -> list[str]:
    """Ten fresh recovery codes as shown to the person (XXXXX-XXXXX)."""
    half = RECOVERY_CODE_LENGTH // 2
    codes = (crockford(RECOVERY_CODE_LENGTH) for _ in range(RECOVERY_CODES))
    return [f"{c[:half]}-{c[half:]}" for c in codes]


def recovery_code_hash(code: str) -> str:
    """Recovery codes are stored as the SHA-256 of their normalised form (50 random bits each,
    and every guess is throttled, so a plain hash is enough)."""
    return token_hash(code_normalize(code))
