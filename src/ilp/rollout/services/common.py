"""Shared pieces of the rollout services: unit-ID files, bulk audit, signing, pack locks."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence

from django.conf import settings

from ilp.audit.services import events_record_many
from ilp.core.actors import Actor
from ilp.core.ids import crockford
from ilp.licensing.models import ProductPack
from ilp.licensing.services.pack_ops import packs_lock

from .. import signing
from ..licensee import lease_days_of
from ..models import DeviceLicense, UmsInstance

MAX_BATCH = 1000


# --- unit IDs ------------------------------------------------------------------------------


def unit_ids_parse(text: str) -> list[str]:
    """Unit IDs from an uploaded file: one per line, or CSV (first column with a value).

    A header line such as `unit_id` or `mac` is skipped; blank lines are ignored.
    """
    ids: list[str] = []
    for line in text.splitlines():
        cells = [c.strip().strip('"').strip("'") for c in re.split(r"[,;\t]", line)]
        cell = next((c for c in cells if c), "")
        if not cell:
            continue
        if not ids and cell.lower().replace(" ", "_") in {"unit_id", "unitid", "mac", "id"}:
            continue
        ids.append(cell)
    return ids


# --- helpers -------------------------------------------------------------------------------


def _audit_many(*, actor: Actor, company_id, action: str, rows: Sequence[tuple]) -> None:
    events_record_many(actor=actor, company_id=company_id, action=action, rows=rows)


def _new_license_id() -> str:
    return f"LIC-{crockford(12)}"


def _new_ums_id() -> str:
    for _attempt in range(20):
        candidate = f"UMS-{crockford(6)}"
        if not UmsInstance.objects.filter(ums_id=candidate).exists():
            return candidate
    raise RuntimeError("could not find a free UMS ID")


# The stored fields of a license's current document (bulk_update them together).
DOCUMENT_FIELDS = [
    "token",
    "expires_on",
    "document_signed_at",
    "document_expires_at",
    "listed_until",
]


def _epoch(moment: datetime.datetime) -> int:
    return int(moment.timestamp())


def document_expiry(
    *, pack: ProductPack, now: datetime.datetime, lease_days: int
) -> datetime.datetime:
    """When a document signed `now` expires (rule 21): the earlier of the pack's end and the
    end of the lease. Whole seconds, as in the `exp` claim."""
    lease_end = datetime.datetime.fromtimestamp(_epoch(now) + lease_days * 86400, tz=datetime.UTC)
    if pack.expires_on is None:
        return lease_end
    pack_end = datetime.datetime.fromtimestamp(
        signing.date_to_epoch(pack.expires_on), tz=datetime.UTC
    )
    return min(pack_end, lease_end)


def license_claims(
    *, license: DeviceLicense, pack: ProductPack, gaid: str, now, lease_days: int
) -> dict:
    """The claims of a license document (API.md "Public", "Rollout: license lifecycle")."""
    claims = {
        "jti": license.license_id,
        "sub": license.unit_id,
        "product": pack.product.sku,
        "pack": pack.pack_id,
        "subscription_key": pack.subscription_key.key,
        "gaid": gaid,
        "iat": _epoch(now),
        "exp": _epoch(document_expiry(pack=pack, now=now, lease_days=lease_days)),
        "entitled_until": (
            signing.date_to_epoch(pack.expires_on) if pack.expires_on is not None else None
        ),
        "lease": True,
        "grace_days": signing.GRACE_DAYS,
        "iss": settings.ILP_BASE_URL,
    }
    return claims


def license_sign(
    license: DeviceLicense,
    *,
    pack: ProductPack,
    gaid: str,
    pair: signing.SigningKeyPair,
    now,
    lease_days: int | None = None,
) -> None:
    """Sign `license` as a lease of `pack` (in memory: the caller stores DOCUMENT_FIELDS).

    The lease is the one of the license's UMS (load `ums` with it) unless given. The
    license stays on the revocation list, once it ends, until the latest of its documents
    has expired past its grace days (`listed_until`; null: a document from before leases
    that never expires).
    """
    if lease_days is None:
        lease_days = lease_days_of(license.ums if license.ums_id else None)
    claims = license_claims(license=license, pack=pack, gaid=gaid, now=now, lease_days=lease_days)
    _document_store(license, claims=claims, pack=pack, pair=pair, now=now)


def _document_store(
    license: DeviceLicense, *, claims: dict, pack: ProductPack, pair: signing.SigningKeyPair, now
) -> None:
    """Sign `claims` as `license`'s document and set the fields that go with it."""
    never_expiring_before = bool(license.token) and license.document_expires_at is None
    license.token = signing.jws_sign(claims, pair=pair)
    license.expires_on = pack.expires_on
    license.document_signed_at = now  # exact, not `iat`: `changed_since` compares with it
    license.document_expires_at = datetime.datetime.fromtimestamp(claims["exp"], tz=datetime.UTC)
    if not never_expiring_before:
        until = license.document_expires_at + datetime.timedelta(days=signing.GRACE_DAYS)
        if license.listed_until is None or until > license.listed_until:
            license.listed_until = until


def new_licenses_sign(
    licenses: Iterable[DeviceLicense],
    *,
    gaid: str,
    pair: signing.SigningKeyPair,
    now,
    lease_days: int,
) -> None:
    """`license_sign` for new (never signed) licenses of one caller, with what every license
    of a pack shares worked out once per pack: a 1000-device batch signs 1000 documents on a
    handful of packs. The same documents, byte for byte (tests/rollout/test_signing.py)."""
    shared: dict[int, dict] = {}  # pack pk → the claims but `jti` and `sub`
    for lic in licenses:
        pack = lic.pack
        if pack.pk not in shared:
            claims = license_claims(
                license=lic, pack=pack, gaid=gaid, now=now, lease_days=lease_days
            )
            shared[pack.pk] = {k: v for k, v in claims.items() if k not in ("jti", "sub")}
        claims = {"jti": lic.license_id, "sub": lic.unit_id, **shared[pack.pk]}
        _document_store(lic, claims=claims, pack=pack, pair=pair, now=now)


def document_due(
    license: DeviceLicense, *, pack: ProductPack, now: datetime.datetime, lease_days: int
) -> bool:
    """Whether a UMS asking for this license gets a fresh document (rule 21): one from before
    leases, one naming an old pack end (a renewal), or once less than half the lease remains
    — unless a new one would expire no later (the pack ends first)."""
    if license.document_signed_at is None or license.document_expires_at is None:
        return True
    if license.expires_on != pack.expires_on:
        return True
    remaining = license.document_expires_at - now
    if remaining >= datetime.timedelta(days=lease_days) / 2:
        return False
    return document_expiry(pack=pack, now=now, lease_days=lease_days) > (
        license.document_expires_at
    )


def _lock_packs(pack_ids: Iterable[int]) -> dict[int, ProductPack]:
    return {p.pk: p for p in packs_lock(pack_ids, related=True)}


def _ums_snapshot(ums: UmsInstance) -> dict:
    return {
        "name": ums.name,
        "auto_assign": ums.auto_assign,
        "lease_days": lease_days_of(ums),
        "auto_exchange": ums.auto_exchange,
    }
