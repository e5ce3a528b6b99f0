"""Rollout's reactions to licensing's domain events (licensing/events.py).

Notifications only: nothing the sender does depends on them, and nothing they return is read.
"""

from django.dispatch import receiver

from ilp.licensing import events

from .tasks import licenses_resign_soon


@receiver(events.packs_extended, dispatch_uid="rollout.resign")
def _resign(sender, *, packs, **kwargs) -> None:
    # Licenses already on devices name the old expiry: once the renewal commits, the worker
    # signs them again in batches (a UMS asking before gets a fresh document anyway).
    licenses_resign_soon(packs=packs)
