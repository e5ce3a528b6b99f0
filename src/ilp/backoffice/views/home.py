"""The back office's start page: the search box (every page has one) and its results."""

from django.urls import path

from ilp.core.portal import staff_page

from .common import render


@staff_page()
def home(request):
    """Find a customer by any identifier (the results come with the search, issue 21)."""
    return render(request, "backoffice/home.html", {"q": request.GET.get("q", "").strip()})


urlpatterns = [
    path("", home, name="home"),
]
