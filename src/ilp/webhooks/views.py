"""Webhook pages under the company's settings (administrators): endpoints, the secret shown
once, rotation, a test event, the delivery log with retry, and the event types with a sample
of each."""

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ilp.core.authz import Permission
from ilp.core.errors import AppError
from ilp.core.portal import company_page, secret_once_put, secret_once_take

from . import selectors, services
from .events import EVENT_TYPES
from .models import WebhookDelivery

MANAGE = Permission.MANAGE_WEBHOOKS
SECRET_KIND = "webhook_secret"


def _events():
    return [{"type": t, "description": d} for t, (d, _sample) in EVENT_TYPES.items()]


def _detail_url(membership, endpoint) -> str:
    return reverse(
        "webhooks:detail",
        kwargs={"gaid": membership.company.gaid, "endpoint_id": endpoint.endpoint_id},
    )


def _secret_once(request, membership, endpoint, secret):
    """Post/redirect/get: the secret is shown on the one page after the redirect."""
    secret_once_put(
        request,
        kind=SECRET_KIND,
        value=secret,
        gaid=membership.company.gaid,
        endpoint_id=endpoint.endpoint_id,
    )
    return redirect(_detail_url(membership, endpoint))


@company_page(MANAGE)
def endpoint_list(request, membership):
    form = {"url": "", "description": "", "events": []}
    status = 200
    if request.method == "POST":
        form = {
            "url": request.POST.get("url", ""),
            "description": request.POST.get("description", ""),
            "events": request.POST.getlist("events"),
        }
        try:
            endpoint, secret = services.endpoint_create(
                actor=request.actor, company=membership.company, **form
            )
        except AppError as exc:
            messages.error(request, exc.message)
            status = 422
        else:
            messages.success(request, _("Webhook endpoint added."))
            return _secret_once(request, membership, endpoint, secret)
    context = {
        "endpoints": selectors.endpoint_list(membership=membership),
        "events": _events(),
        "form": form,
    }
    return render(request, "webhooks/list.html", context, status=status)


@company_page(MANAGE)
def endpoint_detail(request, membership, endpoint_id: str):
    endpoint = selectors.endpoint_get(membership=membership, endpoint_id=endpoint_id)
    status = 200
    if request.method == "POST":
        try:
            services.endpoint_update(
                actor=request.actor,
                endpoint=endpoint,
                url=request.POST.get("url", ""),
                description=request.POST.get("description", ""),
                events=request.POST.getlist("events"),
                enabled=request.POST.get("enabled") == "on",
            )
        except AppError as exc:
            messages.error(request, exc.message)
            status = 422
        else:
            messages.success(request, _("Webhook endpoint saved."))
            return redirect(_detail_url(membership, endpoint))
        endpoint.refresh_from_db()
    secret = None
    kept = secret_once_take(request, kind=SECRET_KIND)
    if kept and kept.get("endpoint_id") == endpoint.endpoint_id:
        secret = kept["value"]
    wanted = request.GET.get("status") or None
    if wanted not in WebhookDelivery.Status.values:
        wanted = None
    page = Paginator(selectors.delivery_list(endpoint=endpoint, status=wanted), 25).get_page(
        request.GET.get("page")
    )
    context = {
        "endpoint": endpoint,
        "secret": secret,
        "events": _events(),
        "deliveries": page,
        "status_filter": wanted or "",
        "statuses": WebhookDelivery.Status.choices,
    }
    return render(request, "webhooks/detail.html", context, status=status)


@require_POST
@company_page(MANAGE)
def endpoint_rotate(request, membership, endpoint_id: str):
    endpoint = selectors.endpoint_get(membership=membership, endpoint_id=endpoint_id)
    secret = services.endpoint_secret_rotate(actor=request.actor, endpoint=endpoint)
    messages.success(request, _("New secret made; the old one also signs for 24 hours."))
    return _secret_once(request, membership, endpoint, secret)


@require_POST
@company_page(MANAGE)
def endpoint_test(request, membership, endpoint_id: str):
    endpoint = selectors.endpoint_get(membership=membership, endpoint_id=endpoint_id)
    services.endpoint_test(actor=request.actor, endpoint=endpoint)
    messages.success(request, _("Test event queued; it appears in the delivery log below."))
    return redirect(_detail_url(membership, endpoint))


@require_POST
@company_page(MANAGE)
def endpoint_delete(request, membership, endpoint_id: str):
    endpoint = selectors.endpoint_get(membership=membership, endpoint_id=endpoint_id)
    services.endpoint_delete(actor=request.actor, endpoint=endpoint)
    messages.success(request, _("Webhook endpoint deleted."))
    return redirect(reverse("webhooks:list", kwargs={"gaid": membership.company.gaid}))


@require_POST
@company_page(MANAGE)
def delivery_retry(request, membership, endpoint_id: str, delivery_id: str):
    endpoint = selectors.endpoint_get(membership=membership, endpoint_id=endpoint_id)
    delivery = selectors.delivery_get(endpoint=endpoint, delivery_id=delivery_id)
    services.delivery_retry(actor=request.actor, delivery=delivery)
    messages.success(request, _("Delivery %(id)s will be sent again.") % {"id": delivery_id})
    return redirect(_detail_url(membership, endpoint))


@company_page(MANAGE)
def event_types(request, membership):
    types = [
        {
            "type": t,
            "description": description,
            "sample": json.dumps(
                {"type": t, "timestamp": "2026-03-02T09:15:00Z", "data": sample}, indent=2
            ),
        }
        for t, (description, sample) in EVENT_TYPES.items()
    ]
    return render(request, "webhooks/events.html", {"types": types})
