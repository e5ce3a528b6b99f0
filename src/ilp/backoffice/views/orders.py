"""The order desk: every company's orders, filtered, and one order in words."""

import datetime

from django.http import Http404
from django.urls import path

from ilp.core.errors import NotFound
from ilp.core.pagination import CappedPaginator
from ilp.core.portal import staff_page

from ..selectors.orders import ORDER_STATUSES, order_detail, order_get, order_list
from .common import render


def _day(value) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


@staff_page()
def orders(request):
    """Orders of every company, newest invoice first, with filters."""
    filters = {
        "status": request.GET.get("status") or None,
        "since": _day(request.GET.get("since")),
        "until": _day(request.GET.get("until")),
        "q": (request.GET.get("order_q") or "").strip() or None,
    }
    if filters["status"] not in ORDER_STATUSES:
        filters["status"] = None
    page = CappedPaginator(order_list(**filters), 50).get_page(request.GET.get("page"))
    for order in page:
        order.status_label = ORDER_STATUSES.get(order.status, order.status)
    return render(
        request,
        "backoffice/orders.html",
        {
            "page": page,
            "filters": filters,
            "statuses": list(ORDER_STATUSES.items()),
            "filtered": any(filters.values()),
        },
    )


@staff_page()
def order(request, order_number: str):
    """One order: its company, contact and what became of it, items, the key and packs it
    made (as they are now) and the mails it caused with their delivery."""
    try:
        found = order_get(order_number=order_number)
    except NotFound:
        raise Http404 from None
    detail = order_detail(order=found)
    return render(
        request,
        "backoffice/order.html",
        {
            "order": found,
            "status_label": ORDER_STATUSES.get(found.status, found.status),
            **detail,
        },
    )


urlpatterns = [
    path("orders/", orders, name="orders"),
    path("orders/<str:order_number>/", order, name="order"),
]
