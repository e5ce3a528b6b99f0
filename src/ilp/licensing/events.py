"""Licensing's domain events: how a pack change reaches the apps above (docs/architecture.md).

Each is sent by a licensing service inside its transaction, after its own rows are written
and locked. A receiver acts through its own app's services in the same transaction; an
AppError it raises rolls the whole operation back and reaches the caller unchanged.
"""

from django.dispatch import Signal

packs_created = Signal()
"""New packs exist (a new order, an add-on, a renewal's extra seats, a delivery token).

Arguments: `actor`, `packs` (list of ProductPack), optionally `company_new` (True: the
packs' company was created in this same transaction, so nothing of another app refers to it
yet). Rollout assigns them to the company's auto-assign UMS and answers
`{pack pk: UMS ID}` for the packs it assigned (an order shows them in its answer).
"""

pack_split = Signal()
"""`created` was split off `source` (both rows locked; `source` still holds all its seats).

Arguments: `actor`, `source`, `created`, `unit_ids` (normalised unit IDs whose licenses
must move with the new pack). Rollout gives `created` the source's UMS and moves those
licenses (422 `unit_not_on_pack` / `too_many_units` when it cannot); licensing then moves
their seats.
"""

packs_merged = Signal()
"""`merged` packs were merged into `target` (all rows locked; `target` holds their seats
and used seats).

Arguments: `actor`, `target`, `merged` (list). Rollout refuses packs on different UMS
instances (409 `pack_not_mergeable`), moves their licenses to `target` and gives it their
UMS.
"""

packs_extended = Signal()
"""The expiry of these packs moved (a renewal applied or redeemed).

Arguments: `actor`, `packs`. Rollout re-signs their licenses with the new expiry.
"""
