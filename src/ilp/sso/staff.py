"""Staff single sign-on through the vendor's provider (ILP_STAFF_OIDC_ISSUER, _CLIENT_ID,
_CLIENT_SECRET): the staff role comes from the claim named by ILP_STAFF_OIDC_ROLE_CLAIM and
must be exactly one of the three role names (else 403 `staff_role_missing`)."""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from ilp.accounts.models import User, normalize_email
from ilp.accounts.selectors import user_find
from ilp.accounts.services import user_create_without_password
from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.errors import NotFound

from . import oidc
from .errors import SsoDenied, SsoError

STAFF_ROLES = ("support", "operator", "staff_admin")
STAFF_LANDING = "/admin/"


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


@transaction.atomic
def staff_person(*, claims: dict) -> User:
    """The staff member the checked ID token names, with the role of its claim."""
    role = staff_role_of(claims)
    email = normalize_email(claims.get("email"))
    user = user_find(email=email)
    if user is None:
        user = user_create_without_password(email=email)
    if not user.is_active:
        raise SsoDenied(
            _("The account of %(email)s is closed.") % {"email": email},
            code=SsoError.STAFF_ROLE_MISSING,
        )
    staff_role_assign(user=user, role=role)
    return user


def staff_role_assign(*, user: User, role: str) -> None:
    """Give the person the staff role of this sign-in. The one place that sets it: until the
    back office's staff roles (ilp.backoffice) are merged, a staff role means the Django
    admin's `is_staff` and the role is recorded in the audit log."""
    if not user.is_staff:
        User.objects.filter(pk=user.pk).update(is_staff=True)
        user.is_staff = True
    event_record(
        actor=Actor.for_user(user),
        action="staff.signed_in",
        obj_type="user",
        obj_id=user.email,
        after={"role": role},
    )
