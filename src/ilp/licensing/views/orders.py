"""Orders (list and detail) and registering a legacy delivery token."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import path

from ilp.core.authz import Permission
from ilp.core.portal import company_page

from ..selectors import order_get, order_list, order_renewals_waiting
from .common import or_404
from .eula import order_eula_context

PAGE_SIZE = 25


@company_page(Permission.VIEW)
def orders(request, membership):
    eula = request.GET.get("eula") if request.GET.get("eula") in ("pending", "accepted") else ""
    page = Paginator(order_list(membership=membership, eula=eula or None), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "licensing/orders.html", {"page": page, "eula": eula})


@company_page(Permission.VIEW)
def order(request, membership, order_number: str):
    obj = or_404(order_get, membership=membership, order_number=order_number)
    # A renewal order waiting for redemption is not a dead end: each waiting renewal links to
    # the redeem page of its key (rule 7), for those who may redeem.
    context = {
        "order": obj,
        "waiting_renewals": order_renewals_waiting(order=obj) if obj.kind == "renewal" else [],
    }
    if obj.eula_waiting:
        context.update(order_eula_context(membership=membership, order=obj))
    return render(request, "licensing/order.html", context)


urlpatterns = [
    path("companies/<str:gaid>/orders/", orders, name="orders"),
    path("companies/<str:gaid>/orders/<str:order_number>/", order, name="order"),
]
