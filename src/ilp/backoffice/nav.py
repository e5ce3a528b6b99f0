"""The back office's navigation: (label, URL name, the staff role it needs). Entries whose
URL is not defined (yet) are left out, so an area adds its line before its pages exist."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from ilp.core.authz import StaffRole, staff_role_allows

NAV = [
    (_("Search"), "backoffice:home", StaffRole.SUPPORT),
    (_("Orders"), "backoffice:orders", StaffRole.SUPPORT),
    (_("Duplicates"), "backoffice:duplicates", StaffRole.SUPPORT),
    (_("Catalogue"), "backoffice:catalogue", StaffRole.SUPPORT),
    (_("Reports"), "backoffice:reports", StaffRole.SUPPORT),
    (_("Staff and tokens"), "backoffice:staff", StaffRole.STAFF_ADMIN),
]


def staff_nav(role: str, current_path: str) -> list[dict]:
    items = []
    for label, name, needed in NAV:
        if not staff_role_allows(role, needed):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "name": name})
    best = max(
        (i for i in items if current_path.startswith(i["url"])),
        key=lambda i: len(i["url"]),
        default=None,
    )
    for item in items:
        item["current"] = item is best
    return items
