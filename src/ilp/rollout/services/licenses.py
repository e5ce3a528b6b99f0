"""Device licenses (rules 12–14, 21): issue, return, move, re-sign, refresh leases."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.bulk import SMALL, objects_insert, objects_insert_new
from ilp.core.errors import Conflict, Invalid
from ilp.core.unit_ids import unit_id_normalize
from ilp.licensing.models import Product, ProductPack
from ilp.licensing.services.seats import seats_release, seats_take

from .. import selectors, signing
from ..errors import RolloutError
from ..licensee import Licensee, lease_days_of
from ..metrics import licenses_issued_count
from ..models import AldToken, DeviceLicense, UmsInstance
from .common import (
    DOCUMENT_FIELDS,
    MAX_BATCH,
    _audit_many,
    _lock_packs,
    _new_license_id,
    document_due,
    license_sign,
    new_licenses_sign,
)
from .demos import demo_licenses_issue

# --- device licenses -----------------------------------------------------------------------


ISSUE_STATUSES = ("issued", "existing", "no_free_seat", "invalid_unit_id", "eula_not_accepted")
DEMO_STATUSES = ("demo_issued", "demo_used")  # only with "demo": true


@dataclass
class IssueResult:
    unit_id: str
    status: str  # one of ISSUE_STATUSES
    license: object | None = None  # a DeviceLicense, or a DemoLicense for demo statuses


def _issuable_packs(*, licensee: Licensee, sku: str, today: datetime.date):
    """Packs that may issue (rule 12), locked in primary-key order before anything counts.

    The one place that says which packs serve a request: the caller's packs (assigned to
    the UMS, or the ALD token's key), live, started, not expired. Every further condition
    on a pack (such as an accepted EULA) belongs here.
    """
    return list(
        ProductPack.objects.select_for_update(of=("self",))
        .select_related("product", "subscription_key")
        .with_eula()  # licensing's rule 20: `eula_ok` packs issue, the others only explain
        .filter(
            licensee.packs_q(),
            product__sku=sku,
            state=ProductPack.State.LIVE,
            starts_on__lte=today,
        )
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gt=today))
        .order_by("pk")
    )


Outcome = dict[str, tuple[str, DeviceLicense | None]]  # unit ID → (status, license)


@transaction.atomic
def licenses_issue(
    *,
    actor: Actor,
    ums: UmsInstance | AldToken | Licensee,
    product: str,
    unit_ids: Sequence[str],
    demo: bool = False,
) -> list[IssueResult]:
    """Issue device licenses for up to 1000 unit IDs (rule 12); results in the order asked.

    `ums` is the UMS asking, or an ALD token (rule 23). A licensed device gets its license
    again (`existing`), also when named twice in one request, with a fresh document once
    less than half its lease remains (rule 21). Pack choice: the caller's packs, live,
    started, not expired, with a free seat; most seats used first, ties to the earliest
    created. Seats are counted under row locks; the partial unique index on active
    (company, product, unit_id) is the last line of defence against a concurrent request of
    another UMS of the same company. With `demo`, devices without a license get a demo
    license instead (rule 24, services/demos.py).
    """
    licensee = Licensee.of(ums)
    _batch_check(unit_ids)
    normalised = [unit_id_normalize(u) for u in unit_ids]
    wanted = list(dict.fromkeys(n for n in normalised if n))
    now = timezone.now()

    sku = selectors.sku_normalise(product)
    # Which devices hold a license is probed before the pack locks, keeping the locked section
    # (which requests of one company pass one at a time) short. A device licensed in between
    # meets the unique index on insert and gets that license (`_theirs`); one returned in
    # between is not found below and gets a new license.
    held = selectors.device_license_ids_active(
        company_id=licensee.company_id, sku=sku, unit_ids=wanted
    )
    packs = [] if demo else _issuable_packs(licensee=licensee, sku=sku, today=timezone.localdate())
    # The product comes with its packs; it is looked up on its own only when none serves it
    # (one query less on the usual path; an unknown product is still a 422, locking nothing).
    prod = packs[0].product if packs else _product_check(product)
    # After the pack locks: ums_delete locks packs, then the UMS row; keep that order.
    licensee.touch(refreshed=True)

    existing = selectors.device_licenses_active_of(held)
    pair = signing.signing_key_current()
    # A device asking again gets a fresh document when one is due; the lease refresh itself
    # is not audited per license (licenses_refresh, which a renewal triggers, is).
    _documents_refresh(existing.values(), pair=pair, now=now)
    outcome: Outcome = {unit_id: ("existing", lic) for unit_id, lic in existing.items()}

    if demo:
        outcome.update(
            demo_licenses_issue(
                actor=actor,
                licensee=licensee,
                product=prod,
                unit_ids=[u for u in wanted if u not in existing],
                pair=pair,
                now=now,
            )
        )
        return _issue_results(unit_ids=unit_ids, normalised=normalised, outcome=outcome)

    planned = _licenses_plan(
        licensee=licensee,
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
            licensee=licensee,
            packs=packs,
            new=new,
            outcome=outcome,
            pair=pair,
            now=now,
        )
    return _issue_results(unit_ids=unit_ids, normalised=normalised, outcome=outcome)


def _batch_check(unit_ids: Sequence[str]) -> None:
    """The batch limit of an issue request (422 before anything is locked)."""
    if len(unit_ids) > MAX_BATCH:
        raise Invalid(
            _("At most %(max)d unit IDs per request.") % {"max": MAX_BATCH},
            code=RolloutError.TOO_MANY_UNIT_IDS,
            errors=[{"loc": ["body", "unit_ids"], "msg": _("at most 1000 items")}],
        )


def _product_check(product: str) -> Product:
    """The product of an issue request (422 `unknown_product`)."""
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
    licensee: Licensee,
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
    prototype = DeviceLicense(
        company=licensee.company, product=product, issued_at=now, **licensee.license_fields()
    )
    cursor = 0
    for unit_id in unit_ids:
        while cursor < len(order) and free(order[cursor]) <= 0:
            cursor += 1
        if cursor >= len(order):
            planned[unit_id] = None
            continue
        pack = order[cursor]
        handed_out[pack.pk] += 1
        lic = _clone(prototype, pack=pack)
        lic.license_id, lic.unit_id = _new_license_id(), unit_id
        planned[unit_id] = lic
    return planned


def _clone(prototype: DeviceLicense, *, pack: ProductPack) -> DeviceLicense:
    """A copy of an unsaved license with its loaded relations, on `pack`: a fifth of the cost
    of a model `__init__` (what `Model.__reduce__` copies, without pickling's detour), 1000
    times a batch. The pack is set as its descriptor would (its ID and the cached object)."""
    lic = DeviceLicense.__new__(DeviceLicense)
    lic.__dict__.update(prototype.__dict__)
    lic._state = ModelState()
    lic.pack_id = pack.pk  # before the cache: a changed ID drops the cached object
    lic._state.fields_cache = {**prototype._state.fields_cache, "pack": pack}
    return lic


def _licenses_create(
    *,
    actor: Actor,
    licensee: Licensee,
    packs: list[ProductPack],
    new: list[DeviceLicense],
    outcome: Outcome,
    pair: signing.SigningKeyPair,
    now: datetime.datetime,
) -> None:
    """Sign and insert the planned licenses, take their seats in licensing's ledger and audit
    each; a device a concurrent request licensed first gets that license in `outcome`."""
    new_licenses_sign(
        new, gaid=licensee.company.gaid, pair=pair, now=now, lease_days=licensee.lease_days
    )
    created = _insert_licenses(new, outcome=outcome)
    licenses_issued_count(len(created))
    for pack in packs:
        seats_take(pack=pack, count=sum(1 for lic in created if lic.pack_id == pack.pk))
    by = {"ums_id": licensee.ums_id} if licensee.ums else {"ald": licensee.label}
    _audit_many(
        actor=actor,
        company_id=licensee.company_id,
        action="license.issued",
        rows=[
            (
                "device_license",
                lic.license_id,
                None,
                {"unit_id": lic.unit_id, "pack": lic.pack.pack_id, **by},
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
    (unique violation), that device gets theirs. A few rows go in with ON CONFLICT DO NOTHING
    (one round trip); a batch by COPY, falling back to one savepoint per device."""
    if len(new) <= SMALL:
        inserted = {id(lic) for lic in objects_insert_new(new, key="license_id")}
        for lic in new:
            if id(lic) not in inserted:
                outcome[lic.unit_id] = _theirs(lic)
        return [lic for lic in new if id(lic) in inserted]
    try:
        with transaction.atomic():
            objects_insert(new)  # COPY on PostgreSQL
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
            outcome[lic.unit_id] = _theirs(lic)
    return created


def _theirs(lic: DeviceLicense) -> tuple[str, DeviceLicense | None]:
    """The outcome for a device whose insert lost to a concurrent request's license."""
    theirs = selectors.device_licenses_active_by_unit(
        company_id=lic.company_id, product=lic.product, unit_ids=[lic.unit_id]
    ).get(lic.unit_id)
    return ("existing", theirs) if theirs else ("no_free_seat", None)


def _documents_refresh(
    licenses: Iterable[DeviceLicense],
    *,
    pair: signing.SigningKeyPair | None = None,
    now: datetime.datetime,
    stale_only: bool = False,
) -> list[DeviceLicense]:
    """Sign again, and store, those `licenses` whose document is due (`document_due`), or
    with `stale_only` those naming an old pack end (a renewal); returns them. Their pack
    (product, key), UMS and company are loaded."""

    def due(lic: DeviceLicense) -> bool:
        if stale_only:
            return lic.expires_on != lic.pack.expires_on
        return document_due(lic, pack=lic.pack, now=now, lease_days=_lease(lic))

    refreshed = [lic for lic in licenses if due(lic)]
    if not refreshed:
        return []
    pair = pair or signing.signing_key_current()
    for lic in refreshed:
        license_sign(lic, pack=lic.pack, gaid=lic.company.gaid, pair=pair, now=now)
    DeviceLicense.objects.bulk_update(refreshed, DOCUMENT_FIELDS, batch_size=500)
    return refreshed


def _lease(lic: DeviceLicense) -> int:
    return lease_days_of(lic.ums if lic.ums_id else None)


@transaction.atomic
def licenses_refresh(*, actor: Actor, packs: Sequence[ProductPack]) -> int:
    """Re-sign the active licenses of these packs whose expiry changed (after a renewal).

    Licensing may call it after moving expiry dates; `POST /ums/licenses` and the license
    file also refresh stale licenses on their own. Returns how many were re-signed.
    """
    licenses = selectors.pack_licenses_active(packs=packs)
    stale = _documents_refresh(licenses, now=timezone.now(), stale_only=True)
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
def leases_refresh(*, actor: Actor, ums: UmsInstance | AldToken | Licensee) -> int:
    """Give every active license of this caller whose document is due a fresh one (rule 21).

    What `GET /ums/licenses` and the license file do before they answer, so a UMS that only
    polls `changed_since` (or an air-gapped one that downloads its file) stays licensed.
    The licenses are locked (primary-key order) so a concurrent move or return is not
    overwritten with an old pack; one audit event counts the batch (a lease refresh changes
    no entitlement, and one event per device every few weeks would drown the log).
    """
    licensee = Licensee.of(ums)
    now = timezone.now()
    candidates = selectors.licenses_due_candidates(
        licensee=licensee, now=now, lease_days=licensee.lease_days
    )
    refreshed = _documents_refresh(candidates, now=now)
    licensee.touch(refreshed=True)
    if refreshed:
        event_record(
            actor=actor,
            action="license.leases_refreshed",
            obj_type="ums" if licensee.ums else "ald_token",
            obj_id=licensee.ums_id or licensee.ald.subscription_key.key,
            company=licensee.company,
            after={"count": len(refreshed)},
        )
    return len(refreshed)


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
    rows = list(
        DeviceLicense.objects.select_related("ums")
        .filter(pk__in=[lic.pk for lic in licenses])
        .order_by("pk")
    )
    pair = signing.signing_key_current()
    now = timezone.now()
    for lic in rows:
        lic.pack = target
        license_sign(lic, pack=target, gaid=target.company.gaid, pair=pair, now=now)
    DeviceLicense.objects.bulk_update(rows, ["pack", *DOCUMENT_FIELDS], batch_size=500)
    _audit_many(
        actor=actor,
        company_id=target.company_id,
        action="license.moved",
        rows=[("device_license", lic.license_id, None, {"pack": target.pack_id}) for lic in rows],
    )
