"""Re-signing the licenses of renewed packs, after the renewal, in short batches.

A renewal (licensing) commits its seats and dates only: re-signing thousands of documents
under the packs' locks would stall the company for seconds. Licensing's `packs_extended`
notification reaches `rollout/receivers.py`, which has `rollout.tasks.resign_licenses`
enqueued once the renewal has committed (`licenses_resign_soon`); the worker then signs the
stale licenses again, `RESIGN_BATCH` per transaction, locking only those license rows. Until it has
run — or if it never does — nothing is wrong: issuance, `GET /ums/licenses` and the license
file treat a license whose pack end moved as due (`document_due`) and sign it afresh, and the
daily `resign-licenses` job sweeps whatever a lost task left.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from ilp.core.actors import Actor

from .. import selectors
from ..audit_actions import AuditAction
from .common import _audit_many
from .licenses import _documents_refresh

# Licenses signed again per transaction (about 1.2 ms each: well under a second of locks).
RESIGN_BATCH = 500


def licenses_resign(
    *, actor: Actor, pack_ids: Iterable[int] | None = None, batch: int = RESIGN_BATCH
) -> int:
    """Sign again every active license of these packs (all packs: None) that names an old
    pack end, `batch` per transaction; returns how many. Safe to run twice or concurrently:
    each batch re-reads its rows under their locks and signs only those still stale."""
    pack_ids = None if pack_ids is None else sorted(set(pack_ids))
    total = 0
    after = 0
    while True:
        pks = selectors.licenses_stale_ids(pack_ids=pack_ids, limit=batch, after=after)
        if not pks:
            return total
        total += _resign_batch(actor=actor, pks=pks)
        after = pks[-1]


@transaction.atomic
def _resign_batch(*, actor: Actor, pks: list[int]) -> int:
    licenses = selectors.licenses_stale_lock(pks=pks)
    stale = _documents_refresh(licenses, now=timezone.now(), stale_only=True)
    by_company: dict[int, list] = {}
    for lic in stale:
        by_company.setdefault(lic.company_id, []).append(lic)
    for company_id, rows in by_company.items():
        _audit_many(
            actor=actor,
            company_id=company_id,
            action=AuditAction.LICENSE_RESIGNED,
            rows=[
                ("device_license", lic.license_id, None, {"expires_on": str(lic.expires_on)})
                for lic in rows
            ],
        )
    return len(stale)
