"""Staff single sign-on through the vendor's provider (ILP_STAFF_OIDC_ISSUER, _CLIENT_ID,
_CLIENT_SECRET): the staff role comes from the claim named by ILP_STAFF_OIDC_ROLE_CLAIM and
must be exactly one of the three role names (else 403 `staff_role_missing`)."""

from django.conf import settings
from django.utils.translation import gettext as _

from ilp.accounts.models import User, normalize_email
from ilp.accounts.selectors import user_find
from ilp.accounts.services import staff_member_from_sso
from ilp.core.authz import StaffRole
from ilp.core.errors import NotFound

from . import oidc
from .errors import SsoDenied, SsoError

STAFF_ROLES = tuple(StaffRole.values)  # support, operator, staff_admin
STAFF_LANDING = "/staff/"


def staff_client() -> oidc.Client:
    if not (settings.ILP_STAFF_OIDC_ISSUER and settings.ILP_STAFF_OIDC_CLIENT_ID):
        raise NotFound(
            _("Staff single sign-on is not set up."), code=SsoError.STAFF_SSO_NOT_CONFIGURED
        )
    return oidc.Client(
        issuer=settings.ILP_STAFF_OIDC_ISSUER,
        client_id=settings.ILP_STAFF_OIDC_CLIENT_ID,
        client_secret=settings.ILP_STAFF_OIDC_CLIENT_SECRET,
    )


def staff_role_of(claims: dict) -> str:
    """The staff role the vendor's provider names; 403 `staff_role_missing` unless the claim
    is exactly one of the three role names."""
    role = claims.get(settings.ILP_STAFF_OIDC_ROLE_CLAIM)
    if not isinstance(role, str) or role not in STAFF_ROLES:
        raise SsoDenied(
            _("Your sign-in names no staff role of the license portal. Ask your administrator."),
            code=SsoError.STAFF_ROLE_MISSING,
        )
    return role


def staff_person(*, claims: dict) -> User:
    """The staff member the checked ID token names, with the role of its claim."""
    role = staff_role_of(claims)
    email = normalize_email(claims.get("email"))
    user = user_find(email=email)
    if user is not None and not user.is_active:
        raise SsoDenied(
            _("The account of %(email)s is closed.") % {"email": email},
            code=SsoError.STAFF_ROLE_MISSING,
        )
    return staff_role_assign(email=email, role=role)


def staff_role_assign(*, email: str, role: str) -> User:
    """Give the person the staff role of this sign-in: the one place that sets it (the back
    office's StaffMember, through accounts)."""
    return staff_member_from_sso(email=email, role=role)
