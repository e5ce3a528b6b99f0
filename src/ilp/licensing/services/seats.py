"""The seat ledger: `ProductPack.seats_used`, owned by licensing, changed only here.

Rollout claims seats when it issues device licenses (`seats_claim`: one conditional UPDATE,
no lock taken before it) and gives them back when a license ends or moves; split and merge
move seats between packs. Every caller but the claim holds the pack's row lock (`packs_lock`,
primary-key order) and passes the locked instance, which is updated in place so the
caller's figures stay true. Where a pack may issue is part of the ledger too: the UMS it is
assigned to (`pack_assignee_set`) sits on the pack row, so that the claim can re-check it.
"""

import datetime

from django.db.models import F
from django.utils.translation import gettext as _

from ilp.core.errors import Conflict
from ilp.core.prepared import Prepared

from ..errors import PackError
from ..models import ProductPack, issuable_row_q


def seats_claim(
    *,
    pack_id: int,
    count: int,
    today: datetime.date,
    company_id: int,
    assigned_to: str | None = None,
    subscription_key_id: int | None = None,
) -> bool:
    """Claim `count` seats of a pack in one statement, if it still has them and may still
    issue to this caller (assigned to the UMS `assigned_to`, or on the key
    `subscription_key_id` for an ALD token) in the caller's company `company_id`; True if
    claimed. (The company is re-checked so that a claim racing a staff correction that moved
    the pack — a key transferred, a company merged — loses instead of leaving a license in
    the old company.)

    No lock is taken before: the UPDATE locks the one row until the commit, so callers
    write their rows first and claim last; PostgreSQL re-checks its conditions on the row's
    newest version when it had to wait for a concurrent split, merge, unassignment or claim
    (all of which change that row). When it fails, the caller rolls back and picks again.
    """
    if count <= 0:
        return True
    if assigned_to is not None:
        claimed = _CLAIM_BY_UMS.update(
            pack_id=pack_id, count=count, today=today, company=company_id, holder=assigned_to
        )
    else:
        claimed = _CLAIM_BY_KEY.update(
            pack_id=pack_id,
            count=count,
            today=today,
            company=company_id,
            holder=subscription_key_id,
        )
    return claimed == 1


def _claim(holder_field: str, holder_kind: type) -> Prepared:
    """`seats_claim`'s statement for a holder kind, built by the ORM once per process."""

    def build(*, pack_id, count, today, company, holder):
        return ProductPack.objects.filter(
            issuable_row_q(today),
            pk=pack_id,
            company_id=company,
            seats_used__lte=F("seats") - count,
        ).filter(**{holder_field: holder})

    return Prepared(
        build,
        changes=lambda *, count, **_: {"seats_used": F("seats_used") + count},
        pack_id=int,
        count=int,
        today=datetime.date,
        company=int,
        holder=holder_kind,
    )


_CLAIM_BY_UMS = _claim("assigned_to", str)
_CLAIM_BY_KEY = _claim("subscription_key_id", int)


def pack_assignee_set(*, pack: ProductPack, ums_id: str | None) -> None:
    """Record on a locked pack the UMS it is now assigned to (None: unassigned). Rollout calls
    it in the transaction that changes the assignment."""
    ProductPack.objects.filter(pk=pack.pk).update(assigned_to=ums_id)
    pack.assigned_to = ums_id


def seats_take(*, pack: ProductPack, count: int = 1) -> None:
    """Count `count` more seats of a locked pack as used."""
    if count <= 0:
        return
    if pack.seats_used + count > pack.seats:
        raise Conflict(
            code=PackError.NO_FREE_SEAT, message=_("Pack %s has no free seat.") % pack.pack_id
        )
    ProductPack.objects.filter(pk=pack.pk).update(seats_used=F("seats_used") + count)
    pack.seats_used += count


def seats_release(*, pack: ProductPack, count: int = 1) -> None:
    """Free `count` used seats of a locked pack (never below zero)."""
    count = min(count, pack.seats_used)
    if count <= 0:
        return
    ProductPack.objects.filter(pk=pack.pk).update(seats_used=F("seats_used") - count)
    pack.seats_used -= count


def seats_transfer(*, source: ProductPack, target: ProductPack, count: int) -> None:
    """Move `count` used seats from one locked pack to another (licenses that moved)."""
    seats_release(pack=source, count=count)
    seats_take(pack=target, count=count)


def seats_cancel(*, pack: ProductPack, count: int) -> None:
    """Take `count` free seats of a locked pack back for the vendor (an order cancelled, rule
    26): they leave the pack for good (`seats_cancelled` keeps the figure); a pack left with
    none reads `cancelled`. The caller returned licenses first where seats were in use."""
    if count <= 0:
        return
    if count > pack.seats - pack.seats_used:
        raise Conflict(
            code=PackError.SEATS_IN_USE,
            message=_("Pack %s has devices on the seats to take back.") % pack.pack_id,
        )
    pack.seats -= count
    pack.seats_cancelled += count
    if pack.seats == 0:
        pack.state = ProductPack.State.CANCELLED
    pack.save(update_fields=["seats", "seats_cancelled", "state"])


def packs_assignee_clear(*, ums_id: str) -> None:
    """Forget a deleted UMS on every pack row that still names it."""
    ProductPack.objects.filter(assigned_to=ums_id).update(assigned_to=None)
