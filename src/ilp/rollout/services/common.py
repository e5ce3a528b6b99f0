"""Shared pieces of the rollout services: unit-ID files, bulk audit, signing, pack locks."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from django.conf import settings

from ilp.audit.services import events_record_many
from ilp.core.actors import Actor
from ilp.core.ids import crockford
from ilp.licensing.models import ProductPack
from ilp.licensing.services.pack_ops import packs_lock

from .. import signing
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


def license_claims(*, license: DeviceLicense, pack: ProductPack, gaid: str, now) -> dict:
    """The claims of a license document (API.md "Public")."""
    claims = {
        "jti": license.license_id,
        "sub": license.unit_id,
        "product": pack.product.sku,
        "pack": pack.pack_id,
        "subscription_key": pack.subscription_key.key,
        "gaid": gaid,
        "iat": int(now.timestamp()),
    }
    if pack.expires_on is not None:
        claims["exp"] = signing.date_to_epoch(pack.expires_on)
    claims["grace_days"] = signing.GRACE_DAYS
    claims["iss"] = settings.ILP_BASE_URL
    return claims


def license_sign(
    license: DeviceLicense, *, pack: ProductPack, gaid: str, pair: signing.SigningKeyPair, now
) -> None:
    """Sign `license` as a license of `pack` (in memory: the caller stores it, or not)."""
    license.token = signing.jws_sign(
        license_claims(license=license, pack=pack, gaid=gaid, now=now), pair=pair
    )
    license.expires_on = pack.expires_on


def _lock_packs(pack_ids: Iterable[int]) -> dict[int, ProductPack]:
    return {p.pk: p for p in packs_lock(pack_ids, related=True)}


def _ums_snapshot(ums: UmsInstance) -> dict:
    return {"name": ums.name, "auto_assign": ums.auto_assign}
