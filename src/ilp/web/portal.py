"""The portal's navigation (assembly: it names every app's pages)."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from ilp.core.authz import Permission, has_permission

# (label, url name, permission). Entries whose URL is not (yet) defined are left out.
NAV = [
    (_("Dashboard"), "licensing:dashboard", Permission.VIEW),
    (_("Product packs"), "licensing:packs", Permission.VIEW),
    (_("Subscription keys"), "licensing:keys", Permission.VIEW),
    (_("Renewals"), "licensing:renewals", Permission.VIEW),
    (_("Orders"), "licensing:orders", Permission.VIEW),
    (_("Delivery token"), "rollout:delivery_token", Permission.REGISTER_DELIVERY_TOKEN),
    (_("UMS IDs"), "rollout:ums_list", Permission.VIEW),
    (_("Devices"), "rollout:devices", Permission.VIEW),
    (_("Search hardware"), "rollout:hardware", Permission.VIEW),
    (_("Manage company"), "accounts:manage_company", Permission.VIEW),
    (_("Audit log"), "web:audit", Permission.READ_AUDIT),
]


def nav_for(membership, current_path: str) -> list[dict]:
    items = []
    for label, name, permission in NAV:
        if not has_permission(membership.role, permission):
            continue
        try:
            url = reverse(name, kwargs={"gaid": membership.company.gaid})
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "name": name})
    # The longest matching URL is the current page.
    best = max(
        (i for i in items if current_path.startswith(i["url"])),
        key=lambda i: len(i["url"]),
        default=None,
    )
    for item in items:
        item["current"] = item is best
    return items


def switch_target(membership, from_path: str) -> str | None:
    """The company switcher keeps the kind of page: from `/companies/A/packs/WE-…/` to
    `/companies/B/packs/` (the list; the object is A's). None when the page came from no
    navigation entry, or the person's role in B does not reach it: then the dashboard."""
    best = None
    gaid = _gaid_in(from_path)
    for _label, name, permission in [*NAV, (None, "web:search", Permission.VIEW)]:
        try:
            prefix = reverse(name, kwargs={"gaid": gaid})
        except NoReverseMatch:
            continue
        if from_path.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, name, permission)
    if best is None or not has_permission(membership.role, best[2]):
        return None
    return reverse(best[1], kwargs={"gaid": membership.company.gaid})


def _gaid_in(path: str) -> str:
    """The GAID of a company page's path (`/companies/<gaid>/…`), else ""."""
    parts = path.split("/")
    return parts[2] if len(parts) > 3 and parts[1] == "companies" else ""
