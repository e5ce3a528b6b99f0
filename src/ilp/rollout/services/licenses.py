"""Device licenses (rules 12–14, 21): issue, return, move, re-sign, refresh leases."""

from __future__ import annotations

import contextlib
import datetime
import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, OperationalError, transaction
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.bulk import SMALL, objects_insert, objects_insert_new
from ilp.core.errors import Conflict, Invalid
from ilp.core.unit_ids import unit_id_normalize
from ilp.licensing.models import Product, ProductPack, issuable_row_q
from ilp.licensing.services.seats import seats_claim, seats_release

from .. import selectors, signing
from ..audit_actions import AuditAction
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
from .webhook_events import licenses_emit

# --- device licenses -----------------------------------------------------------------------


# In the order a device gets the first that applies (API.md, third round).
ISSUE_STATUSES = (
    "invalid_unit_id",
    "existing",
    "licensed_elsewhere",
    "eula_not_accepted",
    "not_assigned",
    "no_free_seat",
    "issued",
)
DEMO_STATUSES = ("demo_issued", "demo_used")  # only with "demo": true

# A claim that finds its pack changed (filled up, split, merged, unassigned meanwhile) rolls
# its attempt back and picks again; the last attempts lock the caller's packs first, as
# issuance did before the one-statement claim, and cannot lose a claim (docs/decisions.md,
# "The seat claim").
ATTEMPTS = (False, False, False, True, True)


def _retryable(exc: Exception) -> bool:
    """A deadlock PostgreSQL broke, or a license row that lost its UMS (foreign key)."""
    state = getattr(exc.__cause__, "sqlstate", None)
    return state in ("40P01", "23503")


@dataclass
class IssueResult:
    unit_id: str
    status: str  # one of ISSUE_STATUSES
    license: object | None = None  # a DeviceLicense, or a DemoLicense for demo statuses


class _ClaimLost(Exception):
    """A seat claim found its pack changed since it was picked: pick again."""


Outcome = dict[str, tuple[str, DeviceLicense | None]]  # unit ID → (status, license)


def licenses_issue(
    *,
    actor: Actor,
    ums: UmsInstance | AldToken | Licensee,
    product: str,
    unit_ids: Sequence[str],
    demo: bool = False,
) -> list[IssueResult]:
    """Issue device licenses for up to 1000 unit IDs (rule 12); results in the order asked.

    `ums` is the UMS asking, or an ALD token (rule 23). A device licensed on a pack the
    caller may use gets its license again (`existing`), also when named twice in one
    request, with a fresh document once less than half its lease remains (rule 21); one
    licensed on another pack of the company is `licensed_elsewhere` (nothing of it shown).
    Pack choice: the caller's issuable packs with a free seat, most seats used first, ties to
    the earliest created, chosen in SQL by an index (`pack_claim_by_ums`/`_by_key`) without a
    lock; each pack's seats are claimed in one statement (licensing's `seats_claim`), last
    before the commit, so that the one row is locked only that long. With `demo`,
    devices without a license get a demo license instead (rule 24, services/demos.py).
    """
    licensee = Licensee.of(ums)
    _batch_check(unit_ids)
    normalised = [unit_id_normalize(u) for u in unit_ids]
    wanted = list(dict.fromkeys(n for n in normalised if n))
    sku = selectors.sku_normalise(product)
    attempt = functools.partial(
        _issue_attempt,
        actor=actor,
        licensee=licensee,
        product=product,
        sku=sku,
        unit_ids=wanted,
        demo=demo,
    )
    for lock_first in ATTEMPTS:
        try:
            # Reads and signing run before the attempt's transaction opens (a locking
            # attempt keeps its locks from the pick on, so it is one transaction).
            with transaction.atomic() if lock_first else contextlib.nullcontext():
                outcome, created = attempt(lock_first=lock_first)
            break
        except _ClaimLost:
            continue
        except (IntegrityError, OperationalError) as exc:
            # A deadlock PostgreSQL broke (a locking attempt against a request licensing the
            # same device), or the UMS deleted meanwhile (its licenses' foreign key): again.
            if not _retryable(exc):
                raise
    else:
        raise Conflict(
            _("Too many requests compete for these seats right now. Try again."),
            code=RolloutError.ISSUANCE_BUSY,
        )
    licenses_issued_count(created)
    return _issue_results(unit_ids=unit_ids, normalised=normalised, outcome=outcome)


