"""The portal's navigation (assembly: it names every app's pages)."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from ilp.core.authz import Permission, membership_can
from ilp.core.portal import nav_items

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
    (_("Webhooks"), "webhooks:list", Permission.MANAGE_WEBHOOKS),
    (_("Audit log"), "web:audit", Permission.READ_AUDIT),
]


def permissions_for(membership) -> frozenset[Permission]:
    """What the pages offer this membership (core.authz.membership_can): its role's
    permissions; on vendor staff's view of a company only the reading ones."""
    return frozenset(p for p in Permission if membership_can(membership, p))


def nav_for(membership, current_path: str) -> list[dict]:
    granted = permissions_for(membership)
    kwargs = {"gaid": membership.company.gaid}
    return nav_items(
        ((label, name, kwargs) for label, name, permission in NAV if permission in granted),
        current_path,
    )


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
    if best is None or not membership_can(membership, best[2]):
        return None
    return reverse(best[1], kwargs={"gaid": membership.company.gaid})


def _gaid_in(path: str) -> str:
    """The GAID of a company page's path (`/companies/<gaid>/…`), else ""."""
    parts = path.split("/")
    return parts[2] if len(parts) > 3 and parts[1] == "companies" else ""
