"""Orders (list and detail) and registering a legacy delivery token."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from ilp.core.authz import Permission
from ilp.core.errors import AppError
from ilp.core.portal import company_page

from ..errors import EulaError
from ..selectors import order_get, order_list, order_renewals_waiting, vendor_eula_in_force
from ..services.delivery_tokens import delivery_token_register
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


@company_page(Permission.REGISTER_DELIVERY_TOKEN)
def delivery_token(request, membership):
    error = None
    token = ""
    accepted = eula_error = False
    if request.method == "POST":
        token = request.POST.get("token", "").strip()
        accepted = bool(request.POST.get("accept_eula"))
        if not token:
            error = _("Enter the delivery token.")
        else:
            try:
                key, packs = delivery_token_register(
                    actor=request.actor, membership=membership, token=token, accept_eula=accepted
                )
            except AppError as exc:
                error = exc.message
                eula_error = exc.code == EulaError.EULA_NOT_ACCEPTED
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
        {
            "error": error,
            "token": token,
            "accepted": accepted,
            "eula_error": eula_error,
            "eula_version": vendor_eula_in_force(),
        },
        status=422 if error else 200,
    )


urlpatterns = [
    path("companies/<str:gaid>/orders/", orders, name="orders"),
    path("companies/<str:gaid>/orders/<str:order_number>/", order, name="order"),
    path("companies/<str:gaid>/delivery-token/", delivery_token, name="delivery_token"),
]
