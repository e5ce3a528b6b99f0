"""Roles and what they may do: the one table that maps roles to permissions.

Code asks `require(membership, Permission.PACK_SPLIT)`; it never compares role strings.
"""

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _

from .errors import PermissionDenied


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    SERVICE_PROVIDER = "service_provider", _("Service provider")
    USER = "user", _("User")


class Permission(StrEnum):
    VIEW = "view"  # company, orders, keys, packs, renewals, UMS, devices
    MANAGE_MEMBERS = "manage_members"  # invite, withdraw, change roles, remove, edit company
    REGISTER_DELIVERY_TOKEN = "register_delivery_token"
    REDEEM_RENEWAL = "redeem_renewal"
    MANAGE_PACKS = "manage_packs"  # split, merge, comment, archive
    ACCEPT_EULA = "accept_eula"  # accept an order's EULA or a pack's third-party EULA
    MANAGE_ROLLOUT = "manage_rollout"  # UMS instances, pack assignment, remove hardware
    READ_AUDIT = "read_audit"
    MANAGE_WEBHOOKS = "manage_webhooks"  # webhook endpoints and their delivery log
    # Single sign-on and domains; also what lets a member sign in by password + two-factor
    # where the company requires SSO (for when its provider is down).
    MANAGE_SSO = "manage_sso"


_ALL = frozenset(Permission)

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.ADMINISTRATOR: _ALL,
    Role.SERVICE_PROVIDER: _ALL
    - {Permission.MANAGE_MEMBERS, Permission.MANAGE_WEBHOOKS, Permission.MANAGE_SSO},
    Role.USER: frozenset({Permission.VIEW}),
}


class StaffRole(models.TextChoices):
    """The vendor's back-office roles (DESIGN.md rule 25), each including the ones before it:
    `support` reads everything and resends mails, `operator` also enters orders and makes
    corrections, `staff_admin` also manages staff users, staff tokens and the catalogue."""

    SUPPORT = "support", _("Support")
    OPERATOR = "operator", _("Operator")
    STAFF_ADMIN = "staff_admin", _("Staff administrator")


_STAFF_RANK = {role.value: rank for rank, role in enumerate(StaffRole)}


def staff_role_allows(role: str | None, needed: str) -> bool:
    """Whether a staff member with `role` may do what needs `needed` (roles are ranked)."""
    return role is not None and _STAFF_RANK.get(role, -1) >= _STAFF_RANK[needed]


def staff_require(role: str | None, needed: str) -> None:
    """Raise PermissionDenied (403) unless the staff role is `needed` or above: the one staff
    role check, behind `core.auth.StaffAuth(role)` (API) and `core.portal.staff_page(role)`
    (pages)."""
    if not staff_role_allows(role, needed):
        raise PermissionDenied()


def has_permission(role: str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


# What vendor staff's read-only view of a company may do (rule 25): read what an administrator
# reads. Every other method is refused by core.auth.company_membership; pages ask
# `membership_can` so that they offer no button that would be refused.
READ_PERMISSIONS = frozenset({Permission.VIEW, Permission.READ_AUDIT})


def membership_can(membership, permission: Permission) -> bool:
    """Whether a page may offer what needs `permission` to this membership: its role grants
    it, and on vendor staff's read-only view of a company only the reading permissions."""
    if getattr(membership, "is_staff_view", False) and permission not in READ_PERMISSIONS:
        return False
    return has_permission(membership.role, permission)


def require(membership, permission: Permission) -> None:
    """Raise PermissionDenied (403) unless the membership's role grants the permission."""
    if not has_permission(membership.role, permission):
        raise PermissionDenied()
