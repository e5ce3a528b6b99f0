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
    # Single sign-on and domains; also what lets a member sign in by password + two-factor
    # where the company requires SSO (for when its provider is down).
    MANAGE_SSO = "manage_sso"


_ALL = frozenset(Permission)

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.ADMINISTRATOR: _ALL,
    Role.SERVICE_PROVIDER: _ALL - {Permission.MANAGE_MEMBERS, Permission.MANAGE_SSO},
    Role.USER: frozenset({Permission.VIEW}),
}


def has_permission(role: str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def require(membership, permission: Permission) -> None:
    """Raise PermissionDenied (403) unless the membership's role grants the permission."""
    if not has_permission(membership.role, permission):
        raise PermissionDenied()
