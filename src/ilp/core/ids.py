"""Identifiers and secrets: Crockford base32 IDs, opaque tokens, token hashing."""

import hashlib
import secrets

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def crockford(length: int) -> str:
    """A random string of Crockford base32 characters (no I, L, O, U).

    One read of the system's random source per ID, five uniform bits of each byte (256 is
    a multiple of 32): a 1,000-device batch makes 1,000 license IDs, and one
    `secrets.choice` per character cost more than signing them."""
    return "".join([CROCKFORD[b & 31] for b in secrets.token_bytes(length)])


def new_token(prefix: str, nbytes: int = 32) -> str:
    """An opaque secret with a readable kind prefix, e.g. `ilpu_…` for a user API token."""
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"


def token_hash(token: str) -> str:
    """Tokens are stored only as their SHA-256; they carry enough entropy for a plain hash."""
    return hashlib.sha256(token.encode()).hexdigest()
