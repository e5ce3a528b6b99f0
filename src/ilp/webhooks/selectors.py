"""Reads of webhook endpoints and their deliveries, scoped by the acting membership (company
endpoints) or to the vendor's own (staff)."""

from django.utils.translation import gettext as _

from ilp.core.errors import NotFound

from .errors import WebhookError
from .models import WebhookDelivery, WebhookEndpoint


def endpoint_list(*, membership):
    return WebhookEndpoint.objects.filter(company_id=membership.company_id).order_by(
        "created_at", "pk"
    )


def vendor_endpoint_list():
    return WebhookEndpoint.objects.filter(company__isnull=True).order_by("created_at", "pk")


def _one(qs, endpoint_id: str) -> WebhookEndpoint:
    endpoint = qs.filter(endpoint_id=endpoint_id).first()
    if endpoint is None:
        raise NotFound(_("No such webhook endpoint."), code=WebhookError.WEBHOOK_NOT_FOUND)
    return endpoint


def endpoint_get(*, membership, endpoint_id: str) -> WebhookEndpoint:
    """One of the membership's company's endpoints; another company's is 404."""
    return _one(endpoint_list(membership=membership), endpoint_id)


def vendor_endpoint_get(*, endpoint_id: str) -> WebhookEndpoint:
    return _one(vendor_endpoint_list(), endpoint_id)


def delivery_list(*, endpoint: WebhookEndpoint, status: str | None = None):
    qs = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-pk")
    if status:
        qs = qs.filter(status=status)
    return qs.defer("body")


def delivery_get(*, endpoint: WebhookEndpoint, delivery_id: str) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint, message_id=delivery_id).first()
    if delivery is None:
        raise NotFound(_("No such delivery."), code=WebhookError.DELIVERY_NOT_FOUND)
    return delivery
