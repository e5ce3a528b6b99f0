"""Subscription keys: list and detail."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import path

from ilp.core.authz import Permission
from ilp.core.errors import NotFound
from ilp.core.portal import company_page

from ..models import Order
from ..selectors import key_detail, key_queryset

PAGE_SIZE = 20


@company_page(Permission.VIEW)
def keys(request, membership):
    page = Paginator(key_queryset(membership=membership), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "licensing/keys.html", {"page": page})


@company_page(Permission.VIEW)
def key(request, membership, key: str):
    try:
        obj = key_detail(membership=membership, key=key)
    except NotFound:
        raise Http404 from None
    orders = Order.objects.filter(company_id=membership.company_id, subscription_key=obj).order_by(
        "invoice_date", "id"
    )
    return render(request, "licensing/key.html", {"key": obj, "orders": list(orders)})


urlpatterns = [
    path("companies/<str:gaid>/subscription-keys/", keys, name="keys"),
    path("companies/<str:gaid>/subscription-keys/<str:key>/", key, name="key"),
]
