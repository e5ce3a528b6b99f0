"""A company in the back office: what it holds, its people and orders, and the way into its
portal as its administrators see it (read-only, under the "viewing as vendor staff" banner)."""

from django.http import Http404
from django.urls import path

from ilp.core.errors import NotFound
from ilp.core.portal import company_start_url, staff_page

from ..selectors.companies import company_counts, company_get, company_orders, company_people
from ..selectors.orders import ORDER_STATUSES
from .common import render


@staff_page()
def company(request, gaid: str):
    """One company for vendor staff."""
    try:
        found = company_get(gaid=gaid)
    except NotFound:
        raise Http404 from None
    orders = company_orders(company=found)
    for order in orders:
        order.status_label = ORDER_STATUSES.get(order.status, order.status)
    return render(
        request,
        "backoffice/company.html",
        {
            "the_company": found,
            "counts": company_counts(company=found),
            "people": company_people(company=found),
            "orders": orders,
            "portal_url": company_start_url(found.gaid),
        },
    )


urlpatterns = [
    path("companies/<str:gaid>/", company, name="company"),
]
