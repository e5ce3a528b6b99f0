"""Rollout API: UMS instances and pack assignment (company side), device search and
removal, ALD tokens, and the UMS API itself (`/ums/…`, authenticated by a UMS credential or
an ALD token). Split and merge, orders and delivery-token registration are `packs.py`,
added to the API ahead of licensing's routes (`ilp/api.py`)."""

from ninja import Router

from .devices import router as devices_router
from .keys import router as keys_router
from .ums import router as company_ums_router
from .ums_api import ums_router

router = Router()
router.add_router("", company_ums_router)
router.add_router("", devices_router)
router.add_router("", keys_router)
router.add_router("", ums_router)
