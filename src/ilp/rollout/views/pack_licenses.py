"""A pack's device licenses (a fragment of the licensing pack page) and the split page."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from ilp.core.authz import Permission
from ilp.core.errors import AppError, NotFound
from ilp.core.portal import company_page
from ilp.licensing.models import ProductPack
from ilp.licensing.selectors import pack_get

from .. import selectors, services
from .common import _int
from .devices import split_devices_context


def _pack_or_404(membership, pack_id: str) -> ProductPack:
    try:
        return pack_get(membership=membership, pack_id=pack_id)
    except NotFound:
        raise Http404 from None


@company_page(Permission.MANAGE_PACKS)
def pack_split(request, membership, pack_id: str):
    """Split seats, or the licenses of picked devices, off a pack into a new one."""
    pack = _pack_or_404(membership, pack_id)
    error = None
    seats_value = request.POST.get("seats", "")
    picked = request.POST.getlist("unit_id")
    if request.method == "POST":
        seats = _int(seats_value)
        if seats is None:
            error = _("Enter the number of seats to split off.")
        else:
            try:
                source, created = services.pack_split(
                    actor=request.actor, pack=pack, seats=seats, unit_ids=picked
                )
            except AppError as exc:
                error = exc.message
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(n)s seat moved from %(source)s to the new pack %(created)s.",
                        "%(n)s seats moved from %(source)s to the new pack %(created)s.",
                        created.seats,
                    )
                    % {"n": created.seats, "source": source.pack_id, "created": created.pack_id},
                )
                return redirect(
                    reverse("licensing:pack", args=[membership.company.gaid, source.pack_id])
                )
        pack = _pack_or_404(membership, pack_id)
    if request.method != "POST":
        picked = request.GET.getlist("unit_id")
    devices = split_devices_context(request, membership=membership, pack=pack, picked=set(picked))
    if request.htmx and request.method == "GET":  # the search box and the pager
        return render(request, "rollout/_split_devices.html", {"pack": pack, **devices})
    context = {
        "pack": pack,
        **devices,
        "error": error,
        "seats_value": seats_value,
        "max_split": max(pack.seats - 1, 0),
        "multiple": pack.product.seat_multiple,
    }
    return render(request, "rollout/pack_split.html", context, status=422 if error else 200)


@company_page(Permission.VIEW)
@require_GET
def pack_licenses(request, membership, pack_id: str):
    """The device licenses of a pack with their leases, and its ended licenses still on the
    revocation list: a fragment the licensing pack page loads (htmx), or a page of its own."""
    pack = _pack_or_404(membership, pack_id)
    now = timezone.now()
    context = {
        "pack": pack,
        "licenses": list(
            selectors.pack_licenses_active(packs=[pack])
            .order_by("unit_id")
            .select_related("product", "pack")[:200]
        ),
        "active_count": selectors.pack_licenses_active_count(packs=[pack]),
        "revoked": list(
            selectors.licenses_listed(company_id=membership.company_id, now=now, pack=pack)[:50]
        ),
        "now": now,
    }
    template = "rollout/_pack_licenses.html" if request.htmx else "rollout/pack_licenses.html"
    return render(request, template, context)


urlpatterns = [
    path("companies/<str:gaid>/packs/<str:pack_id>/licenses/", pack_licenses, name="pack_licenses"),
    path("companies/<str:gaid>/packs/<str:pack_id>/split/", pack_split, name="pack_split"),
]
