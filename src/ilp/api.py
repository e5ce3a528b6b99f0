"""Assembly of the HTTP API at /api/v1: core's NinjaAPI with the router of every app."""

from ilp.accounts.api import router as accounts_router
from ilp.audit.api import router as audit_router
from ilp.backoffice.api import router as backoffice_router
from ilp.core.api import api
from ilp.licensing.api import router as licensing_router
from ilp.rollout.api import router as rollout_router
from ilp.rollout.api.packs import router as rollout_packs_router
from ilp.scim.api import router as scim_router
from ilp.sso.api import router as sso_router
from ilp.web.api import router as web_router
from ilp.webhooks.api import router as webhooks_router

api.add_router("", accounts_router)
api.add_router("", rollout_packs_router)  # ahead of licensing: product-packs/merge
api.add_router("", licensing_router)
api.add_router("", rollout_router)
api.add_router("", audit_router)
api.add_router("", webhooks_router)
api.add_router("", sso_router)
api.add_router("/staff", backoffice_router)
api.add_router("", web_router)
api.add_router("", scim_router)

__all__ = ["api"]
