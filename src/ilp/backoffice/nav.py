"""The back office's navigation: (label, URL name, the staff role it needs). Entries whose
URL is not defined (yet) are left out, so an area adds its line before its pages exist."""

from django.utils.translation import gettext_lazy as _

from ilp.core.authz import StaffRole, staff_role_allows
from ilp.core.portal import nav_items

NAV = [
    (_("Search"), "backoffice:home", StaffRole.SUPPORT),
    (_("Orders"), "backoffice:orders", StaffRole.SUPPORT),
    (_("Duplicates"), "backoffice:duplicates", StaffRole.SUPPORT),
    (_("Catalogue"), "backoffice:catalogue", StaffRole.SUPPORT),
    (_("Reports"), "backoffice:reports", StaffRole.SUPPORT),
    (_("Staff and tokens"), "backoffice:staff", StaffRole.STAFF_ADMIN),
]


def staff_nav(role: str, current_path: str) -> list[dict]:
    return nav_items(
        ((label, name, None) for label, name, needed in NAV if staff_role_allows(role, needed)),
        current_path,
    )
