"""Accepting EULAs in the portal (rule 20): an order's, from the orders list or the order
page, and a pack's (its order's and its own third-party EULA), from the pack page. The
rules live in services/eula.py; these pages show the text and ask for the tick."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from ilp.core.authz import Permission
from ilp.core.errors import AppError
from ilp.core.portal import company_page

from ..selectors import (
    eula_versions_in_force,
    eulas_waiting,
    order_get,
    pack_eulas_to_accept,
    pack_get,
    packs_waiting_for_third_party_eula,
    vendor_eula,
)
from ..services.eula import eulas_accept_all, order_eula_accept, pack_eula_accept
from .common import or_404


def _next_url(request, default: str) -> str:
    """Where to go after accepting: the page the form came from, if it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if ok and target.startswith("/companies/") else default


def _not_ticked(request) -> str | None:
    if request.POST.get("accept"):
        return None
    return _("Tick the box to confirm that you have read and accept the agreement.")


def order_eula_context(*, membership, order) -> dict:
    """What the order page and the acceptance page show: the vendor EULA to accept (its
    version in force) and the order's packs waiting for a third-party EULA."""
    waiting = packs_waiting_for_third_party_eula(membership=membership, order=order)
    wanted = {p.third_party_eula_id for p in waiting}
    eula_id = None
    if order.eula_pending:
        eula_id = order.eula_id
    versions = eula_versions_in_force(eula_ids=wanted | {eula_id}) if wanted or eula_id else {}
    return {
        "eula_version": versions.get(eula_id) if eula_id else None,
        "third_party_packs": [(p, versions.get(p.third_party_eula_id)) for p in waiting],
    }


@company_page(Permission.ACCEPT_EULA)
def order_eula(request, membership, order_number: str):
    """Read and accept an order's EULA (one acceptance covers the whole order)."""
    order = or_404(order_get, membership=membership, order_number=order_number)
    order_url = reverse("licensing:order", args=[membership.company.gaid, order.order_number])
    error = None
    status = 200
    if request.method == "POST":
        error = _not_ticked(request)
        status = 422
        if error is None:
            try:
                accepted = order_eula_accept(
                    actor=request.actor,
                    order=order,
                    version=request.POST.get("eula_version") or None,
                )
            except AppError as exc:
                error, status = exc.message, exc.status
            else:
                messages.success(
                    request,
                    _("EULA of order %(order)s accepted (version %(version)s).")
                    % {"order": accepted.order_number, "version": accepted.eula_version.version},
                )
                return redirect(_next_url(request, order_url))
    context = {
        "order": order,
        "error": error,
        "next": _next_url(request, order_url),
        "eula_version": None,
        "no_vendor_eula": False,
    }
    if order.eula_accepted_at is None:
        eula = order.eula if order.eula_id else vendor_eula()
        versions = eula_versions_in_force(eula_ids=[eula.pk]) if eula else {}
        context["eula_version"] = versions.get(eula.pk) if eula else None
        context["no_vendor_eula"] = context["eula_version"] is None
    return render(request, "licensing/eula_order.html", context, status=status if error else 200)


@company_page(Permission.ACCEPT_EULA)
def pack_eula(request, membership, pack_id: str):
    """Read and accept what a pack waits for: its order's EULA and its third-party EULA."""
    pack = or_404(pack_get, membership=membership, pack_id=pack_id)
    pack_url = reverse("licensing:pack", args=[membership.company.gaid, pack.pack_id])
    error = None
    status = 200
    todo = pack_eulas_to_accept(pack=pack)
    if request.method == "POST":
        error = _not_ticked(request)
        status = 422
        if error is None:
            try:
                pack_eula_accept(
                    actor=request.actor,
                    pack=pack,
                    version=request.POST.get("eula_version") or None,
                    third_party_version=request.POST.get("third_party_eula_version") or None,
                )
            except AppError as exc:
                error, status = exc.message, exc.status
            else:
                messages.success(
                    request, _("EULA accepted for pack %(pack)s.") % {"pack": pack.pack_id}
                )
                return redirect(_next_url(request, pack_url))
    context = {"pack": pack, "error": error, "next": _next_url(request, pack_url), **todo}
    return render(request, "licensing/eula_pack.html", context, status=status if error else 200)


def _accept_all_context(membership) -> dict:
    """What "Accept all" names before it accepts: per EULA (title, version in force, its text)
    the orders or packs it covers."""
    waiting = eulas_waiting(membership=membership)
    versions = waiting["versions"]
    groups: dict[int, dict] = {}
    for order in waiting["orders"]:
        group = groups.setdefault(
            order.eula_id,
            {"version": versions.get(order.eula_id), "eula": order.eula, "orders": [], "packs": []},
        )
        group["orders"].append(order)
    for pack in waiting["packs"]:
        eula_id = pack.third_party_eula_id
        group = groups.setdefault(
            eula_id,
            {
                "version": versions.get(eula_id),
                "eula": pack.third_party_eula,
                "orders": [],
                "packs": [],
            },
        )
        group["packs"].append(pack)
    return {
        "groups": list(groups.values()),
        "unavailable": [g["eula"] for g in groups.values() if g["version"] is None],
        "nothing": not groups,
    }


@company_page(Permission.ACCEPT_EULA)
def eula_accept_all(request, membership):
    """Accept every EULA the company waits for, after a confirmation naming each EULA and
    the orders and packs it covers."""
    dashboard_url = reverse("licensing:dashboard", args=[membership.company.gaid])
    error = None
    status = 200
    if request.method == "POST":
        error = _not_ticked(request)
        status = 422
        if error is None:
            try:
                result = eulas_accept_all(actor=request.actor, membership=membership)
            except AppError as exc:
                error, status = exc.message, exc.status
            else:
                messages.success(
                    request,
                    _(
                        "EULAs accepted. Orders: %(orders)s. Product packs that may issue "
                        "device licenses now: %(packs)s."
                    )
                    % {
                        "orders": ", ".join(result["accepted"]) or "—",
                        "packs": ", ".join(result["packs"]) or "—",
                    },
                )
                return redirect(_next_url(request, dashboard_url))
    context = {"error": error, "next": _next_url(request, dashboard_url)}
    context.update(_accept_all_context(membership))
    return render(
        request, "licensing/eula_accept_all.html", context, status=status if error else 200
    )


urlpatterns = [
    path("companies/<str:gaid>/eula/accept-all/", eula_accept_all, name="eula_accept_all"),
    path("companies/<str:gaid>/orders/<str:order_number>/eula/", order_eula, name="order_eula"),
    path("companies/<str:gaid>/packs/<str:pack_id>/eula/", pack_eula, name="pack_eula"),
]
