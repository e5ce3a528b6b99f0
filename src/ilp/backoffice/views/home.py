"""The back office's start page: the search across every company and its results."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from ilp.core.portal import staff_page

from ..selectors.search import staff_search
from .common import render

KIND_LABELS = {
    "company": _("Company"),
    "subscription_key": _("Subscription key"),
    "product_pack": _("Product pack"),
    "order": _("Order"),
    "user": _("Person"),
    "device": _("Device"),
}


def hit_url(hit: dict) -> str | None:
    """Where a hit leads: the company's back-office page, the order's, or the object's page
    in the company's portal (read as vendor staff)."""
    gaid = hit["gaid"]
    if hit["kind"] == "order":
        return reverse("backoffice:order", kwargs={"order_number": hit["id"]})
    if not gaid:
        return None
    if hit["kind"] == "subscription_key":
        return reverse("licensing:key", kwargs={"gaid": gaid, "key": hit["id"]})
    if hit["kind"] == "product_pack":
        return reverse("licensing:pack", kwargs={"gaid": gaid, "pack_id": hit["id"]})
    if hit["kind"] == "device":
        return reverse("rollout:hardware", kwargs={"gaid": gaid}) + f"?q={hit['id']}"
    return reverse("backoffice:company", kwargs={"gaid": gaid})


@staff_page()
def home(request):
    """Find a customer by any identifier."""
    q = request.GET.get("q", "").strip()
    hits = staff_search(q=q) if q else []
    for hit in hits:
        hit["kind_label"] = KIND_LABELS[hit["kind"]]
        hit["url"] = hit_url(hit)
        hit["company_url"] = (
            reverse("backoffice:company", kwargs={"gaid": hit["gaid"]}) if hit["gaid"] else None
        )
    return render(request, "backoffice/home.html", {"q": q, "hits": hits})


urlpatterns = [
    path("", home, name="home"),
]
