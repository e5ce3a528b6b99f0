"""The portal's navigation (assembly: it names every app's pages)."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from ilp.core.authz import Permission, membership_can

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


def permissions_for(membership) -> frozenset[Permission]:
    """What the pages offer this membership (core.authz.membership_can): its role's
    permissions; on vendor staff's view of a company only the reading ones."""
    return frozenset(p for p in Permission if membership_can(membership, p))


def nav_for(membership, current_path: str) -> list[dict]:
    items = []
    granted = permissions_for(membership)
    for label, name, permission in NAV:
        if permission not in granted:
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
