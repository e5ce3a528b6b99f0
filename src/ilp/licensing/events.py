"""Licensing's domain events: notifications to the apps above (docs/architecture.md).

A notification only: sent by a licensing service inside its transaction after its own rows
are written; nothing the sender does depends on a receiver, reads what it returns, or fails
when none runs. Work that needs both licensing's and another app's rows changed together
(split, merge, orders with auto-assigned packs) is orchestrated by the higher app calling
licensing downward, never through an event.
"""

from django.dispatch import Signal

packs_extended = Signal()
"""The expiry of these packs moved (a renewal applied or redeemed).

Arguments: `actor`, `packs`. Rollout re-signs their licenses after the commit, in batches
(`rollout/services/resign.py`); until then, and if that never ran, a UMS asking for a
license whose pack end moved gets a fresh document anyway, and the daily sweep re-signs it.
"""
