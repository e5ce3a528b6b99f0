"""Signed license documents: Ed25519 keys, JWS compact (EdDSA), the JWKS, offline checks.

Where the private key comes from:
- `ILP_SIGNING_KEY` (PEM, or base64 / base64url of the 32 raw private-key bytes), else
- `<ILP_DATA_DIR>/signing/current.pem`, generated on first use (mode 0600).

Only public keys go to the database (`SigningKey`): whichever process signs registers its
key there first, so every process publishes the same JWKS, and a key stays published after
rotation so that the licenses it signed keep verifying. The kid is the RFC 7638 thumbprint.

Signing uses `cryptography` directly: a JWS compact serialisation is three base64url parts,
and doing it by hand keeps a 1000-license batch cheap (no per-token key objects).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from ilp.core.errors import Conflict

from .errors import RolloutError
from .models import SigningKey

LICENSE_TYP = "ilp-license+jwt"
LICENSE_FILE_TYP = "ilp-license-file+jwt"
REVOCATIONS_TYP = "ilp-revocations+jwt"
GRACE_DAYS = 28


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical_json(obj) -> bytes:
    """The JSON of every signed claim set: no spaces, keys in their order, UTF-8."""
    return json.dumps(obj, separators=(",", ":"), sort_keys=False, ensure_ascii=False).encode()


_canonical = canonical_json


@dataclass(frozen=True)
class SigningKeyPair:
    private: Ed25519PrivateKey
    kid: str
    public_jwk: dict


def public_jwk(public: Ed25519PublicKey) -> dict:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw)}


def thumbprint(jwk: dict) -> str:
    """RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace."""
    required = {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}
    digest = hashlib.sha256(json.dumps(required, separators=(",", ":")).encode()).digest()
    return b64u(digest)


def _pair(private: Ed25519PrivateKey) -> SigningKeyPair:
    jwk = public_jwk(private.public_key())
    return SigningKeyPair(private=private, kid=thumbprint(jwk), public_jwk=jwk)


def private_key_from_text(text: str) -> Ed25519PrivateKey:
    """A PEM private key, or base64 / base64url of the 32 raw bytes."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("ILP_SIGNING_KEY is not an Ed25519 key")
        return key
    try:
        raw = b64u_decode(text.replace("+", "-").replace("/", "_").rstrip("="))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("ILP_SIGNING_KEY is neither PEM nor base64") from exc
    if len(raw) != 32:
        raise ValueError("ILP_SIGNING_KEY must hold 32 raw bytes")
    return Ed25519PrivateKey.from_private_bytes(raw)


def _pem(private: Ed25519PrivateKey) -> bytes:
    return private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def key_dir() -> Path:
    return Path(settings.DATA_DIR) / "signing"


def _current_path() -> Path:
    return key_dir() / "current.pem"


def _write_new_key(path: Path, private: Ed25519PrivateKey, *, exclusive: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(_pem(private))
    if exclusive:
        # Two processes starting together: the first link wins, the other uses its key.
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    else:
        os.replace(tmp, path)


_cache: dict[tuple, SigningKeyPair] = {}
_lock = threading.Lock()


def current_key() -> SigningKeyPair:
    """The key that signs now (not registered in the database; see `signing_key_current`)."""
    env = settings.ILP_SIGNING_KEY
    if env:
        cache_key = ("env", env)
        with _lock:
            if cache_key not in _cache:
                _cache[cache_key] = _pair(private_key_from_text(env))
            return _cache[cache_key]
    path = _current_path()
    if not path.exists():
        _write_new_key(path, Ed25519PrivateKey.generate(), exclusive=True)
    stat = path.stat()
    # A rotation by another process replaces the file: the mtime/inode key notices it.
    cache_key = ("file", str(path), stat.st_mtime_ns, stat.st_ino)
    with _lock:
        if cache_key not in _cache:
            _cache[cache_key] = _pair(private_key_from_text(path.read_text()))
        return _cache[cache_key]


# (database, kid) of keys whose JWKS row this process saw committed: every issuance needs
# the current key registered, but asking the database each time cost a query per request.
# Filled only after a commit (a rolled-back registration is not remembered); emptied when a
# database is flushed (post_migrate, see apps.py).
_registered: set[tuple[str, str]] = set()


def registered_forget(**_kwargs) -> None:
    _registered.clear()


def signing_key_current() -> SigningKeyPair:
    """The current key, registered in the JWKS table (a query only the first time a process
    uses a key)."""
    pair = current_key()
    seen = (connection.settings_dict["NAME"], pair.kid)
    if seen not in _registered:
        SigningKey.objects.get_or_create(kid=pair.kid, defaults={"public_jwk": pair.public_jwk})
        transaction.on_commit(lambda: _registered.add(seen))
    return pair


def signing_key_rotate() -> SigningKeyPair:
    """Make a new current key; old public keys stay in the JWKS. Keeps the old private key
    file as `<kid>.pem` beside it (not used for signing any more)."""
    if settings.ILP_SIGNING_KEY:
        raise Conflict(
            _("The signing key comes from ILP_SIGNING_KEY: set a new value there to rotate."),
            code=RolloutError.SIGNING_KEY_FROM_ENVIRONMENT,
        )
    old = current_key()
    SigningKey.objects.get_or_create(kid=old.kid, defaults={"public_jwk": old.public_jwk})
    old_path = key_dir() / f"{old.kid}.pem"
    if not old_path.exists():
        _write_new_key(old_path, old.private, exclusive=False)
    _write_new_key(_current_path(), Ed25519PrivateKey.generate(), exclusive=False)
    return signing_key_current()


@functools.lru_cache(maxsize=64)
def _header(kid: str, typ: str) -> str:
    return b64u(_canonical({"alg": "EdDSA", "kid": kid, "typ": typ}))


def jws_sign(claims: dict, *, pair: SigningKeyPair, typ: str = LICENSE_TYP) -> str:
    signing_input = f"{_header(pair.kid, typ)}.{b64u(_canonical(claims))}"
    signature = pair.private.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64u(signature)}"


