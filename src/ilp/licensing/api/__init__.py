"""Licensing routes. Sub-routers are added in an order that keeps literal paths
(`product-packs/merge`) ahead of parameterised ones (`product-packs/{pack_id}`)."""

from ninja import Router

from .orders import router as orders_router
from .pack_ops import router as pack_ops_router
from .packs import router as packs_router
from .renewals import router as renewals_router

router = Router()
router.add_router("", pack_ops_router)
router.add_router("", renewals_router)
router.add_router("", orders_router)
router.add_router("", packs_router)
