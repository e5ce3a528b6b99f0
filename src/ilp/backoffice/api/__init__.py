"""The back office's HTTP API under /api/v1/staff (API.md, "Vendor back office (staff)").

Each area has its own module with its own router, added here; `ilp/api.py` mounts `router`
at `/staff`, so paths inside the areas are relative to it (`/users`, `/search`, …). Every
route's auth is `core.auth.StaffAuth(StaffRole.X)`. A new area: a new module, one line here.
"""

from ninja import Router

from . import catalogue, companies, corrections, orders, reports, search, staff

router = Router(tags=["back office"])
for area in (staff, search, companies, orders, catalogue, reports, corrections):
    router.add_router("", area.router)

__all__ = ["router"]
