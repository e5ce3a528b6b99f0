"""A company in the back office: what it holds, its orders, and the way into its portal as
its administrators see it (read-only, under the "viewing as vendor staff" banner)."""

from django.http import Http404
from django.urls import path

from ilp.accounts.selectors import company_find
from ilp.core.portal import company_start_url, staff_page

from .common import render


@staff_page()
def company(request, gaid: str):
    """One company for vendor staff."""
    found = company_find(gaid=gaid)
    if found is None:
        raise Http404
    return render(
        request,
        "backoffice/company.html",
        {"the_company": found, "portal_url": company_start_url(found.gaid)},
    )


urlpatterns = [
    path("companies/<str:gaid>/", company, name="company"),
]
