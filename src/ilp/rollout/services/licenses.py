"""Device licenses (rules 12–14): issue, return, move, re-sign."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.auth import last_used_touch
from ilp.core.errors import Conflict, Invalid
from ilp.core.unit_ids import unit_id_normalize
from ilp.licensing.models import Product, ProductPack
from ilp.licensing.services.seats import seats_release, seats_take

from .. import selectors, signing
from ..errors import RolloutError
from ..models import DeviceLicense, UmsInstance
from .common import (
    MAX_BATCH,
    _audit_many,
    _lock_packs,
    _new_license_id,
    license_sign,
)

# --- device licenses -----------------------------------------------------------------------


ISSUE_STATUSES = ("issued", "existing", "no_free_seat", "invalid_unit_id", "eula_not_accepted")


@dataclass
class IssueResult:
    unit_id: str
    status: str  # one of ISSUE_STATUSES
    license: DeviceLicense | None = None


def _issuable_packs(*, ums: UmsInstance, product: Product, today: datetime.date):
    """Packs that may issue (rule 12), locked in primary-key order before anything counts."""
    return list(
        ProductPack.objects.select_for_update(of=("self",))
        .select_related("product", "subscription_key")
        .with_eula()  # licensing's rule 20: `eula_ok` packs issue, the others only explain
        .filter(
            assignment__ums=ums,
            product=product,
            state=ProductPack.State.LIVE,
            starts_on__lte=today,
        )
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gt=today))
        .order_by("pk")
    )


Outcome = dict[str, tuple[str, DeviceLicense | None]]  # unit ID → (status, license)


@transaction.atomic
def licenses_issue(
    *, actor: Actor, ums: UmsInstance, product: str, unit_ids: Sequence[str]
) -> list[IssueResult]:
    """Issue device licenses for up to 1000 unit IDs (rule 12); results in the order asked.

    A licensed device gets its license again (`existing`), also when named twice in one
    request. Pack choice: packs assigned to this UMS, live, started, not expired, with a free
    seat; most seats used first, ties to the earliest created. Seats are counted under row
    locks; the partial unique index on active (company, product, unit_id) is the last line
    of defence against a concurrent request of another UMS of the same company.
    """
    prod = _issue_request_check(product=product, unit_ids=unit_ids)
    normalised = [unit_id_normalize(u) for u in unit_ids]
    wanted = list(dict.fromkeys(n for n in normalised if n))
    now = timezone.now()

    packs = _issuable_packs(ums=ums, product=prod, today=timezone.localdate())
    # After the pack locks: ums_delete locks packs, then the UMS row; keep that order.
    last_used_touch(ums, field="last_seen_at")

    existing = selectors.device_licenses_active_by_unit(ums=ums, product=prod, unit_ids=wanted)
    pair = signing.signing_key_current() if existing else None
    # A device asking again gets a document with its pack's current expiry; not audited
    # (licenses_refresh, which licensing's renewal triggers, audits its re-signing).
    _licenses_resign_stale(existing.values(), pair=pair, now=now)
    outcome: Outcome = {unit_id: ("existing", lic) for unit_id, lic in existing.items()}

    planned = _licenses_plan(
        ums=ums,
        product=prod,
        packs=packs,
        unit_ids=[u for u in wanted if u not in existing],
        now=now,
    )
    pending = any(not p.eula_ok and p.seats_free for p in packs)  # a seat only an EULA holds
    refusal = "eula_not_accepted" if pending else "no_free_seat"
    for unit_id, lic in planned.items():
        outcome[unit_id] = ("issued", lic) if lic is not None else (refusal, None)
    new = [lic for lic in planned.values() if lic is not None]
    if new:
        _licenses_create(
            actor=actor,
            ums=ums,
            packs=packs,
            new=new,
            outcome=outcome,
            pair=pair or signing.signing_key_current(),
            now=now,
        )
    return _issue_results(unit_ids=unit_ids, normalised=normalised, outcome=outcome)


def _issue_request_check(*, product: str, unit_ids: Sequence[str]) -> Product:
    """The batch limit and the product of an issue request (422 before anything is locked)."""
    if len(unit_ids) > MAX_BATCH:
        raise Invalid(
            _("At most %(max)d unit IDs per request.") % {"max": MAX_BATCH},
            code=RolloutError.TOO_MANY_UNIT_IDS,
            errors=[{"loc": ["body", "unit_ids"], "msg": _("at most 1000 items")}],
        )
    prod = selectors.product_find(sku=product)
    if prod is None:
        raise Invalid(
            _("Unknown product %(sku)s.") % {"sku": product},
            code=RolloutError.UNKNOWN_PRODUCT,
            errors=[{"loc": ["body", "product"], "msg": _("unknown product")}],
        )
    return prod


def _licenses_plan(
    *,
    ums: UmsInstance,
    product: Product,
    packs: list[ProductPack],
    unit_ids: list[str],
    now: datetime.datetime,
) -> dict[str, DeviceLicense | None]:
    """A new (unsigned, unsaved) license on the chosen pack for each device, or None when
    no locked pack has a seat left for it (rule 12 pack choice)."""
    # Most seats used first, ties to the earliest created. Filling the first pack only
    # raises its count, so one sort up front stays correct while seats are handed out.
    handed_out: Counter[int] = Counter()  # seats handed out in this batch, per pack

    def free(pack: ProductPack) -> int:
        return pack.seats - pack.seats_used - handed_out[pack.pk]

    order = sorted(
        (p for p in packs if p.eula_ok and free(p) > 0),
        key=lambda p: (-p.seats_used, p.created_at, p.pk),
    )
    planned: dict[str, DeviceLicense | None] = {}
    cursor = 0
    for unit_id in unit_ids:
        while cursor < len(order) and free(order[cursor]) <= 0:
            cursor += 1
        if cursor >= len(order):
            planned[unit_id] = None
            continue
        pack = order[cursor]
        handed_out[pack.pk] += 1
        planned[unit_id] = DeviceLicense(
            license_id=_new_license_id(),
            company=ums.company,
            product=product,
            pack=pack,
            ums=ums,
            unit_id=unit_id,
            issued_at=now,
        )
    return planned


def _licenses_create(
    *,
    actor: Actor,
    ums: UmsInstance,
    packs: list[ProductPack],
    new: list[DeviceLicense],
    outcome: Outcome,
    pair: signing.SigningKeyPair,
    now: datetime.datetime,
) -> None:
    """Sign and insert the planned licenses, take their seats in licensing's ledger and audit
    each; a device a concurrent request licensed first gets that license in `outcome`."""
    for lic in new:
        license_sign(lic, pack=lic.pack, gaid=ums.company.gaid, pair=pair, now=now)
    created = _insert_licenses(new, outcome=outcome)
    for pack in packs:
        seats_take(pack=pack, count=sum(1 for lic in created if lic.pack_id == pack.pk))
    _audit_many(
        actor=actor,
        company_id=ums.company_id,
        action="license.issued",
        rows=[
            (
                "device_license",
                lic.license_id,
                None,
                {"unit_id": lic.unit_id, "pack": lic.pack.pack_id, "ums_id": ums.ums_id},
            )
            for lic in created
        ],
    )


def _issue_results(
    *, unit_ids: Sequence[str], normalised: list[str | None], outcome: Outcome
) -> list[IssueResult]:
    """One result per unit ID asked, in order; a device named again is `existing`."""
    results: list[IssueResult] = []
    seen: set[str] = set()
    for raw, unit_id in zip(unit_ids, normalised, strict=True):
        if unit_id is None:
            results.append(IssueResult(unit_id=str(raw), status="invalid_unit_id"))
            continue
        status, lic = outcome[unit_id]
        if unit_id in seen and lic is not None:
            status = "existing"  # the same device named again in this request
        seen.add(unit_id)
        results.append(IssueResult(unit_id=unit_id, status=status, license=lic))
    return results


def _insert_licenses(new: list[DeviceLicense], *, outcome: Outcome) -> list[DeviceLicense]:
    """Insert in one statement; if a concurrent request licensed one of the devices first
    (unique violation), fall back to one savepoint per device and return theirs."""
    try:
        with transaction.atomic():
            DeviceLicense.objects.bulk_create(new, batch_size=500)
        return new
    except IntegrityError:
        pass
    created = []
    for lic in new:
        try:
            with transaction.atomic():
                lic.pk = None
                lic.save(force_insert=True)
            created.append(lic)
        except IntegrityError:
            theirs = selectors.device_licenses_active_by_unit(
                ums=lic.ums, product=lic.product, unit_ids=[lic.unit_id]
            ).get(lic.unit_id)
            outcome[lic.unit_id] = ("existing", theirs) if theirs else ("no_free_seat", None)
    return created


def _licenses_resign_stale(
    licenses: Iterable[DeviceLicense],
    *,
    pair: signing.SigningKeyPair | None = None,
    now: datetime.datetime,
) -> list[DeviceLicense]:
    """Sign again, and store, those `licenses` whose pack's expiry moved since they were
    signed (a renewal); returns them. Their pack (product, key) and company are loaded."""
    stale = [lic for lic in licenses if lic.expires_on != lic.pack.expires_on]
    if not stale:
        return []
    pair = pair or signing.signing_key_current()
    for lic in stale:
        license_sign(lic, pack=lic.pack, gaid=lic.company.gaid, pair=pair, now=now)
    DeviceLicense.objects.bulk_update(stale, ["token", "expires_on"], batch_size=500)
    return stale


@transaction.atomic
def licenses_refresh(*, actor: Actor, packs: Sequence[ProductPack]) -> int:
    """Re-sign the active licenses of these packs whose expiry changed (after a renewal).

    Licensing may call it after moving expiry dates; `POST /ums/licenses` and the license
    file also refresh stale licenses on their own. Returns how many were re-signed.
    """
    licenses = selectors.pack_licenses_active(packs=packs)
    stale = _licenses_resign_stale(licenses, now=timezone.now())
    if not stale:
        return 0
    _audit_many(
        actor=actor,
        company_id=stale[0].company_id,
        action="license.resigned",
        rows=[
            ("device_license", lic.license_id, None, {"expires_on": str(lic.expires_on)})
            for lic in stale
        ],
    )
    return len(stale)


@transaction.atomic
def license_return(*, actor: Actor, license: DeviceLicense) -> bool:
    """Return a license (remove hardware, rule 14): its seat is free again.

    True if it was returned now; False if it had already ended (a repeated DELETE).
    """
    # Lock the pack first (the lock order of issuance, split and merge), then the license;
    # a concurrent move may have rebound it, so re-read and follow it to its new pack.
    for _attempt in range(3):
        pack = _lock_packs([license.pack_id])[license.pack_id]
        current = DeviceLicense.objects.select_for_update().get(pk=license.pk)
        if current.pack_id == pack.pk:
            break
        license = current
    else:  # pragma: no cover - three moves in a row while we wait
        raise Conflict(
            _("The license is being moved. Try again."), code=RolloutError.LICENSE_MOVING
        )
    if current.status != DeviceLicense.Status.ACTIVE:
        return False
    now = timezone.now()
    current.status = DeviceLicense.Status.RETURNED
    current.ended_at = now
    current.save(update_fields=["status", "ended_at"])
    before_used = pack.seats_used
    seats_release(pack=pack)
    event_record(
        actor=actor,
        action="license.returned",
        obj_type="device_license",
        obj_id=current.license_id,
        company=pack.company,
        before={"status": "active", "pack_seats_used": before_used},
        after={
            "status": "returned",
            "unit_id": current.unit_id,
            "pack": pack.pack_id,
            "pack_seats_used": pack.seats_used,
        },
    )
    license.status = current.status
    license.ended_at = now
    return True


def licenses_move(*, actor: Actor, licenses, target_pack: ProductPack) -> None:
    """Rebind active device licenses to `target_pack` (split with unit IDs, merge).

    The caller holds the row locks and moves the seats in licensing's ledger; this rebinds
    the rows and re-signs their documents so they name the new pack (license IDs stay).
    """
    licenses = list(licenses)
    if not licenses:
        return
    target = (
        ProductPack.objects.select_related("product", "subscription_key", "company")
        .filter(pk=target_pack.pk)
        .get()
    )
    rows = list(DeviceLicense.objects.filter(pk__in=[lic.pk for lic in licenses]).order_by("pk"))
    pair = signing.signing_key_current()
    now = timezone.now()
    for lic in rows:
        lic.pack = target
        license_sign(lic, pack=target, gaid=target.company.gaid, pair=pair, now=now)
    DeviceLicense.objects.bulk_update(rows, ["pack", "token", "expires_on"], batch_size=500)
    _audit_many(
        actor=actor,
        company_id=target.company_id,
        action="license.moved",
        rows=[("device_license", lic.license_id, None, {"pack": target.pack_id}) for lic in rows],
    )
