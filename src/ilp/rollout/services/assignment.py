"""Pack assignment (rule 15): assign, unassign (forced: revoke), auto-assign; and split and
merge, which change packs, their licenses and assignments in one transaction."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.errors import Conflict, Invalid, NotFound
from ilp.licensing.models import ProductPack
from ilp.licensing.services import pack_ops
from ilp.licensing.services.seats import pack_assignee_set, seats_release

from .. import selectors
from ..audit_actions import AuditAction
from ..errors import RolloutError
from ..models import DeviceLicense, PackAssignment, UmsInstance
from .common import _audit_many, _lock_packs
from .licenses import licenses_move
from .webhook_events import licenses_emit, packs_changed, packs_created

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
        raise NotFound(code=RolloutError.PACK_NOT_FOUND, message=_("No such product pack."))
    if locked.state not in _ASSIGNABLE:
        raise Conflict(
            _("Product pack %(pack)s is %(state)s and cannot be assigned.")
            % {"pack": locked.pack_id, "state": locked.get_state_display()},
            code=RolloutError.PACK_NOT_ASSIGNABLE,
        )
    current = PackAssignment.objects.select_related("ums").filter(pack=locked).first()
    if current is not None:
        if current.ums_id == ums.pk:
            return False
        raise Conflict(
            _("Product pack %(pack)s is assigned to %(ums)s. Unassign it there first.")
            % {"pack": locked.pack_id, "ums": current.ums.ums_id},
            code=RolloutError.PACK_ASSIGNED_ELSEWHERE,
        )
    _assignment_create(actor=actor, pack=locked, ums=ums)
    return True


def _assignment_create(*, actor: Actor, pack: ProductPack, ums: UmsInstance, **why) -> None:
    """Assign `pack` to `ums` and audit it (`pack.assigned`; `why` joins its `after`)."""
    PackAssignment.objects.create(pack=pack, ums=ums)
    pack_assignee_set(pack=pack, ums_id=ums.ums_id)
    event_record(
        actor=actor,
        action=AuditAction.PACK_ASSIGNED,
        obj_type="product_pack",
        obj_id=pack.pack_id,
        company=ums.company,
        after={"ums_id": ums.ums_id, **why},
    )


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
    seats_release(pack=pack, count=len(licenses))
    _audit_many(
        actor=actor,
        company_id=pack.company_id,
        action=AuditAction.LICENSE_REVOKED,
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
    licenses_emit(
        company_id=pack.company_id,
        type="license.revoked",
        license_ids=[lic.license_id for lic in licenses],
    )
    event_record(
        actor=actor,
        action=AuditAction.PACK_LICENSES_REVOKED,
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
            code=RolloutError.PACK_NOT_ASSIGNED,
        )
    active = selectors.pack_licenses_active_count(packs=[locked])
    if active and not force:
        raise Conflict(
            _(
                "Product pack %(pack)s has %(count)d device licenses in use. "
                "Unassign with force to revoke them."
            )
            % {"pack": locked.pack_id, "count": active},
            code=RolloutError.PACK_IN_USE,
        )
    revoked = _revoke_pack_licenses(actor=actor, pack=locked)
    assignment.delete()
    pack_assignee_set(pack=locked, ums_id=None)
    event_record(
        actor=actor,
        action=AuditAction.PACK_UNASSIGNED,
        obj_type="product_pack",
        obj_id=locked.pack_id,
        company=ums.company,
        before={"ums_id": ums.ums_id},
        after={"ums_id": None, "revoked_licenses": revoked, "forced": force},
    )
    return revoked


def packs_auto_assign(*, actor, packs, company_new: bool = False) -> dict[int, str]:
    """Assign newly created packs to their company's auto-assign UMS, if it has one; returns
    `{pack pk: UMS ID}` of the packs it assigned.

    Called by `order_place` and `delivery_token_register` (services/orders.py) in the
    transaction that created the packs; packs already assigned or not live are left alone. A company
    created in that same transaction (`company_new`) has no UMS yet: nothing to look up.
    """
    packs = [p for p in packs if p.state == ProductPack.State.LIVE]
    if not packs or company_new:
        return {}
    company_ids = {p.company_id for p in packs}
    targets = {
        u.company_id: u
        for u in UmsInstance.objects.select_related("company").filter(
            company_id__in=company_ids, auto_assign=True
        )
    }
    if not targets:
        return {}
    assigned = set(
        PackAssignment.objects.filter(pack__in=[p.pk for p in packs]).values_list(
            "pack_id", flat=True
        )
    )
    made = {}
    for pack in packs:
        ums = targets.get(pack.company_id)
        if ums is None or pack.pk in assigned:
            continue
        _assignment_create(actor=actor, pack=pack, ums=ums, auto_assign=True)
        made[pack.pk] = ums.ums_id
    return made


# --- split and merge: pack and license changes in one transaction --------------------------


@transaction.atomic
def pack_split(
    *, actor: Actor, pack: ProductPack, seats: int, unit_ids: Sequence[str] = ()
) -> tuple[ProductPack, ProductPack]:
    """Split `seats` seats (and the licenses of `unit_ids`) off `pack` into a new pack
    (rule 9): the one way to split. Returns `(source, created)`.

    Locks the source through licensing and checks the split there, then locks and checks
    the named devices' licenses (422 `unit_not_on_pack` when one has no active license of
    the source, `too_many_units` when more are named than the new pack has seats), calls
    licensing's seat-only split (their used seats move with them), gives the new pack the
    source's UMS and moves the licenses — one transaction.
    """
    source, wanted = pack_ops.pack_split_check(pack=pack, seats=seats, unit_ids=unit_ids)
    licenses = _split_licenses_lock(source=source, seats=seats, unit_ids=wanted)
    source, created = pack_ops.pack_split(actor=actor, pack=source, seats=seats, unit_ids=wanted)
    assignment = PackAssignment.objects.filter(pack=source).select_related("ums").first()
    if assignment is not None:
        _assignment_create(actor=actor, pack=created, ums=assignment.ums, split_from=source.pack_id)
    licenses_move(actor=actor, licenses=licenses, target_pack=created)
    packs_changed(company_id=source.company_id, packs=[source], change="split")
    packs_created(company_id=source.company_id, packs=[created])
    return source, created


def _split_licenses_lock(
    *, source: ProductPack, seats: int, unit_ids: list[str]
) -> list[DeviceLicense]:
    if not unit_ids:
        return []
    licenses = list(
        DeviceLicense.objects.select_for_update()
        .filter(pack=source, status=DeviceLicense.Status.ACTIVE, unit_id__in=unit_ids)
        .order_by("pk")
    )
    found = {lic.unit_id for lic in licenses}
    missing = [u for u in unit_ids if u not in found]
    if missing:
        raise Invalid(
            code=RolloutError.UNIT_NOT_ON_PACK,
            message=_("No active license of pack %(pack)s for: %(units)s.")
            % {"pack": source.pack_id, "units": ", ".join(missing)},
        )
    if len(licenses) > seats:
        raise Invalid(
            code=RolloutError.TOO_MANY_UNITS,
            message=_("%(n)s devices cannot move with only %(seats)s seats.")
            % {"n": len(licenses), "seats": seats},
        )
    return licenses


@transaction.atomic
def pack_merge(
    *, actor: Actor, packs: Sequence[ProductPack]
) -> tuple[ProductPack, list[ProductPack]]:
    """Merge packs into the first one (rule 10): the one way to merge. Returns
    `(target, merged)`.

    Locks and checks the packs through licensing, refuses packs assigned to different UMS
    instances (409 `pack_not_mergeable`), calls licensing's seat-only merge, moves the merged
    packs' active licenses to the target, which takes over the one UMS they share.
    """
    named = pack_ops.packs_merge_lock(packs)
    pks = [p.pk for p in named]
    assignments = {
        a.pack_id: a
        for a in PackAssignment.objects.select_for_update()
        .select_related("ums")
        .filter(pack_id__in=pks)
        .order_by("pk")
    }
    if len({a.ums_id for a in assignments.values()}) > 1:
        raise Conflict(
            code=RolloutError.PACK_NOT_MERGEABLE,
            message=_("The packs are assigned to different UMS instances; unassign them first."),
        )
    licenses = list(
        DeviceLicense.objects.select_for_update()
        .filter(pack_id__in=pks[1:], status=DeviceLicense.Status.ACTIVE)
        .order_by("pk")
    )
    target, merged = pack_ops.pack_merge(actor=actor, packs=named)
    licenses_move(actor=actor, licenses=licenses, target_pack=target)
    shared = next(iter(assignments.values()), None)
    if shared is not None:
        PackAssignment.objects.filter(pack_id__in=pks[1:]).delete()
        for pack in merged:
            pack_assignee_set(pack=pack, ums_id=None)
        if target.pk not in assignments:
            _assignment_create(
                actor=actor,
                pack=target,
                ums=shared.ums,
                merged_from=[p.pack_id for p in merged],
            )
    packs_changed(company_id=target.company_id, packs=[target, *merged], change="merge")
    return target, merged
