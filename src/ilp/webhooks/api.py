"""Webhook endpoints of a company (administrators) and of the vendor (staff): API.md,
"Webhooks (Standard Webhooks)"."""

from ninja import Query, Router, Status
from ninja.pagination import paginate

from ilp.core.auth import CompanyAuth, StaffAuth
from ilp.core.authz import Permission, StaffRole
from ilp.core.idempotency import not_replayable
from ilp.core.pagination import Paging
from ilp.core.problems import problems

from . import selectors, services
from .schemas import (
    AcceptedOut,
    DeliveryFilters,
    DeliveryOut,
    EndpointCreatedOut,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    SecretOut,
)

router = Router(tags=["webhooks"])

MANAGE = CompanyAuth(Permission.MANAGE_WEBHOOKS)
# Vendor webhooks need the staff role `staff_admin` (API.md): the one place that says who may
# manage them.
VENDOR = StaffAuth(StaffRole.STAFF_ADMIN)

COMPANY = "/companies/{gaid}/webhooks"
STAFF = "/staff/webhooks"


def _created(endpoint, secret):
    endpoint.secret = secret
    return Status(201, endpoint)


def _accepted(delivery):
    return Status(202, {"id": delivery.message_id, "status": delivery.status})


# --- company endpoints -----------------------------------------------------------------------


def _mine(request, endpoint_id: str):
    return selectors.endpoint_get(membership=request.auth.membership, endpoint_id=endpoint_id)


@router.post(
    COMPANY, response={201: EndpointCreatedOut, **problems(401, 403, 404, 422)}, auth=MANAGE
)
@not_replayable
def endpoint_create(request, gaid: str, payload: EndpointIn):
    """Add an endpoint; its secret (`whsec_…`) is in this response only."""
    return _created(
        *services.endpoint_create(
            actor=request.auth.actor, company=request.auth.company, **payload.model_dump()
        )
    )


@router.get(COMPANY, response={200: list[EndpointOut], **problems(401, 403, 404)}, auth=MANAGE)
@paginate(Paging)
def endpoint_list(request, gaid: str):
    return selectors.endpoint_list(membership=request.auth.membership)


@router.get(
    COMPANY + "/{endpoint_id}", response={200: EndpointOut, **problems(401, 403, 404)}, auth=MANAGE
)
def endpoint_get(request, gaid: str, endpoint_id: str):
    return _mine(request, endpoint_id)


@router.patch(
    COMPANY + "/{endpoint_id}",
    response={200: EndpointOut, **problems(401, 403, 404, 422)},
    auth=MANAGE,
)
def endpoint_update(request, gaid: str, endpoint_id: str, payload: EndpointPatch):
    """Change the URL, events, description, or enable/disable the endpoint."""
    return services.endpoint_update(
        actor=request.auth.actor,
        endpoint=_mine(request, endpoint_id),
        **payload.model_dump(exclude_unset=True),
    )


@router.delete(
    COMPANY + "/{endpoint_id}", response={204: None, **problems(401, 403, 404)}, auth=MANAGE
)
def endpoint_delete(request, gaid: str, endpoint_id: str):
    services.endpoint_delete(actor=request.auth.actor, endpoint=_mine(request, endpoint_id))
    return Status(204, None)


@router.post(
    COMPANY + "/{endpoint_id}/rotate-secret",
    response={200: SecretOut, **problems(401, 403, 404)},
    auth=MANAGE,
)
@not_replayable
def endpoint_rotate(request, gaid: str, endpoint_id: str):
    """A new secret; the old one also signs deliveries for 24 hours."""
    endpoint = _mine(request, endpoint_id)
    return {"secret": services.endpoint_secret_rotate(actor=request.auth.actor, endpoint=endpoint)}


@router.post(
    COMPANY + "/{endpoint_id}/test",
    response={202: AcceptedOut, **problems(401, 403, 404)},
    auth=MANAGE,
)
def endpoint_test(request, gaid: str, endpoint_id: str):
    """Queue a `webhook.test` event for this endpoint."""
    endpoint = _mine(request, endpoint_id)
    return _accepted(services.endpoint_test(actor=request.auth.actor, endpoint=endpoint))


