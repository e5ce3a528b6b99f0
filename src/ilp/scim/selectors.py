"""Reads of SCIM provisioning: the token behind a request, a company's SCIM users."""

from django.db.models import QuerySet

from ilp.accounts.models import Membership, normalize_email
from ilp.core.auth import last_used_touch
from ilp.core.ids import token_hash

from .models import ScimToken, ScimUser


def scim_token_find(*, gaid: str, token: str) -> ScimToken | None:
    """The company's SCIM token if `token` is it: valid only for its own company's GAID."""
    if not token.startswith("ilpscim_"):
        return None
    found = (
        ScimToken.objects.select_related("company")
        .filter(token_hash=token_hash(token), company__gaid=gaid)
        .first()
    )
    if found is not None:
        last_used_touch(found)
    return found


def scim_token_of(*, membership) -> ScimToken | None:
    """The acting membership's company's SCIM token (its hash and dates), if it has one."""
    return ScimToken.objects.filter(company_id=membership.company_id).first()


def scim_users(
    *, company, user_name: str | None = None, external_id: str | None = None
) -> QuerySet[ScimUser]:
    """The company's SCIM users in the order they were made, optionally those whose userName
    (e-mail, compared in its canonical form) or externalId is the one given."""
    users = ScimUser.objects.select_related("user").filter(company=company)
    if user_name is not None:
        users = users.filter(user__email=normalize_email(user_name))
    if external_id is not None:
        users = users.filter(external_id=external_id)
    return users.order_by("created_at", "pk")


def scim_user_find(*, company, scim_id: str) -> ScimUser | None:
    return ScimUser.objects.select_related("user").filter(company=company, scim_id=scim_id).first()


def roles_of(*, company, user_ids) -> dict[int, str]:
    """The role of each of these people in the company, by user id (members only)."""
    return dict(
        Membership.objects.filter(company=company, user_id__in=list(user_ids)).values_list(
            "user_id", "role"
        )
    )


def group_members(*, company, role: str) -> QuerySet[ScimUser]:
    """The SCIM users who are members of the company with this role."""
    holders = Membership.objects.filter(company=company, role=role).values("user_id")
    return scim_users(company=company).filter(user_id__in=holders)
