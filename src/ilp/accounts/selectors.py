"""Reads of people and access. A page's or route's company-scoped read starts from the acting
membership; the services read inside the company they act in."""

from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.core.auth import Principal, last_used_touch
from ilp.core.errors import NotFound
from ilp.core.ids import token_hash

from .errors import AccountError
from .models import (
    AccessRequest,
    ApiToken,
    Company,
    Invitation,
    Membership,
    StaffToken,
    User,
    normalize_email,
)

# --- people and their memberships ----------------------------------------------------------


def user_find(*, email: str) -> User | None:
    """The person with this e-mail (any letter case), registered or not; None if nobody."""
    return User.objects.filter(email=normalize_email(email)).first()


def account_exists(*, email: str) -> bool:
    """Whether a person with this e-mail can log in (a pending contact cannot yet)."""
    user = user_find(email=email)
    return user is not None and user.is_registered


def membership_get(*, user, gaid: str) -> Membership:
    """The user's membership in the company with this GAID; NotFound (404) if none."""
    membership = (
        Membership.objects.select_related("company", "user")
        .filter(user=user, company__gaid=gaid)
        .first()
    )
    if membership is None:
        raise NotFound()
    return membership


def memberships_of(*, user):
    return (
        Membership.objects.select_related("company")
        .filter(user=user)
        .order_by("company__name", "company__gaid")
    )


def mail_recipients(*, company) -> list[User]:
    """Who gets a company's mail about its licenses (new keys, renewals, expiry): every
    active administrator, always, and every active member who opted in, by e-mail."""
    return [
        m.user
        for m in Membership.objects.filter(company=company, user__is_active=True)
        .filter(Membership.mailed())
        .select_related("user")
        .order_by("user__email")
    ]


# --- a company's members, invitations and access requests ----------------------------------


def member_list(*, membership: Membership):
    """The members of the acting membership's company, by e-mail."""
    return (
        Membership.objects.select_related("user")
        .filter(company_id=membership.company_id)
        .order_by("user__email")
    )


def member_find(*, company: Company, email: str) -> Membership | None:
    """The membership of the person with this e-mail in the company, with its user; None if
    they are not a member."""
    return (
        Membership.objects.select_related("user")
        .filter(company=company, user__email=normalize_email(email))
        .first()
    )


def customer_number_taken(*, customer_number: str, other_than: Company | None = None) -> bool:
    """Whether a company (other than `other_than`) has this ERP customer number."""
    companies = Company.objects.filter(customer_number=customer_number)
    if other_than is not None:
        companies = companies.exclude(pk=other_than.pk)
    return companies.exists()


def invitation_list_pending(*, membership: Membership):
    """The company's invitations that can still be accepted, newest first."""
    return (
        Invitation.objects.select_related("invited_by")
        .filter(
            company_id=membership.company_id,
            accepted_at__isnull=True,
            withdrawn_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at", "-pk")
    )


def invitation_get(*, token: str) -> Invitation:
    """The invitation behind a link token (any state); NotFound for an unknown token."""
    invitation = (
        Invitation.objects.select_related("company").filter(token_hash=token_hash(token)).first()
    )
    if invitation is None:
        raise NotFound(
            _("This invitation link is not valid."), code=AccountError.INVITATION_NOT_FOUND
        )
    return invitation


def access_request_list_pending(*, membership: Membership):
    """The company's unresolved access requests (order contacts waiting for an invitation)."""
    return AccessRequest.objects.filter(
        company_id=membership.company_id, resolved_at__isnull=True
    ).order_by("created_at", "pk")


def access_request_pending_find(*, company: Company, email: str) -> AccessRequest | None:
    """The company's unresolved access request of this e-mail, if there is one."""
    return AccessRequest.objects.filter(
        company=company, email=normalize_email(email), resolved_at__isnull=True
    ).first()


# --- credentials ---------------------------------------------------------------------------


def api_token_list(*, user):
    """The user's live API tokens, newest first."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at")


def principal_for_user_token(token: str) -> Principal | None:
    """The user behind an API token (`ilpu_…`), if it is live and its user active."""
    api_token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if api_token is None:
        return None
    last_used_touch(api_token)
    return Principal(kind="user", user=api_token.user, api_token=api_token)


def principal_for_staff_token(token: str) -> Principal | None:
    """The vendor back-office token (`ilps_…`), if it is live."""
    staff = StaffToken.objects.filter(token_hash=token_hash(token), revoked_at__isnull=True).first()
    if staff is None:
        return None
    last_used_touch(staff)
    return Principal(kind="staff", staff_token=staff)
