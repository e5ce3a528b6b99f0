"""Product packs: the sortable, filterable, paged list and the pack page."""

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from ilp.core.authz import Permission
from ilp.core.csv_export import csv_of_schema
from ilp.core.errors import AppError
from ilp.core.portal import company_page

from ..models import ProductPack
from ..schemas import PackOut
from ..selectors import PACK_SORTS, pack_eulas_to_accept, pack_get, pack_list, products_list
from ..services.packs import pack_update
from .common import or_404

PAGE_SIZE = 25


def _date(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@company_page(Permission.VIEW)
def packs(request, membership):
    params = request.GET
    filters = {
        "product": params.get("product") or None,
        "status": params.get("status")
        if params.get("status") in ProductPack.Status.values
        else None,
        "subscription_key": (params.get("subscription_key") or "").strip() or None,
        "expires_before": _date(params.get("expires_before")),
    }
    sort = params.get("sort") or ""
    if sort.lstrip("-") not in PACK_SORTS:
        sort = ""
    if params.get("format") == "csv":
        # The same export as the API's ?format=csv: every pack the filters match.
        return csv_of_schema(
            f"product-packs-{membership.company.gaid}.csv",
            PackOut,
            pack_list(membership=membership, sort=sort or None, **filters).iterator(chunk_size=500),
        )
    page = Paginator(
        pack_list(membership=membership, sort=sort or None, **filters), PAGE_SIZE
    ).get_page(params.get("page"))
    current = sort.lstrip("-")
    columns = [
        ("id", _("Pack ID")),
        ("product", _("Product")),
        ("key", _("Subscription key")),
        ("seats", _("Seats")),
        ("used", _("Used")),
        ("starts", _("Starts")),
        ("expires", _("Expires")),
        ("status", _("Status")),
    ]
    headers = [
        {
            "label": label,
            "sort": f"-{name}" if sort == name else name,
            "aria": ("descending" if sort.startswith("-") else "ascending")
            if current == name
            else None,
            "num": name in ("seats", "used"),
        }
        for name, label in columns
    ]
    context = {
        "page": page,
        "headers": headers,
        "filters": filters,
        "products": list(products_list()),
        "statuses": ProductPack.Status.choices,
        "filtered": any(filters.values()),
    }
    template = "licensing/packs.html"
    if request.htmx and request.htmx.target == "pack-results":
        template = "licensing/_pack_results.html"
    return render(request, template, context)


@company_page(Permission.VIEW)
def pack(request, membership, pack_id: str):
    obj = or_404(pack_get, membership=membership, pack_id=pack_id)
    context = {"pack": obj}
    if not obj.eula_accepted:
        context.update(pack_eulas_to_accept(pack=obj))
    return render(request, "licensing/pack.html", context)


@company_page(Permission.MANAGE_PACKS)
def pack_edit(request, membership, pack_id: str):
    """Comment, archive, unarchive (POST). With htmx only the edit panel is swapped."""
    obj = or_404(pack_get, membership=membership, pack_id=pack_id)
    if request.method != "POST":
        return redirect("licensing:pack", gaid=membership.company.gaid, pack_id=obj.pack_id)
    action = request.POST.get("action")
    error = None
    try:
        if action == "comment":
            pack_update(actor=request.actor, pack=obj, comment=request.POST.get("comment", ""))
            notice = _("Comment saved.")
        elif action in ("archive", "unarchive"):
            pack_update(actor=request.actor, pack=obj, archived=action == "archive")
            notice = _("Pack archived.") if action == "archive" else _("Pack restored.")
        else:
            notice = None
    except AppError as exc:
        error, notice = exc.message, None
    if request.htmx and action == "comment":
        obj = pack_get(membership=membership, pack_id=obj.pack_id)
        return render(
            request, "licensing/_pack_edit.html", {"pack": obj, "error": error, "notice": notice}
        )
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    return redirect(reverse("licensing:pack", args=[membership.company.gaid, obj.pack_id]))


urlpatterns = [
    path("companies/<str:gaid>/packs/", packs, name="packs"),
    path("companies/<str:gaid>/packs/<str:pack_id>/", pack, name="pack"),
    path("companies/<str:gaid>/packs/<str:pack_id>/edit/", pack_edit, name="pack_edit"),
]
