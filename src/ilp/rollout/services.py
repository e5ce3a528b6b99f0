"""Rollout services. (Interfaces used by licensing are listed first.)"""


def packs_auto_assign(*, actor, packs) -> None:
    """Assign newly created packs to the company's auto-assign UMS, if it has one.

    Called by licensing whenever it creates packs (orders, renewals, delivery tokens) in the
    same transaction. To be implemented by the rollout work.
    """
    return None


def licenses_move(*, actor, licenses, target_pack) -> None:
    """Rebind active device licenses to `target_pack` (split with unit IDs, merge).

    The caller holds the row locks and adjusts `seats_used` of both packs; this rebinds the
    rows and re-issues their signed documents so they name the new pack. (The rollout work
    adds the re-signing.)
    """
    from .models import DeviceLicense

    DeviceLicense.objects.filter(pk__in=[lic.pk for lic in licenses]).update(pack=target_pack)
