"""UMS instances: register, rename, auto-assign, rotate the credential, delete."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.auth import UMS_CREDENTIAL_PREFIX
from ilp.core.errors import Conflict, Invalid
from ilp.core.idempotency import credential_forget
from ilp.core.ids import new_token, token_hash
from ilp.core.text import plain_text
from ilp.licensing.services.seats import pack_assignee_set, packs_assignee_clear

from .. import selectors
from ..audit_actions import AuditAction
from ..errors import RolloutError
from ..models import PackAssignment, UmsInstance
from .assignment import _revoke_pack_licenses
from .common import _lock_packs, _new_ums_id, _ums_snapshot
from .webhook_events import ums_emit

# --- UMS instances -------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    name = plain_text(name)
    if not name or len(name) > 200:
        raise Invalid(
            _("A UMS name needs 1 to 200 characters."),
            code=RolloutError.INVALID_NAME,
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
            action=AuditAction.UMS_UPDATED,
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
        action=AuditAction.UMS_REGISTERED,
        obj_type="ums",
        obj_id=ums.ums_id,
        company=company,
        after=_ums_snapshot(ums),
    )
    ums_emit(ums=ums)
    return ums, credential


def _clean_lease_days(days: int) -> int:
    maximum = settings.ILP_LICENSE_LEASE_MAX_DAYS
    if not 1 <= days <= maximum:
        raise Invalid(
            _("A lease lasts 1 to %(max)d days.") % {"max": maximum},
            code=RolloutError.INVALID_LEASE_DAYS,
            errors=[{"loc": ["body", "lease_days"], "msg": _("1 to %(max)d") % {"max": maximum}}],
        )
    return days


@transaction.atomic
def ums_update(
    *,
    actor: Actor,
    ums: UmsInstance,
    name: str | None = None,
    auto_assign: bool | None = None,
    lease_days: int | None = None,
    auto_exchange: bool | None = None,
) -> UmsInstance:
    """Rename a UMS, switch auto-assign (on for one turns it off for the others) or the
    automatic exchange, or give it another lease (rule 21: 1 to ILP_LICENSE_LEASE_MAX_DAYS
    days; the default lease stores as "none", so a later change of the default applies).

    A longer lease takes effect as documents are refreshed; documents already handed out
    keep their expiry.
    """
    before = _ums_snapshot(ums)
    if name is not None:
        ums.name = _clean_name(name)
    if auto_assign is not None:
        if auto_assign and not ums.auto_assign:
            _clear_auto_assign(actor=actor, company_id=ums.company_id, keep_pk=ums.pk)
        ums.auto_assign = auto_assign
    if lease_days is not None:
        days = _clean_lease_days(lease_days)
        ums.lease_days = None if days == settings.ILP_LICENSE_LEASE_DAYS else days
    if auto_exchange is not None:
        ums.auto_exchange = auto_exchange
    after = _ums_snapshot(ums)
    if after != before:
        ums.save(update_fields=["name", "auto_assign", "lease_days", "auto_exchange"])
        event_record(
            actor=actor,
            action=AuditAction.UMS_UPDATED,
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
    credential_forget(ums.credential_hash)  # the old credential's replay rows go with it
    ums.credential_hash = token_hash(credential)
    ums.credential_rotated_at = timezone.now()
    ums.save(update_fields=["credential_hash", "credential_rotated_at"])
    event_record(
        actor=actor,
        action=AuditAction.UMS_CREDENTIAL_ROTATED,
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
    # The UMS row first: an issuance that already wrote a license of this UMS (holding a
    # key-share lock on the row) finishes first, one that has not waits and then finds its
    # packs unassigned (issuance claims its pack row last). Packs after it, by primary key.
    UmsInstance.objects.select_for_update().filter(pk=ums.pk).first()
    pack_ids = list(ums.assignments.values_list("pack_id", flat=True))
    packs = _lock_packs(pack_ids)
    active = selectors.pack_licenses_active_count(packs=packs.values())
    if active and not force:
        raise Conflict(
            _(
                "This UMS has %(count)d device licenses in use. Remove the hardware first, "
                "or delete with force to revoke them."
            )
            % {"count": active},
            code=RolloutError.UMS_IN_USE,
        )
    revoked = 0
    for pack in packs.values():
        revoked += _revoke_pack_licenses(actor=actor, pack=pack)
    PackAssignment.objects.filter(ums=ums).delete()
    for pack in packs.values():
        pack_assignee_set(pack=pack, ums_id=None)
    event_record(
        actor=actor,
        action=AuditAction.UMS_DELETED,
        obj_type="ums",
        obj_id=ums.ums_id,
        company=ums.company,
        before={**_ums_snapshot(ums), "product_packs": sorted(p.pack_id for p in packs.values())},
        after={"revoked_licenses": revoked},
    )
    credential_forget(ums.credential_hash)
    ums.delete()
    # A pack assigned to it after its packs were read above lost its assignment with it.
    packs_assignee_clear(ums_id=ums.ums_id)
    return revoked
