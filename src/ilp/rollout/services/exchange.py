"""Automatic license exchange (rule 22): `ilp exchange-licenses`, run daily by the worker.

Licenses of packs expiring within ILP_EXCHANGE_DAYS move to another pack of the same product
that the same caller draws from (assigned to the same UMS; for licenses issued through an
ALD token, a pack of the same subscription key), that expires later than the exchange
window (or never) and has free seats. Moved licenses keep their IDs and get new documents,
so they show in `GET /ums/licenses?changed_since=`; their seats move through licensing's
ledger (`seats_transfer`), so the seats in use never change.

Safe to run twice, also at once: each source pack is handled in its own transaction that
locks it and its candidate targets (primary-key order, as everywhere) and then reads its
licenses again; a run that comes second finds nothing left to move.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ilp.core.actors import Actor
from ilp.licensing.models import ProductPack
from ilp.licensing.services.seats import seats_transfer

from .. import signing
from ..audit_actions import AuditAction
from ..models import DeviceLicense
from .common import DOCUMENT_FIELDS, _audit_many, _lock_packs, license_sign
from .webhook_events import licenses_emit


@dataclass
class ExchangeResult:
    moved: int = 0
    left: int = 0  # licenses of expiring packs that found no seat on a later pack


def exchange_window(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Packs expiring after the first and on or before the second date are exchanged.

    Forward: ILP_EXCHANGE_DAYS. Backward: the grace days, so a run that was missed still
    moves licenses whose documents have not yet stopped working; a pack that ended longer
    ago keeps its licenses (its devices are offline for good, or long gone).
    """
    return (
        today - datetime.timedelta(days=signing.GRACE_DAYS),
        today + datetime.timedelta(days=settings.ILP_EXCHANGE_DAYS),
    )


def _source_packs(today: datetime.date) -> list[int]:
    after, until = exchange_window(today)
    return list(
        ProductPack.objects.filter(
            expires_on__gt=after,
            expires_on__lte=until,
            device_licenses__status=DeviceLicense.Status.ACTIVE,
        )
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def licenses_exchange(*, actor: Actor, today: datetime.date | None = None) -> ExchangeResult:
    """Run the automatic exchange for every company as of `today` (default: today)."""
    today = today or timezone.localdate()
    result = ExchangeResult()
    for pack_pk in _source_packs(today):
        moved, left = pack_licenses_exchange(actor=actor, pack_pk=pack_pk, today=today)
        result.moved += moved
        result.left += left
    return result


def _groups(pack: ProductPack) -> dict[tuple, list[DeviceLicense]]:
    """The pack's active licenses (locked, primary-key order) by who holds them: a UMS
    (`("ums", UMS ID)`) or an ALD token's key (`("ald", key pk)`). Licenses of a UMS that
    switched the exchange off stay."""
    groups: dict[tuple, list[DeviceLicense]] = defaultdict(list)
    licenses = (
        DeviceLicense.objects.select_for_update(of=("self",))
        .select_related("ums")
        .filter(pack=pack, status=DeviceLicense.Status.ACTIVE)
        .order_by("pk")
    )
    for lic in licenses:
        if lic.ums_id is not None:
            if lic.ums.auto_exchange:
                groups[("ums", lic.ums.ums_id)].append(lic)
        elif lic.ald_key_id is not None:
            groups[("ald", lic.ald_key_id)].append(lic)
    return groups


@transaction.atomic
def pack_licenses_exchange(*, actor: Actor, pack_pk: int, today: datetime.date) -> tuple[int, int]:
    """Move the licenses of one expiring pack (see the module docstring). Returns (moved,
    left without a seat)."""
    _after, until = exchange_window(today)
    source_row = ProductPack.objects.filter(pk=pack_pk).values("product_id", "company_id").first()
    if source_row is None:
        return 0, 0
    # Every pack that could take its licenses, whoever holds them; locked together with the
    # source in primary-key order before anything is counted.
    # Only packs that may issue (rule 20: a pack whose EULA waits issues no license).
    candidates = list(
        ProductPack.objects.issuable(today)
        .filter(company_id=source_row["company_id"], product_id=source_row["product_id"])
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gt=until))
        .exclude(pk=pack_pk)
        .values_list("pk", flat=True)
    )
    locked = _lock_packs([pack_pk, *candidates])
    source = locked[pack_pk]
    # A renewal or a concurrent run may have changed things while we waited: check again.
    if (
        source.state != ProductPack.State.LIVE
        or source.expires_on is None
        or source.expires_on > until
    ):
        return 0, 0
    moved = left = 0
    for group, licenses in _groups(source).items():
        targets = [
            p
            for p in locked.values()
            if p.pk != pack_pk
            and p.issuable_on(today)
            and (p.expires_on is None or p.expires_on > until)
            and (
                p.assigned_to == group[1]
                if group[0] == "ums"
                else p.subscription_key_id == group[1]
            )
        ]
        done = _licenses_move_to(actor=actor, source=source, targets=targets, licenses=licenses)
        moved += done
        left += len(licenses) - done
    return moved, left


def _licenses_move_to(
    *,
    actor: Actor,
    source: ProductPack,
    targets: list[ProductPack],
    licenses: list[DeviceLicense],
) -> int:
    """Move as many of `licenses` as the targets have free seats (the fullest pack first,
    ties to the earliest created, as issuance chooses); sign, store, audit each."""
    handed: Counter[int] = Counter()

    def free(p: ProductPack) -> int:
        return p.seats - p.seats_used - handed[p.pk]

    order = sorted(targets, key=ProductPack.claim_order)
    plan: list[tuple[DeviceLicense, ProductPack]] = []
    for lic in licenses:
        target = next((p for p in order if free(p) > 0), None)
        if target is None:
            break
        handed[target.pk] += 1
        plan.append((lic, target))
    if not plan:
        return 0
    pair = signing.signing_key_current()
    now = timezone.now()
    gaid = source.company.gaid
    for lic, target in plan:
        lic.pack = target
        license_sign(lic, pack=target, gaid=gaid, pair=pair, now=now)
    DeviceLicense.objects.bulk_update([lic for lic, _t in plan], ["pack", *DOCUMENT_FIELDS])
    for target in order:
        if handed[target.pk]:
            seats_transfer(source=source, target=target, count=handed[target.pk])
    _audit_many(
        actor=actor,
        company_id=source.company_id,
        action=AuditAction.LICENSE_EXCHANGED,
        rows=[
            (
                "device_license",
                lic.license_id,
                {"pack": source.pack_id, "expires_on": str(source.expires_on)},
                {
                    "pack": target.pack_id,
                    "expires_on": str(target.expires_on) if target.expires_on else None,
                    "unit_id": lic.unit_id,
                },
            )
            for lic, target in plan
        ],
    )
    licenses_emit(
        company_id=source.company_id,
        type="license.exchanged",
        license_ids=[lic.license_id for lic, _t in plan],
        extra=lambda lic: {"previous_pack_id": source.pack_id},
    )
    return len(plan)