def _issue_attempt(
    *,
    actor: Actor,
    licensee: Licensee,
    product: str,
    sku: str,
    unit_ids: list[str],
    demo: bool,
    lock_first: bool,
) -> tuple[Outcome, int]:
    """One try of `licenses_issue` in its own transaction: the outcome per device and how
    many licenses it created. Raises `_ClaimLost` (rolling it all back) when a pack changed
    between its choice and its claim."""
    now = timezone.now()
    today = timezone.localdate()
    held = selectors.device_licenses_held(
        company_id=licensee.company_id, sku=sku, unit_ids=unit_ids
    )
    outcome: Outcome = {
        unit_id: ("existing", lic) if licensee.may_use(lic.pack) else ("licensed_elsewhere", None)
        for unit_id, lic in held.items()
    }
    new_units = [u for u in unit_ids if u not in held]
    pair = signing.signing_key_current()
    if demo:
        prod = _product_check(product)
        with transaction.atomic():
            outcome.update(
                demo_licenses_issue(
                    actor=actor,
                    licensee=licensee,
                    product=prod,
                    unit_ids=new_units,
                    pair=pair,
                    now=now,
                )
            )
            _existing_refresh(outcome, licensee=licensee, pair=pair, now=now)
        return outcome, 0

    if not new_units and not held:
        _product_check(product)  # an unknown product is a 422 also when nothing is to issue
    packs = _packs_pick(
        licensee=licensee, sku=sku, today=today, needed=len(new_units), lock_first=lock_first
    )
    planned = _licenses_plan(licensee=licensee, packs=packs, unit_ids=new_units, now=now)
    new = [lic for lic in planned.values() if lic is not None]
    if new:  # signed before the transaction: it holds no lock meanwhile
        new_licenses_sign(
            new, gaid=licensee.company.gaid, pair=pair, now=now, lease_days=licensee.lease_days
        )
    with transaction.atomic():
        # Everything but the claim first (insert, audit, the caller's visit), the claim last:
        # the one pack row is locked only from the claim to the commit. A device another
        # request licensed meanwhile gets theirs, and its seat is not claimed.
        created = _licenses_create(actor=actor, licensee=licensee, new=new, outcome=outcome)
        licensee.touch(refreshed=True)
        claims = Counter(lic.pack_id for lic in created)
        for pack_id in sorted(claims):  # primary-key order, as every pack lock is taken
            if not seats_claim(
                pack_id=pack_id,
                count=claims[pack_id],
                today=today,
                company_id=licensee.company_id,
                **licensee.claim_holder(),
            ):
                raise _ClaimLost
        unserved = [u for u, lic in planned.items() if lic is None]
        if unserved:  # asked after the claims, so that this batch's own packs count as full
            refusal = _refusal(licensee=licensee, product=product, sku=sku, today=today)
            outcome.update((u, (refusal, None)) for u in unserved)
        # License rows last (after pack rows, the order of returns, moves and exchanges):
        # fresh documents for devices asking again.
        _existing_refresh(outcome, licensee=licensee, pair=pair, now=now)
    return outcome, len(created)


def _existing_refresh(
    outcome: Outcome, *, licensee: Licensee, pair: signing.SigningKeyPair, now
) -> None:
    """A device asking again gets a fresh document when one is due; the lease refresh itself
    is not audited per license (re-signing after a renewal is: services/resign.py)."""
    existing = [lic for status, lic in outcome.values() if status == "existing" and lic]
    _documents_refresh(existing, pair=pair, now=now)


def _packs_pick(
    *, licensee: Licensee, sku: str, today: datetime.date, needed: int, lock_first: bool
) -> list[ProductPack]:
    """The caller's issuable packs of the product with a free seat, in rule 12's order, until
    they hold `needed` seats: one walk of the claim index, however many packs the caller has.
    Nothing is locked, unless `lock_first` (the last attempt), which locks all of them."""
    if needed == 0:
        return []
    if needed == 1 and not lock_first:  # one device, the hot path: one prepared statement
        first = selectors.pack_pick_first(licensee=licensee, sku=sku, today=today)
        return [first] if first is not None else []
    base = (
        ProductPack.objects.issuable(today)
        .with_free_seat()
        .filter(licensee.packs_q(), product_id=selectors.product_id_of(sku))
        .select_related("product", "subscription_key")
    )
    if lock_first:
        locked = list(base.select_for_update(of=("self",)).order_by("pk"))
        return sorted(locked, key=ProductPack.claim_order)
    picked: list[ProductPack] = []
    free = 0
    chunk = 1 if needed == 1 else 16
    while free < needed:
        # By exclusion, not OFFSET: concurrent claims reorder the packs between two reads.
        more = list(base.exclude(pk__in=[p.pk for p in picked]).in_claim_order()[:chunk])
        picked += more
        free += sum(p.seats_free for p in more)
        if len(more) < chunk:
            break
        chunk *= 4
    return picked


