""" "Search hardware" (one device's licenses, remove one), and the devices list (the fleet,
filtered and paged, or as CSV)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ilp.core.authz import Permission
from ilp.core.csv_export import csv_response
from ilp.core.errors import AppError
from ilp.core.pagination import CappedPaginator
from ilp.core.portal import company_page

from .. import selectors, services


@company_page(Permission.VIEW)
@require_GET
def hardware(request, membership):
    query = (request.GET.get("q") or "").strip()
    context = {"query": query, "unit_id": None, "licenses": [], "ended": [], "error": None}
    if query:
        try:
            unit_id = selectors.device_unit_id(query)
        except AppError as exc:
            context["error"] = exc.message
        else:
            found = list(
                selectors.device_licenses(membership=membership, unit_id=unit_id, active_only=False)
            )
            context["unit_id"] = unit_id
            context["licenses"] = [lic for lic in found if lic.status == "active"]
            context["ended"] = [lic for lic in found if lic.status != "active"]
            context["demos"] = list(
                selectors.device_demo_licenses(membership=membership, unit_id=unit_id)
            )
            context["now"] = timezone.now()
    return render(request, "rollout/hardware.html", context)


@company_page(Permission.VIEW)
@require_GET
def devices(request, membership):
    """The fleet: every licensed device with its licenses, filtered and paged, or as CSV."""
    names = ("product", "pack_id", "ums_id", "q")
    filters = {name: (request.GET.get(name) or "").strip() for name in names}
    scope = selectors.device_scope(membership=membership, **filters)
    if request.GET.get("format") == "csv":
        return csv_response(
            f"devices-{membership.company.gaid}.csv",
            selectors.DEVICE_EXPORT_HEADER,
            selectors.device_export_rows(scope=scope),
        )
    # Capped count (issue 14): a fleet of 500,000 devices is not counted on every view.
    page = CappedPaginator(selectors.device_unit_ids(scope=scope), 50).get_page(
        request.GET.get("page")
    )
    context = {
        "filters": filters,
        "filtered": any(filters.values()),
        "page": page,
        "devices": selectors.devices_of(scope=scope, unit_ids=page.object_list),
        "products": selectors.fleet_products(membership=membership),
        "ums_choices": selectors.ums_choices(membership=membership),
    }
    return render(request, "rollout/devices.html", context)


@company_page(Permission.MANAGE_ROLLOUT)
@require_POST
def hardware_remove(request, membership, unit_id: str, license_id: str):
    lic = selectors.device_license_get(
        membership=membership, unit_id=unit_id, license_id=license_id
    )
    services.license_return(actor=request.actor, license=lic)
    messages.success(
        request,
        _("Hardware %(unit)s removed: license %(id)s returned, its seat is free.")
        % {"unit": lic.unit_id, "id": lic.license_id},
    )
    url = reverse("rollout:hardware", kwargs={"gaid": membership.company.gaid})
    return redirect(f"{url}?q={lic.unit_id}")


urlpatterns = [
    path("companies/<str:gaid>/hardware/", hardware, name="hardware"),
    path("companies/<str:gaid>/devices/", devices, name="devices"),
    path(
        "companies/<str:gaid>/hardware/<str:unit_id>/licenses/<str:license_id>/remove/",
        hardware_remove,
        name="hardware_remove",
    ),
]
