"""Orders (list and detail) and registering a legacy delivery token."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from ilp.core.authz import Permission
from ilp.core.errors import AppError
from ilp.core.portal import company_page

from ..selectors import order_get, order_list
from ..services.delivery_tokens import delivery_token_register
from .common import or_404

PAGE_SIZE = 25


@company_page(Permission.VIEW)
def orders(request, membership):
    page = Paginator(order_list(membership=membership), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "licensing/orders.html", {"page": page})


@company_page(Permission.VIEW)
def order(request, membership, order_number: str):
    obj = or_404(order_get, membership=membership, order_number=order_number)
    return render(request, "licensing/order.html", {"order": obj})


@company_page(Permission.REGISTER_DELIVERY_TOKEN)
def delivery_token(request, membership):
    error = None
    token = ""
    if request.method == "POST":
        token = request.POST.get("token", "").strip()
        if not token:
            error = _("Enter the delivery token.")
        else:
            try:
                key, packs = delivery_token_register(
                    actor=request.actor, membership=membership, token=token
                )
            except AppError as exc:
                error = exc.message
            else:
                messages.success(
                    request,
                    _("Delivery token registered: subscription key %(key)s with %(n)s packs.")
                    % {"key": key.key, "n": len(packs)},
                )
                return redirect("licensing:key", gaid=membership.company.gaid, key=key.key)
    return render(
        request,
        "licensing/delivery_token.html",
        {"error": error, "token": token},
        status=422 if error else 200,
    )


urlpatterns = [
    path("companies/<str:gaid>/orders/", orders, name="orders"),
    path("companies/<str:gaid>/orders/<str:order_number>/", order, name="order"),
    path("companies/<str:gaid>/delivery-token/", delivery_token, name="delivery_token"),
]