def jwks() -> dict:
    """Every published public key, newest first (the current one is registered first)."""
    signing_key_current()
    return {
        "keys": [
            {**k.public_jwk, "kid": k.kid, "alg": "EdDSA", "use": "sig"}
            for k in SigningKey.objects.order_by("-created_at", "-id")
        ]
    }


def date_to_epoch(day: datetime.date) -> int:
    return int(datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC).timestamp())


# --- offline verification (ilp verify-license, tests) -------------------------------------


class VerificationError(Exception):
    pass


def jws_verify(token: str, keyset: dict) -> tuple[dict, dict]:
    """Check a compact JWS against a JWKS; returns (header, claims) or raises."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise VerificationError("not a JWS compact serialisation")
    try:
        header = json.loads(b64u_decode(parts[0]))
        claims = json.loads(b64u_decode(parts[1]))
        signature = b64u_decode(parts[2])
    except (ValueError, binascii.Error) as exc:
        raise VerificationError(f"malformed token: {exc}") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise VerificationError("malformed token")
    if header.get("alg") != "EdDSA":
        raise VerificationError(f"unexpected algorithm {header.get('alg')!r}")
    key = next(
        (
            k
            for k in keyset.get("keys", [])
            if k.get("kid") == header.get("kid") and k.get("kty") == "OKP"
        ),
        None,
    )
    if key is None or key.get("crv") != "Ed25519":
        raise VerificationError(f"unknown key id {header.get('kid')!r}")
    public = Ed25519PublicKey.from_public_bytes(b64u_decode(key["x"]))
    try:
        public.verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii"))
    except InvalidSignature as exc:
        raise VerificationError("bad signature") from exc
    return header, claims


def revocations_verify(token: str, keyset: dict, *, now: datetime.datetime | None = None) -> dict:
    """Check a signed revocation list (or a license file carrying one) against a JWKS;
    returns the revocation list's claims or raises. With `now`, a list past its `exp` (or one
    without, signed before lists expired) is refused: a stale list would still vouch for a
    license returned after it was fetched."""
    header, claims = jws_verify(token, keyset)
    if header.get("typ") == LICENSE_FILE_TYP:
        inner = claims.get("revocations")
        if not isinstance(inner, str):
            raise VerificationError("the license file carries no revocation list")
        header, claims = jws_verify(inner, keyset)
    if header.get("typ") != REVOCATIONS_TYP:
        raise VerificationError(f"not an ILP revocation list (typ {header.get('typ')!r})")
    if not isinstance(claims.get("revoked"), list):
        raise VerificationError("malformed revocation list")
    if now is not None:
        exp = claims.get("exp")
        if not isinstance(exp, int) or isinstance(exp, bool):
            raise VerificationError("revocation list expired (it carries no exp); fetch a new one")
        if now.timestamp() >= exp:
            expired = datetime.datetime.fromtimestamp(exp, datetime.UTC)
            raise VerificationError(
                f"revocation list expired at {expired:%Y-%m-%d %H:%M} UTC; fetch a new one"
            )
    return claims


def license_time_state(claims: dict, now: datetime.datetime) -> tuple[bool, str]:
    """(valid, reason): valid before `exp`, and for `grace_days` after it."""
    exp = claims.get("exp")
    if exp is None:
        return True, "perpetual"
    grace = int(claims.get("grace_days", GRACE_DAYS))
    stamp = now.timestamp()
    if stamp < exp:
        return True, "valid"
    if stamp < exp + grace * 86400:
        return True, "expired, within the grace period"
    return False, "expired beyond the grace period"
