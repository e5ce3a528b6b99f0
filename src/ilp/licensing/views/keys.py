"""Subscription keys: list and detail."""

from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import render
from django.urls import path

from ilp.core.authz import Permission
from ilp.core.portal import company_page

from ..selectors import key_detail, key_queryset, order_list_for_key
from .common import or_404

PAGE_SIZE = 20


@company_page(Permission.VIEW)
def keys(request, membership):
    # Soonest expiry first (what needs a renewal next), perpetual keys last.
    ordered = key_queryset(membership=membership).order_by(
        F("expires_on").asc(nulls_last=True), "key"
    )
    page = Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "licensing/keys.html", {"page": page})


@company_page(Permission.VIEW)
def key(request, membership, key: str):
    obj = or_404(key_detail, membership=membership, key=key)
    orders = order_list_for_key(membership=membership, key=obj)
    return render(request, "licensing/key.html", {"key": obj, "orders": orders})


urlpatterns = [
    path("companies/<str:gaid>/subscription-keys/", keys, name="keys"),
    path("companies/<str:gaid>/subscription-keys/<str:key>/", key, name="key"),
]