@router.get(
    COMPANY + "/{endpoint_id}/deliveries",
    response={200: list[DeliveryOut], **problems(401, 403, 404, 422)},
    auth=MANAGE,
)
@paginate(Paging)
def delivery_list(request, gaid: str, endpoint_id: str, filters: Query[DeliveryFilters]):
    """The endpoint's deliveries, newest first."""
    return selectors.delivery_list(endpoint=_mine(request, endpoint_id), status=filters.status)


@router.post(
    COMPANY + "/{endpoint_id}/deliveries/{delivery_id}/retry",
    response={202: AcceptedOut, **problems(401, 403, 404)},
    auth=MANAGE,
)
def delivery_retry(request, gaid: str, endpoint_id: str, delivery_id: str):
    """Send a delivery again now (same `webhook-id`)."""
    delivery = selectors.delivery_get(endpoint=_mine(request, endpoint_id), delivery_id=delivery_id)
    return _accepted(services.delivery_retry(actor=request.auth.actor, delivery=delivery))


# --- vendor endpoints (order.* of every company) -----------------------------------------------


def _vendor(endpoint_id: str):
    return selectors.vendor_endpoint_get(endpoint_id=endpoint_id)


@router.post(STAFF, response={201: EndpointCreatedOut, **problems(401, 403, 422)}, auth=VENDOR)
@not_replayable
def vendor_endpoint_create(request, payload: EndpointIn):
    """Add a vendor endpoint for `order.*` events of every company (secret shown once)."""
    return _created(
        *services.endpoint_create(actor=request.auth.actor, company=None, **payload.model_dump())
    )


@router.get(STAFF, response={200: list[EndpointOut], **problems(401, 403)}, auth=VENDOR)
@paginate(Paging)
def vendor_endpoint_list(request):
    return selectors.vendor_endpoint_list()


@router.get(
    STAFF + "/{endpoint_id}", response={200: EndpointOut, **problems(401, 403, 404)}, auth=VENDOR
)
def vendor_endpoint_get(request, endpoint_id: str):
    return _vendor(endpoint_id)


@router.patch(
    STAFF + "/{endpoint_id}",
    response={200: EndpointOut, **problems(401, 403, 404, 422)},
    auth=VENDOR,
)
def vendor_endpoint_update(request, endpoint_id: str, payload: EndpointPatch):
    return services.endpoint_update(
        actor=request.auth.actor,
        endpoint=_vendor(endpoint_id),
        **payload.model_dump(exclude_unset=True),
    )


@router.delete(
    STAFF + "/{endpoint_id}", response={204: None, **problems(401, 403, 404)}, auth=VENDOR
)
def vendor_endpoint_delete(request, endpoint_id: str):
    services.endpoint_delete(actor=request.auth.actor, endpoint=_vendor(endpoint_id))
    return Status(204, None)


@router.post(
    STAFF + "/{endpoint_id}/rotate-secret",
    response={200: SecretOut, **problems(401, 403, 404)},
    auth=VENDOR,
)
@not_replayable
def vendor_endpoint_rotate(request, endpoint_id: str):
    return {
        "secret": services.endpoint_secret_rotate(
            actor=request.auth.actor, endpoint=_vendor(endpoint_id)
        )
    }


@router.post(
    STAFF + "/{endpoint_id}/test",
    response={202: AcceptedOut, **problems(401, 403, 404)},
    auth=VENDOR,
)
def vendor_endpoint_test(request, endpoint_id: str):
    return _accepted(
        services.endpoint_test(actor=request.auth.actor, endpoint=_vendor(endpoint_id))
    )


@router.get(
    STAFF + "/{endpoint_id}/deliveries",
    response={200: list[DeliveryOut], **problems(401, 403, 404, 422)},
    auth=VENDOR,
)
@paginate(Paging)
def vendor_delivery_list(request, endpoint_id: str, filters: Query[DeliveryFilters]):
    return selectors.delivery_list(endpoint=_vendor(endpoint_id), status=filters.status)


@router.post(
    STAFF + "/{endpoint_id}/deliveries/{delivery_id}/retry",
    response={202: AcceptedOut, **problems(401, 403, 404)},
    auth=VENDOR,
)
def vendor_delivery_retry(request, endpoint_id: str, delivery_id: str):
    delivery = selectors.delivery_get(endpoint=_vendor(endpoint_id), delivery_id=delivery_id)
    return _accepted(services.delivery_retry(actor=request.auth.actor, delivery=delivery))
