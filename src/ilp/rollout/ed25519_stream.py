"""Ed25519 (RFC 8032) over a message read in chunks: the signature of a license file that
does not fit in memory comfortably (issue 14).

Pure Ed25519 hashes the message twice — `r = H(prefix ‖ M)`, then `k = H(R ‖ A ‖ M)` — so
a message on disk is read twice instead of held in memory; the only curve operation is one
fixed-base multiplication `R = r·B` (a few milliseconds in Python). The signature is
byte-identical to `cryptography`'s (Ed25519 is deterministic); a test compares them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_GY = 4 * pow(5, _P - 2, _P) % _P


def _recover_x(y: int, sign: int) -> int:
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * pow(2, (_P - 1) // 4, _P) % _P
    if x % 2 != sign:
        x = _P - x
    return x


_GX = _recover_x(_GY, 0)
_G = (_GX, _GY, 1, _GX * _GY % _P)  # extended coordinates (X, Y, Z, T)


def _add(p, q):
    a = (p[1] - p[0]) * (q[1] - q[0]) % _P
    b = (p[1] + p[0]) * (q[1] + q[0]) % _P
    c = 2 * p[3] * q[3] * _D % _P
    d = 2 * p[2] * q[2] % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _mul(s: int, p):
    q = (0, 1, 1, 0)  # neutral element
    while s > 0:
        if s & 1:
            q = _add(q, p)
        p = _add(p, p)
        s >>= 1
    return q


def _encode(p) -> bytes:
    zinv = pow(p[2], _P - 2, _P)
    x, y = p[0] * zinv % _P, p[1] * zinv % _P
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


def _h(*parts: bytes, chunks: Iterable[bytes] = ()) -> int:
    digest = hashlib.sha512()
    for part in parts:
        digest.update(part)
    for chunk in chunks:
        digest.update(chunk)
    return int.from_bytes(digest.digest(), "little")


def sign_chunks(private: Ed25519PrivateKey, chunks: Callable[[], Iterable[bytes]]) -> bytes:
    """The Ed25519 signature of the concatenation of `chunks()` (called twice)."""
    seed = private.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    r = _h(h[32:], chunks=chunks()) % _L
    big_r = _encode(_mul(r, _G))
    k = _h(big_r, public, chunks=chunks()) % _L
    s = (r + k * a) % _L
    return big_r + int.to_bytes(s, 32, "little")
