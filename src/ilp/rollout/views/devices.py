"""Devices in bulk (issue 24): "Remove" for the devices ticked in the devices list (a
confirmation naming each device and its licenses first), and the split page's device list
searched and paged on the server (htmx swaps only the list)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from ilp.core.authz import Permission
from ilp.core.errors import AppError
from ilp.core.portal import company_page
from ilp.core.unit_ids import unit_id_search_normalize

from .. import selectors, services

# Devices to a page of the split page's list (like the devices list).
SPLIT_PAGE = 50


def _back(request, membership) -> str:
    """The devices list the form came from (its filters and page), or the plain list."""
    default = reverse("rollout:devices", kwargs={"gaid": membership.company.gaid})
    target = request.POST.get("next") or ""
    ok = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if ok and target.startswith(default) else default


@company_page(Permission.MANAGE_ROLLOUT)
@require_POST
def devices_remove(request, membership):
    """Remove the ticked devices: first a confirmation naming each device and the licenses it
    returns; with `confirm` the removal (one transaction, `devices_remove`)."""
    back = _back(request, membership)
    picked = list(dict.fromkeys(u for u in request.POST.getlist("unit_id") if u.strip()))
    if not picked:
        messages.error(request, _("Tick the devices to remove first."))
        return redirect(back)
    if request.POST.get("confirm"):
        try:
            results = services.devices_remove(
                actor=request.actor, membership=membership, unit_ids=picked
            )
        except AppError as exc:
            messages.error(request, exc.message)
            return redirect(back)
        removed = [r["unit_id"] for r in results if r["status"] == "removed"]
        messages.success(
            request,
            ngettext(
                "%(n)s device removed: its licenses are returned, their seats are free.",
                "%(n)s devices removed: their licenses are returned, their seats are free.",
                len(removed),
            )
            % {"n": len(removed)},
        )
        return redirect(back)
    licenses = selectors.device_licenses_active_many(
        membership=membership,
        unit_ids=[unit_id_search_normalize(u) or u for u in picked],
    )
    by_unit: dict[str, list] = {}
    for lic in sorted(licenses, key=lambda lic: (lic.unit_id, lic.product.sku)):
        by_unit.setdefault(lic.unit_id, []).append(lic)
    return render(
        request,
        "rollout/devices_remove.html",
        {"devices": sorted(by_unit.items()), "next": back},
    )


def split_devices_context(request, *, membership, pack, picked: set[str]) -> dict:
    """The split page's device list: the pack's licensed devices whose unit ID starts with
    `q` (any separator), a page of them, and the picked ones not on this page (kept as
    hidden fields, so a search does not drop what was ticked)."""
    q = (request.GET.get("q") or request.POST.get("q") or "").strip()
    scope = (
        selectors.device_scope(membership=membership, pack_id=pack.pack_id, q=q)
        .filter(pack=pack)
        .select_related("ums")
        .order_by("unit_id", "pk")
    )
    page = Paginator(scope, SPLIT_PAGE).get_page(request.GET.get("page"))
    shown = {lic.unit_id for lic in page}
    return {
        "q": q,
        "device_page": page,
        "licenses": list(page),
        "picked": picked,
        "picked_hidden": sorted(picked - shown),
        "any_licenses": bool(q) or page.paginator.count > 0,
    }


urlpatterns = [
    path("companies/<str:gaid>/devices/remove/", devices_remove, name="devices_remove"),
]
