"""The seat ledger: `ProductPack.seats_used`, owned by licensing, changed only here.

Rollout takes a seat when it issues a device license and gives it back when the license
ends or moves; split and merge move seats between packs through the same calls. Every
caller holds the pack's row lock (`packs_lock`, primary-key order) and passes the locked
instance, which is updated in place so the caller's figures stay true.
"""

from django.db.models import F
from django.utils.translation import gettext as _

from ilp.core.errors import Conflict

from ..errors import PackError
from ..models import ProductPack


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
