"""Rollout services: UMS instances, pack assignment, device licenses (rules 12–15).

Interfaces used by licensing: `packs_auto_assign`, `licenses_move`, `licenses_refresh`.

Lock order everywhere: product packs (primary-key order) before device licenses, the same
order licensing uses for split and merge, so the two never deadlock.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.audit.models import AuditEvent
from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.auth import UMS_CREDENTIAL_PREFIX
from ilp.core.errors import Conflict, Invalid, NotFound
from ilp.core.ids import crockford, new_token, token_hash
from ilp.licensing.models import Product, ProductPack

from . import signing
from .models import DeviceLicense, PackAssignment, UmsInstance

MAX_BATCH = 1000
_UNIT_ID = re.compile(r"[A-Z0-9]{6,64}")


# --- unit IDs ------------------------------------------------------------------------------


def unit_id_normalize(raw: str) -> str | None:
    """API.md: upper-case, `:` and `-` removed, then 6–64 letters and digits; else None."""
    if not isinstance(raw, str):
        return None
    value = raw.strip().upper().replace(":", "").replace("-", "")
    return value if _UNIT_ID.fullmatch(value) else None


def unit_id_search_normalize(raw: str) -> str | None:
    """Search hardware is more forgiving: any separator (`:`, `-`, `.`, spaces) is dropped."""
    value = re.sub(r"[^0-9A-Za-z]", "", raw or "").upper()
    return value if _UNIT_ID.fullmatch(value) else None


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
    """One audit event per (object_type, object_id, before, after) row, in one INSERT.

    The same fields as `event_record` writes; a 1000-device batch must not cost 1000 queries.
    """
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                created_at=now,
                company_id=company_id,
                actor_kind=actor.kind,
                actor_user=actor.user if actor.kind == "user" else None,
                actor_label=actor.label,
                action=action,
                object_type=obj_type,
                object_id=str(obj_id),
                before=before,
                after=after,
            )
            for obj_type, obj_id, before, after in rows
        ],
        batch_size=500,
    )


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
    from django.conf import settings

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


def _sign_license(lic: DeviceLicense, pack: ProductPack, gaid: str, pair, now) -> None:
    lic.token = signing.jws_sign(
        license_claims(license=lic, pack=pack, gaid=gaid, now=now), pair=pair
    )
    lic.expires_on = pack.expires_on


def _lock_packs(pack_ids: Iterable[int]) -> dict[int, ProductPack]:
    packs = (
        ProductPack.objects.select_for_update(of=("self",))
        .select_related("product", "subscription_key", "company")
        .filter(pk__in=sorted(set(pack_ids)))
        .order_by("pk")
    )
    return {p.pk: p for p in packs}


def _ums_snapshot(ums: UmsInstance) -> dict:
    return {"name": ums.name, "auto_assign": ums.auto_assign}


def _touch_ums(ums: UmsInstance) -> None:
    now = timezone.now()
    if ums.last_seen_at is None or (now - ums.last_seen_at).total_seconds() > 60:
        UmsInstance.objects.filter(pk=ums.pk).update(last_seen_at=now)
        ums.last_seen_at = now


# --- UMS instances -------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise Invalid(
            _("A UMS name needs 1 to 200 characters."),
            code="invalid_name",
            errors=[{"loc": ["body", "name"], "msg": _("1 to 200 characters")}],
        )
    return name


def _clear_auto_assign(*, actor: Actor, company_id, keep_pk=None) -> None:
    # Lock the company's UMS rows (primary-key order) so two concurrent "make this one the
    # auto-assign UMS" requests serialise; the partial unique constraint backs this up.
    others = list(
        UmsInstance.objects.select_for_update()
        .filter(company_id=company_id, auto_assign=True)
        .exclude(pk=keep_pk)
        .order_by("pk")
    )
    for other in others:
        other.auto_assign = False
        other.save(update_fields=["auto_assign"])
        event_record(
            actor=actor,
            action="ums.updated",
            obj_type="ums",
            obj_id=other.ums_id,
            company=other.company,
            before={"auto_assign": True},
            after={"auto_assign": False},
        )


@transaction.atomic
def ums_register(
    *, actor: Actor, company, name: str, auto_assign: bool = False
) -> tuple[UmsInstance, str]:
    """Register a UMS; returns it and its credential (shown once, stored hashed).

    Only one UMS per company auto-assigns: registering one with `auto_assign` turns it off
    on the others.
    """
    name = _clean_name(name)
    if auto_assign:
        _clear_auto_assign(actor=actor, company_id=company.pk)
    credential = new_token(UMS_CREDENTIAL_PREFIX)
    ums = UmsInstance.objects.create(
        ums_id=_new_ums_id(),
        company=company,
        name=name,
        auto_assign=auto_assign,
        credential_hash=token_hash(credential),
    )
    event_record(
        actor=actor,
        action="ums.registered",
        obj_type="ums",
        obj_id=ums.ums_id,
        company=company,
        after=_ums_snapshot(ums),
    )
    return ums, credential


@transaction.atomic
def ums_update(
    *, actor: Actor, ums: UmsInstance, name: str | None = None, auto_assign: bool | None = None
) -> UmsInstance:
    """Rename a UMS or switch auto-assign (on for one turns it off for the others)."""
    before = _ums_snapshot(ums)
    if name is not None:
        ums.name = _clean_name(name)
    if auto_assign is not None:
        if auto_assign and not ums.auto_assign:
            _clear_auto_assign(actor=actor, company_id=ums.company_id, keep_pk=ums.pk)
        ums.auto_assign = auto_assign
    after = _ums_snapshot(ums)
    if after != before:
        ums.save(update_fields=["name", "auto_assign"])
        event_record(
            actor=actor,
            action="ums.updated",
            obj_type="ums",
            obj_id=ums.ums_id,
            company=ums.company,
            before=before,
            after=after,
        )
    return ums


@transaction.atomic
def ums_credential_rotate(*, actor: Actor, ums: UmsInstance) -> str:
    """A new credential; the old one stops working with this commit."""
    credential = new_token(UMS_CREDENTIAL_PREFIX)
    ums.credential_hash = token_hash(credential)
    ums.credential_rotated_at = timezone.now()
    ums.save(update_fields=["credential_hash", "credential_rotated_at"])
    event_record(
        actor=actor,
        action="ums.credential_rotated",
        obj_type="ums",
        obj_id=ums.ums_id,
        company=ums.company,
    )
    return credential


@transaction.atomic
def ums_delete(*, actor: Actor, ums: UmsInstance, force: bool = False) -> int:
    """Delete a UMS. Refused (409 `ums_in_use`) while its packs hold active licenses,
    unless forced: then those licenses are revoked (one audit event each) and its packs
    unassigned. Returns the number of revoked licenses."""
    pack_ids = list(ums.assignments.values_list("pack_id", flat=True))
    packs = _lock_packs(pack_ids)
    active = DeviceLicense.objects.filter(
        pack_id__in=pack_ids, status=DeviceLicense.Status.ACTIVE
    ).count()
    if active and not force:
        raise Conflict(
            _(
                "This UMS has %(count)d device licenses in use. Remove the hardware first, "
                "or delete with force to revoke them."
            )
            % {"count": active},
            code="ums_in_use",
        )
    revoked = 0
    for pack in packs.values():
        revoked += _revoke_pack_licenses(actor=actor, pack=pack)
    PackAssignment.objects.filter(ums=ums).delete()
    event_record(
        actor=actor,
        action="ums.deleted",
        obj_type="ums",
        obj_id=ums.ums_id,
        company=ums.company,
        before={**_ums_snapshot(ums), "product_packs": sorted(p.pack_id for p in packs.values())},
        after={"revoked_licenses": revoked},
    )
    ums.delete()
    return revoked


# --- pack assignment -----------------------------------------------------------------------


_ASSIGNABLE = (ProductPack.State.LIVE,)


@transaction.atomic
def pack_assign(*, actor: Actor, ums: UmsInstance, pack: ProductPack) -> bool:
    """Assign a pack to a UMS. True if newly assigned, False if it already was (idempotent).

    A pack belongs to at most one UMS: assigned elsewhere → 409 `pack_assigned_elsewhere`;
    merged or archived packs cannot be assigned (409 `pack_not_assignable`).
    """
    locked = _lock_packs([pack.pk])[pack.pk]
    if locked.company_id != ums.company_id:
        raise NotFound(code="pack_not_found", message=_("No such product pack."))
    if locked.state not in _ASSIGNABLE:
        raise Conflict(
            _("Product pack %(pack)s is %(state)s and cannot be assigned.")
            % {"pack": locked.pack_id, "state": locked.get_state_display()},
            code="pack_not_assignable",
        )
    current = PackAssignment.objects.select_related("ums").filter(pack=locked).first()
    if current is not None:
        if current.ums_id == ums.pk:
            return False
        raise Conflict(
            _("Product pack %(pack)s is assigned to %(ums)s. Unassign it there first.")
            % {"pack": locked.pack_id, "ums": current.ums.ums_id},
            code="pack_assigned_elsewhere",
        )
    PackAssignment.objects.create(pack=locked, ums=ums)
    event_record(
        actor=actor,
        action="pack.assigned",
        obj_type="product_pack",
        obj_id=locked.pack_id,
        company=ums.company,
        after={"ums_id": ums.ums_id},
    )
    return True


def _revoke_pack_licenses(*, actor: Actor, pack: ProductPack) -> int:
    """Revoke every active license of a locked pack; one audit event per license."""
    licenses = list(
        DeviceLicense.objects.select_for_update()
        .filter(pack=pack, status=DeviceLicense.Status.ACTIVE)
        .order_by("pk")
    )
    if not licenses:
        return 0
    now = timezone.now()
    DeviceLicense.objects.filter(pk__in=[lic.pk for lic in licenses]).update(
        status=DeviceLicense.Status.REVOKED, ended_at=now
    )
    before_used = pack.seats_used
    pack.seats_used = max(0, pack.seats_used - len(licenses))
    ProductPack.objects.filter(pk=pack.pk).update(seats_used=pack.seats_used)
    _audit_many(
        actor=actor,
        company_id=pack.company_id,
        action="license.revoked",
        rows=[
            (
                "device_license",
                lic.license_id,
                {"status": "active"},
                {"status": "revoked", "unit_id": lic.unit_id, "pack": pack.pack_id},
            )
            for lic in licenses
        ],
    )
    event_record(
        actor=actor,
        action="pack.licenses_revoked",
        obj_type="product_pack",
        obj_id=pack.pack_id,
        company=pack.company,
        before={"seats_used": before_used},
        after={"seats_used": pack.seats_used, "revoked": [lic.license_id for lic in licenses]},
    )
    return len(licenses)


@transaction.atomic
def pack_unassign(*, actor: Actor, ums: UmsInstance, pack: ProductPack, force: bool = False) -> int:
    """Unassign a pack (rule 15). With active licenses: 409 `pack_in_use` unless forced;
    forced, they are revoked (each in the audit log). Returns the number revoked."""
    locked = _lock_packs([pack.pk])[pack.pk]
    assignment = PackAssignment.objects.filter(pack=locked, ums=ums).first()
    if assignment is None:
        raise NotFound(
            _("Product pack %(pack)s is not assigned to %(ums)s.")
            % {"pack": locked.pack_id, "ums": ums.ums_id},
            code="pack_not_assigned",
        )
    active = DeviceLicense.objects.filter(pack=locked, status=DeviceLicense.Status.ACTIVE).count()
    if active and not force:
        raise Conflict(
            _(
                "Product pack %(pack)s has %(count)d device licenses in use. "
                "Unassign with force to revoke them."
            )
            % {"pack": locked.pack_id, "count": active},
            code="pack_in_use",
        )
    revoked = _revoke_pack_licenses(actor=actor, pack=locked)
    assignment.delete()
    event_record(
        actor=actor,
        action="pack.unassigned",
        obj_type="product_pack",
        obj_id=locked.pack_id,
        company=ums.company,
        before={"ums_id": ums.ums_id},
        after={"ums_id": None, "revoked_licenses": revoked, "forced": force},
    )
    return revoked


def packs_auto_assign(*, actor, packs) -> None:
    """Assign newly created packs to their company's auto-assign UMS, if it has one.

    Called by licensing whenever it creates packs (orders, renewals, delivery tokens, split)
    inside its own transaction; packs already assigned or not live are left alone.
    """
    packs = [p for p in packs if p.state == ProductPack.State.LIVE]
    if not packs:
        return
    company_ids = {p.company_id for p in packs}
    targets = {
        u.company_id: u
        for u in UmsInstance.objects.select_related("company").filter(
            company_id__in=company_ids, auto_assign=True
        )
    }
    if not targets:
        return
    assigned = set(
        PackAssignment.objects.filter(pack__in=[p.pk for p in packs]).values_list(
            "pack_id", flat=True
        )
    )
    for pack in packs:
        ums = targets.get(pack.company_id)
        if ums is None or pack.pk in assigned:
            continue
        PackAssignment.objects.create(pack=pack, ums=ums)
        event_record(
            actor=actor,
            action="pack.assigned",
            obj_type="product_pack",
            obj_id=pack.pack_id,
            company=ums.company,
            after={"ums_id": ums.ums_id, "auto_assign": True},
        )


# --- device licenses -----------------------------------------------------------------------


@dataclass
class IssueResult:
    unit_id: str
    status: str  # issued | existing | no_free_seat | invalid_unit_id
    license: DeviceLicense | None = None


def _issuable_packs(*, ums: UmsInstance, product: Product, today: datetime.date):
    """Packs that may issue (rule 12), locked in primary-key order before anything counts."""
    return list(
        ProductPack.objects.select_for_update(of=("self",))
        .select_related("product", "subscription_key")
        .filter(
            assignment__ums=ums,
            product=product,
            state=ProductPack.State.LIVE,
            starts_on__lte=today,
        )
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gt=today))
        .order_by("pk")
    )


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
    if len(unit_ids) > MAX_BATCH:
        raise Invalid(
            _("At most %(max)d unit IDs per request.") % {"max": MAX_BATCH},
            code="too_many_unit_ids",
            errors=[{"loc": ["body", "unit_ids"], "msg": _("at most 1000 items")}],
        )
    prod = Product.objects.filter(sku=(product or "").strip().upper()).first()
    if prod is None:
        raise Invalid(
            _("Unknown product %(sku)s.") % {"sku": product},
            code="unknown_product",
            errors=[{"loc": ["body", "product"], "msg": _("unknown product")}],
        )
    normalised = [unit_id_normalize(u) for u in unit_ids]
    wanted = list(dict.fromkeys(n for n in normalised if n))
    now = timezone.now()
    today = timezone.localdate()
    company = ums.company

    packs = _issuable_packs(ums=ums, product=prod, today=today)
    # After the pack locks: ums_delete locks packs, then the UMS row; keep that order.
    _touch_ums(ums)
    outcome: dict[str, tuple[str, DeviceLicense | None]] = {}

    existing = {
        lic.unit_id: lic
        for lic in DeviceLicense.objects.select_related(
            "pack__product", "pack__subscription_key", "product", "ums"
        ).filter(
            company=company, product=prod, unit_id__in=wanted, status=DeviceLicense.Status.ACTIVE
        )
    }
    pair = None
    if existing:
        pair = signing.signing_key_current()
        _refresh_stale(list(existing.values()), gaid=company.gaid, pair=pair, now=now)
    for unit_id, lic in existing.items():
        outcome[unit_id] = ("existing", lic)

    # Most seats used first, ties to the earliest created. Filling the first pack only
    # raises its count, so one sort up front stays correct while seats are handed out.
    order = sorted(
        (p for p in packs if p.seats_used < p.seats),
        key=lambda p: (-p.seats_used, p.created_at, p.pk),
    )
    new: list[DeviceLicense] = []
    cursor = 0
    for unit_id in wanted:
        if unit_id in outcome:
            continue
        while cursor < len(order) and order[cursor].seats_used >= order[cursor].seats:
            cursor += 1
        if cursor >= len(order):
            outcome[unit_id] = ("no_free_seat", None)
            continue
        pack = order[cursor]
        pack.seats_used += 1
        lic = DeviceLicense(
            license_id=_new_license_id(),
            company=company,
            product=prod,
            pack=pack,
            ums=ums,
            unit_id=unit_id,
            issued_at=now,
        )
        new.append(lic)
        outcome[unit_id] = ("issued", lic)

    if new:
        pair = pair or signing.signing_key_current()
        for lic in new:
            _sign_license(lic, lic.pack, company.gaid, pair, now)
        created = _insert_licenses(new, outcome=outcome)
        _settle_seats(packs, created)
        _audit_many(
            actor=actor,
            company_id=company.pk,
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


def _insert_licenses(new: list[DeviceLicense], *, outcome: dict) -> list[DeviceLicense]:
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
            lic.pack.seats_used -= 1
            theirs = (
                DeviceLicense.objects.select_related("pack__product", "product", "ums")
                .filter(
                    company_id=lic.company_id,
                    product_id=lic.product_id,
                    unit_id=lic.unit_id,
                    status=DeviceLicense.Status.ACTIVE,
                )
                .first()
            )
            outcome[lic.unit_id] = ("existing", theirs) if theirs else ("no_free_seat", None)
    return created


def _settle_seats(packs: list[ProductPack], created: list[DeviceLicense]) -> None:
    """Write `seats_used` of every pack that issued: the locked count plus what was added."""
    touched = {lic.pack_id for lic in created}
    for pack in packs:
        if pack.pk in touched:
            ProductPack.objects.filter(pk=pack.pk).update(seats_used=pack.seats_used)


def _refresh_stale(licenses: list[DeviceLicense], *, gaid: str, pair, now) -> None:
    """Re-sign licenses whose pack expiry changed (renewal) since they were signed."""
    stale = [lic for lic in licenses if lic.expires_on != lic.pack.expires_on]
    if not stale:
        return
    for lic in stale:
        _sign_license(lic, lic.pack, gaid, pair, now)
    DeviceLicense.objects.bulk_update(stale, ["token", "expires_on"], batch_size=500)


@transaction.atomic
def licenses_refresh(*, actor: Actor, packs: Sequence[ProductPack]) -> int:
    """Re-sign the active licenses of these packs whose expiry changed (after a renewal).

    Licensing may call it after moving expiry dates; `POST /ums/licenses` and the license
    file also refresh stale licenses on their own. Returns how many were re-signed.
    """
    licenses = list(
        DeviceLicense.objects.select_related(
            "pack__product", "pack__subscription_key", "company"
        ).filter(pack__in=[p.pk for p in packs], status=DeviceLicense.Status.ACTIVE)
    )
    stale = [lic for lic in licenses if lic.expires_on != lic.pack.expires_on]
    if not stale:
        return 0
    pair = signing.signing_key_current()
    now = timezone.now()
    for lic in stale:
        _sign_license(lic, lic.pack, lic.company.gaid, pair, now)
    DeviceLicense.objects.bulk_update(stale, ["token", "expires_on"], batch_size=500)
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
        raise Conflict(_("The license is being moved. Try again."), code="license_moving")
    if current.status != DeviceLicense.Status.ACTIVE:
        return False
    now = timezone.now()
    current.status = DeviceLicense.Status.RETURNED
    current.ended_at = now
    current.save(update_fields=["status", "ended_at"])
    before_used = pack.seats_used
    pack.seats_used = max(0, pack.seats_used - 1)
    ProductPack.objects.filter(pk=pack.pk).update(seats_used=pack.seats_used)
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


def licenses_move(*, actor, licenses, target_pack) -> None:
    """Rebind active device licenses to `target_pack` (split with unit IDs, merge).

    The caller holds the row locks and adjusts `seats_used` of both packs; this rebinds the
    rows and re-signs their documents so they name the new pack (license IDs stay).
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
    moved_from = {}
    for lic in rows:
        moved_from[lic.license_id] = lic.pack_id
        lic.pack = target
        _sign_license(lic, target, target.company.gaid, pair, now)
    DeviceLicense.objects.bulk_update(rows, ["pack", "token", "expires_on"], batch_size=500)
    _audit_many(
        actor=actor,
        company_id=target.company_id,
        action="license.moved",
        rows=[("device_license", lic.license_id, None, {"pack": target.pack_id}) for lic in rows],
    )
