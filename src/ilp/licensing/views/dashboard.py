"""The company dashboard: seats per product, quick filters, the packs in use."""

from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from ilp.core.authz import Permission
from ilp.core.portal import company_page

from ..selectors import (
    dashboard_figures,
    orders_waiting_for_eula_count,
    pack_list_live,
    packs_blocked_by_eula,
    renewals_awaiting_count,
    seat_history,
)

# The soonest-expiring packs; "All product packs" leads to the rest. 50, not 100: the table
# was half of the page's time for a large customer (issue 14).
DASHBOARD_PACKS = 50
# The EULA card names this many of the packs an EULA stops, then says how many more.
BLOCKED_NAMED = 6


@company_page(Permission.VIEW)
def dashboard(request, membership):
    today = timezone.localdate()
    figures = dashboard_figures(membership=membership, today=today)
    # One more than shown, to know whether to offer "more".
    packs = pack_list_live(membership=membership, limit=DASHBOARD_PACKS + 1)
    eula_waiting = orders_waiting_for_eula_count(membership=membership)
    blocked, blocked_count = (
        packs_blocked_by_eula(membership=membership, limit=BLOCKED_NAMED)
        if eula_waiting
        else ([], 0)
    )
    return render(
        request,
        "licensing/dashboard.html",
        {
            **figures,
            "today": today,
            "packs": packs[:DASHBOARD_PACKS],
            "more_packs": len(packs) > DASHBOARD_PACKS,
            "eula_waiting": eula_waiting,
            "eula_blocked": blocked,
            "eula_blocked_more": blocked_count - len(blocked),
            "eula_blocked_count": blocked_count,
            "renewals_awaiting": renewals_awaiting_count(membership=membership),
            "history": seat_history(membership=membership, today=today),
        },
    )


urlpatterns = [
    path("companies/<str:gaid>/", dashboard, name="dashboard"),
]
