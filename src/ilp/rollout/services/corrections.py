"""Vendor staff corrections that change packs and device licenses together (rule 26), run by
rollout — the layer that owns the licenses — calling licensing (seats, keys, orders) and
accounts (people) downward, each in one transaction with its audit events and mails:

- `order_cancel`: an order's seats taken back, all or per pack; devices in the way block it
  (409 `seats_in_use` with their unit IDs) unless their licenses are returned, newest first;
- `key_transfer`: a subscription key with its packs moved to another company; their
  assignments end, their licenses and the key's ALD token are revoked;
- `company_merge`: a duplicate company merged into another; everything moves, unless both
  hold a license of the same product for the same device (409 `merge_conflict`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.accounts.models import Company
from ilp.accounts.selectors import company_find
from ilp.accounts.services.merge import (
    company_integrations_drop,
    company_members_merge,
    company_merge_lock,
)
from ilp.audit.services import event_record, events_company_move
from ilp.core.actors import Actor
from ilp.core.errors import Conflict, Invalid
from ilp.licensing.errors import CorrectionError
from ilp.licensing.models import Order, ProductPack
from ilp.licensing.selectors.packs import subscription_key_normalize
from ilp.licensing.services import corrections as licensing
from ilp.licensing.services.corrections import reason_check
from ilp.licensing.services.seats import pack_assignee_set, seats_release
from ilp.licensing.services.webhook_events import CANCEL, packs_changed
from ilp.scim.services import scim_token_revoke
from ilp.sso.services import company_sso_drop
from ilp.webhooks.services import company_endpoints_drop

from .. import selectors
from ..audit_actions import AuditAction
from ..errors import RolloutError
from ..models import AldToken, DemoLicense, DeviceLicense, PackAssignment, UmsInstance
from .ald import ald_token_revoke
from .assignment import _revoke_pack_licenses
from .common import _audit_many
from .webhook_events import licenses_emit

# --- cancel an order's seats ------------------------------------------------------------------


@dataclass
class CancelResult:
    order: Order
    packs: list[ProductPack]
    returned: list[dict] = field(default_factory=list)  # {"license_id", "unit_id", "pack_id"}


@transaction.atomic
def order_cancel(
    *,
    actor: Actor,
    order_number: str,
    reason: str,
    items: Sequence[tuple[str, int]] | None = None,
    return_licenses: bool = False,
) -> CancelResult:
    """Take back the seats an order delivered (all, or `items` as (pack ID, seats)).

    Locks the order, then its packs (licensing's `order_cancel_plan`). A pack gives back its
    free seats first; where more are taken back than are free, the devices in the way block
    it (409 `seats_in_use`, `unit_ids`: every such pack's licenses, newest first, as many as
    are in the way) — unless `return_licenses`: then exactly those licenses are returned
    (newest first) and listed. A pack left without seats is unassigned and reads `cancelled`.
    """
    reason = reason_check(reason)
    actor = actor.with_reason(reason)
    order = licensing.order_lock(order_number=order_number)
    takes = licensing.order_cancel_plan(order=order, items=items)
    in_way: dict[int, list[DeviceLicense]] = {}
    for take in takes:
        need = take.seats - take.pack.seats_free
        if need > 0:
            in_way[take.pack.pk] = list(
                DeviceLicense.objects.select_for_update()
                .filter(pack=take.pack, status=DeviceLicense.Status.ACTIVE)
                .order_by("-issued_at", "-pk")[:need]
            )
    if in_way and not return_licenses:
        unit_ids = [lic.unit_id for lics in in_way.values() for lic in lics]
        raise Conflict(
            _(
                "Devices use seats to be taken back: %(units)s. Return their licenses "
                "(newest first) or take back fewer seats."
            )
            % {"units": ", ".join(unit_ids[:20]) + (" …" if len(unit_ids) > 20 else "")},
            code=CorrectionError.SEATS_IN_USE,
            extra={"unit_ids": unit_ids},
        )
    returned: list[dict] = []
    for take in takes:
        licenses = in_way.get(take.pack.pk, [])
        if licenses:
            returned += _licenses_return(
                actor=actor, pack=take.pack, licenses=licenses, reason=reason
            )
    packs = licensing.order_seats_cancel(
        actor=actor, order=order, takes=takes, reason=reason, returned=returned
    )
    for pack in packs:
        if pack.state == ProductPack.State.CANCELLED:
            _assignment_end(actor=actor, pack=pack, reason=reason)
    packs_changed(company_id=order.company_id, packs=packs, change=CANCEL)
    return CancelResult(order=order, packs=packs, returned=returned)


def _licenses_return(
    *, actor: Actor, pack: ProductPack, licenses: list[DeviceLicense], reason: str
) -> list[dict]:
    """Return these active licenses of a locked pack (their seats are free again); audited
    as `license.returned` with the reason, as a removal of the hardware would be."""
    now = timezone.now()
    DeviceLicense.objects.filter(pk__in=[lic.pk for lic in licenses]).update(
        status=DeviceLicense.Status.RETURNED, ended_at=now
    )
    seats_release(pack=pack, count=len(licenses))
    _audit_many(
        actor=actor,
        company_id=pack.company_id,
        action=AuditAction.LICENSE_RETURNED,
        rows=[
            (
                "device_license",
                lic.license_id,
                {"status": "active"},
                {
                    "status": "returned",
                    "unit_id": lic.unit_id,
                    "pack": pack.pack_id,
                },
            )
            for lic in licenses
        ],
    )
    licenses_emit(
        company_id=pack.company_id,
        type="license.returned",
        license_ids=[lic.license_id for lic in licenses],
    )
    return [
        {"license_id": lic.license_id, "unit_id": lic.unit_id, "pack_id": pack.pack_id}
        for lic in licenses
    ]


def _assignment_end(*, actor: Actor, pack: ProductPack, reason: str) -> None:
    """Unassign a locked pack that holds no seat any more (no license is left on it)."""
    assignment = PackAssignment.objects.select_related("ums").filter(pack=pack).first()
    if assignment is None:
        return
    assignment.delete()
    pack_assignee_set(pack=pack, ums_id=None)
    event_record(
        actor=actor,
        action=AuditAction.PACK_UNASSIGNED,
        obj_type="product_pack",
        obj_id=pack.pack_id,
        company=pack.company,
        before={"ums_id": assignment.ums.ums_id},
        after={"ums_id": None},
    )


# --- transfer a key ---------------------------------------------------------------------------


@dataclass
class TransferResult:
    key: object
    from_company: Company
    to_company: Company
    packs: list[ProductPack]
    revoked: int


@transaction.atomic
def key_transfer(*, actor: Actor, key: str, to_gaid: str, reason: str) -> TransferResult:
    """Move a subscription key and its packs to the company `to_gaid` (mergers and
    acquisitions): the packs' UMS assignments end and their active licenses are revoked
    (seats free), the key's ALD token is revoked, then licensing moves the key, its packs,
    orders and renewals. 409 `renewal_pending` while a renewal of the key awaits redemption;
    422 `unknown_gaid`, `transfer_same_company`."""
    reason = reason_check(reason)
    actor = actor.with_reason(reason)
    target = company_find(gaid=to_gaid)
    if target is None or target.merged_into_id is not None:
        message = _("No company %(gaid)s.") % {"gaid": to_gaid}
        raise Invalid(
            message,
            code=CorrectionError.UNKNOWN_GAID,
            errors=[{"loc": ["body", "to_gaid"], "msg": message}],
        )
    # The key's ALD token before the key and its packs, in the order issuance through it takes
    # them (its visit recorded on the token row, then the pack claimed): no deadlock.
    list(
        AldToken.objects.select_for_update().filter(
            subscription_key__key=subscription_key_normalize(key or "")
        )
    )
    found, packs = licensing.key_transfer_lock(key=key)
    source = found.company
    if source.pk == target.pk:
        message = _("%(key)s already belongs to %(gaid)s.") % {
            "key": found.key,
            "gaid": target.gaid,
        }
        raise Invalid(
            message,
            code=CorrectionError.TRANSFER_SAME_COMPANY,
            errors=[{"loc": ["body", "to_gaid"], "msg": message}],
        )
    revoked = 0
    for pack in packs:
        revoked += _revoke_pack_licenses(actor=actor, pack=pack)
        _assignment_end(actor=actor, pack=pack, reason=reason)
    ald_token_revoke(actor=actor, key=found)
    licensing.key_company_move(
        actor=actor, key=found, to_company=target, reason=reason, revoked=revoked
    )
    return TransferResult(
        key=found, from_company=source, to_company=target, packs=packs, revoked=revoked
    )


# --- merge a duplicate company ----------------------------------------------------------------


@dataclass
class MergeResult:
    source: Company
    target: Company
    moved: dict


@transaction.atomic
def company_merge(*, actor: Actor, gaid: str, target_gaid: str, reason: str) -> MergeResult:
    """Merge the company `gaid` into `target_gaid`: members (the higher role wins), keys,
    packs, orders, UMS instances, licenses and audit events move to the target; the merged
    company's integrations are dropped (`company_integrations_drop`); its GAID answers 410
    `company_merged` from then on.

    Locks both companies, then all their packs (no seat is claimed meanwhile: a claim
    re-checks the pack's company), then refuses — moving nothing — when both hold an active
    license of the same product for the same device (409 `merge_conflict`, `unit_ids`).
    """
    reason = reason_check(reason)
    actor = actor.with_reason(reason)
    source, target = company_merge_lock(source_gaid=gaid, target_gaid=target_gaid)
    # The callers' rows before the packs, in the order issuance takes them (it records its
    # visit on the UMS or ALD token row, then claims the pack): no deadlock with it.
    list(
        UmsInstance.objects.select_for_update(no_key=True)
        .filter(company__in=[source, target])
        .order_by("pk")
    )
    list(AldToken.objects.select_for_update(no_key=True).filter(company=source).order_by("pk"))
    licensing.company_packs_lock(companies=[source, target])
    conflicts = selectors.merge_license_conflicts(source=source, target=target)
    if conflicts:
        raise _merge_conflict(conflicts)
    moved = licensing.company_licensing_move(source=source, target=target)
    moved.update(_rollout_move(source=source, target=target))
    moved.update(company_members_merge(source=source, target=target))
    dropped = _integrations_drop(actor=actor, company=source)
    moved["events"] = events_company_move(source=source, target=target)
    event_record(
        actor=actor,
        company=target,
        action=AuditAction.COMPANY_MERGED,
        obj_type="company",
        obj_id=source.gaid,
        before={"gaid": source.gaid, "name": source.name},
        after={
            "merged_into": target.gaid,
            "moved": moved,
            "dropped": dropped,
        },
    )
    return MergeResult(source=source, target=target, moved=moved)


def _merge_conflict(unit_ids: list[str]) -> Conflict:
    return Conflict(
        _(
            "Both companies hold a license of the same product for these devices: %(units)s. "
            "Remove one of each first."
        )
        % {"units": ", ".join(unit_ids[:20]) + (" …" if len(unit_ids) > 20 else "")},
        code=RolloutError.MERGE_CONFLICT,
        extra={"unit_ids": unit_ids},
    )


def _rollout_move(*, source: Company, target: Company) -> dict:
    """Move rollout's rows of the merged company: UMS instances (the target's auto-assign UMS
    stays the one), device licenses of every status, ALD tokens, demo licenses (a device
    that had a demo in both keeps the target's: a demo is once per device ever)."""
    if UmsInstance.objects.filter(company=target, auto_assign=True).exists():
        UmsInstance.objects.filter(company=source, auto_assign=True).update(auto_assign=False)
    ums = UmsInstance.objects.filter(company=source).update(company=target)
    try:
        with transaction.atomic():
            licenses = DeviceLicense.objects.filter(company=source).update(company=target)
    except IntegrityError:
        # A license issued meanwhile for a device of the other company (the unique index
        # of one active license per device and product caught it): nothing moves.
        units = selectors.merge_license_conflicts(source=source, target=target)
        raise _merge_conflict(units) from None
    AldToken.objects.filter(company=source).update(company=target)
    theirs = DemoLicense.objects.filter(company=target).values_list("product_id", "unit_id")
    taken = set(theirs)
    drop = [
        d.pk
        for d in DemoLicense.objects.filter(company=source)
        if (d.product_id, d.unit_id) in taken
    ]
    DemoLicense.objects.filter(pk__in=drop).delete()
    DemoLicense.objects.filter(company=source).update(company=target)
    return {"ums": ums, "device_licenses": licenses}


def _integrations_drop(*, actor: Actor, company) -> dict:
    """What connects a merged company to the outside goes (API.md, third round): the API
    tokens limited to it (accounts), its SSO settings and domains (sso), its SCIM token
    (scim) and its webhooks (webhooks). Returns what went, by kind."""
    dropped = company_integrations_drop(actor=actor, company=company)
    dropped.update(company_sso_drop(actor=actor, company=company))
    dropped["scim_token"] = scim_token_revoke(actor=actor, company=company)
    dropped["webhooks"] = company_endpoints_drop(actor=actor, company_id=company.pk)
    return dropped
