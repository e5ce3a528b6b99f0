"""The company dashboard: seats per product, quick filters, the packs in use."""

from django.db.models import F
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from ilp.core.authz import Permission
from ilp.core.portal import company_page

from ..models import ProductPack
from ..selectors import dashboard_figures, pack_queryset

DASHBOARD_PACKS = 100


@company_page(Permission.VIEW)
def dashboard(request, membership):
    today = timezone.localdate()
    figures = dashboard_figures(membership=membership, today=today)
    live = pack_queryset(membership=membership).filter(state=ProductPack.State.LIVE)
    packs = list(
        live.order_by(F("expires_on").asc(nulls_last=True), "pack_id")[: DASHBOARD_PACKS + 1]
    )
    return render(
        request,
        "licensing/dashboard.html",
        {
            **figures,
            "today": today,
            "packs": packs[:DASHBOARD_PACKS],
            "more_packs": len(packs) > DASHBOARD_PACKS,
        },
    )


urlpatterns = [
    path("companies/<str:gaid>/", dashboard, name="dashboard"),
]
