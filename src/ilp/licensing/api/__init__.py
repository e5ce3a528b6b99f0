"""Licensing routes. Split, merge, `POST /orders` and delivery-token registration change
licenses or assignments too: they are rollout's (`rollout/api/packs.py`), added ahead of these
so that the literal `product-packs/merge` comes before `product-packs/{pack_id}`."""

from ninja import Router

from .orders import router as orders_router
from .packs import router as packs_router
from .renewals import router as renewals_router

router = Router()
router.add_router("", renewals_router)
router.add_router("", orders_router)
router.add_router("", packs_router)