def _refusal(*, licensee: Licensee, product: str, sku: str, today: datetime.date) -> str:
    """Why no pack served a device (after `existing` and `licensed_elsewhere`): a pack of the
    caller's with a free seat waits for its EULA (`eula_not_accepted`); the company has free
    seats of the product on packs this caller may not use (`not_assigned`); else
    `no_free_seat`. An unknown product is a 422. Runs only when a device went without."""
    product_id = _product_check(product).pk
    company_free = (
        ProductPack.objects.filter(issuable_row_q(today), product_id=product_id)
        .with_free_seat()
        .filter(company_id=licensee.company_id)
    )
    if company_free.filter(licensee.packs_q()).eula_pending().exists():
        return "eula_not_accepted"
    if company_free.eula_accepted().exists():
        return "not_assigned"
    return "no_free_seat"


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
    packs: list[ProductPack],
    unit_ids: list[str],
    now: datetime.datetime,
) -> dict[str, DeviceLicense | None]:
    """A new (unsigned, unsaved) license on the chosen pack for each device, or None when
    no picked pack has a seat left for it. `packs` come in rule 12's order; filling the first
    only raises its count, so handing out seats front to back keeps that order."""
    planned: dict[str, DeviceLicense | None] = {}
    if not packs:
        return dict.fromkeys(unit_ids)
    prototype = DeviceLicense(
        company_id=licensee.company_id,
        product=packs[0].product,
        issued_at=now,
        **licensee.license_fields(),
    )
    prototype.company = licensee.company
    cursor, handed_out = 0, 0
    for unit_id in unit_ids:
        while cursor < len(packs) and packs[cursor].seats_free - handed_out <= 0:
            cursor, handed_out = cursor + 1, 0
        if cursor >= len(packs):
            planned[unit_id] = None
            continue
        handed_out += 1
        lic = _clone(prototype, pack=packs[cursor])
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
    licensee: Licensee,
    actor: Actor,
    new: list[DeviceLicense],
    outcome: Outcome,
) -> list[DeviceLicense]:
    """Insert the planned, signed licenses and audit each (their seats are claimed after);
    a device a concurrent request licensed first gets that license in `outcome` (or
    `licensed_elsewhere`). Returns the licenses inserted."""
    if not new:
        return []
    # Unit-ID order: two batches inserting overlapping devices wait for each other in the
    # same order, never crosswise.
    new.sort(key=lambda lic: lic.unit_id)
    created = _insert_licenses(new, licensee=licensee, outcome=outcome)
    for lic in created:
        outcome[lic.unit_id] = ("issued", lic)
    by = {"ums_id": licensee.ums_id} if licensee.ums else {"ald": licensee.label}
    _audit_many(
        actor=actor,
        company_id=licensee.company_id,
        action=AuditAction.LICENSE_ISSUED,
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
    licenses_emit(
        company_id=licensee.company_id,
        type="license.issued",
        license_ids=[lic.license_id for lic in created],
    )
    return created


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


def _insert_licenses(
    new: list[DeviceLicense], *, licensee: Licensee, outcome: Outcome
) -> list[DeviceLicense]:
    """Insert in one statement; if a concurrent request licensed one of the devices first
    (unique violation), that device gets theirs. A few rows go in with ON CONFLICT DO NOTHING
    (one round trip); a batch by COPY, falling back to one savepoint per device."""
    if len(new) <= SMALL:
        inserted = {id(lic) for lic in objects_insert_new(new, key="license_id")}
        for lic in new:
            if id(lic) not in inserted:
                outcome[lic.unit_id] = _theirs(lic, licensee=licensee)
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
            outcome[lic.unit_id] = _theirs(lic, licensee=licensee)
    return created


def _theirs(lic: DeviceLicense, *, licensee: Licensee) -> tuple[str, DeviceLicense | None]:
    """The outcome for a device whose insert lost to a concurrent request's license."""
    theirs = selectors.device_licenses_held(
        company_id=lic.company_id, sku=lic.product.sku, unit_ids=[lic.unit_id]
    ).get(lic.unit_id)
    if theirs is None:
        return ("no_free_seat", None)
    if not licensee.may_use(theirs.pack):
        return ("licensed_elsewhere", None)
    return ("existing", theirs)


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
            action=AuditAction.LICENSE_LEASES_REFRESHED,
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
        action=AuditAction.LICENSE_RETURNED,
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
    licenses_emit(
        company_id=pack.company_id, type="license.returned", license_ids=[current.license_id]
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
        action=AuditAction.LICENSE_MOVED,
        rows=[("device_license", lic.license_id, None, {"pack": target.pack_id}) for lic in rows],
    )
