"""Rollout's reactions to licensing's domain events (licensing/events.py).

Each receiver runs inside the licensing service's transaction and calls one rollout
service; an AppError it raises rolls the licensing operation back.
"""

from django.dispatch import receiver

from ilp.licensing import events

from .services import licenses_refresh, pack_split_follow, packs_auto_assign, packs_merge_follow


@receiver(events.packs_created, dispatch_uid="rollout.auto_assign")
def _auto_assign(sender, *, actor, packs, company_new=False, **kwargs) -> dict[int, str]:
    return packs_auto_assign(actor=actor, packs=packs, company_new=company_new)


@receiver(events.pack_split, dispatch_uid="rollout.split")
def _follow_split(sender, *, actor, source, created, unit_ids, **kwargs) -> None:
    pack_split_follow(actor=actor, source=source, created=created, unit_ids=unit_ids)


@receiver(events.packs_merged, dispatch_uid="rollout.merge")
def _follow_merge(sender, *, actor, target, merged, **kwargs) -> None:
    packs_merge_follow(actor=actor, target=target, merged=merged)


@receiver(events.packs_extended, dispatch_uid="rollout.resign")
def _resign(sender, *, actor, packs, **kwargs) -> None:
    # Licenses already on devices name the old expiry: sign them again.
    licenses_refresh(actor=actor, packs=packs)
