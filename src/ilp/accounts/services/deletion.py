"""Deleting one's own account through a mailed confirmation link (rule 16)."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.authz import Role
from ilp.core.errors import Conflict
from ilp.core.idempotency import credential_forget, user_forget
from ilp.notifications.services import mail_enqueue

from .. import selectors
from ..audit_actions import AuditAction
from ..errors import AccountError
from ..models import AccountLink, ApiToken, Company, Membership, User
from .common import (
    account_link_issue,
    account_link_use,
    administrators_locked,
    link_url,
    member_event_emit,
)

ACCOUNT_DELETION_TTL = timedelta(hours=24)
ACCOUNT_DELETION_TOKEN_PREFIX = "ilpd"
ACCOUNT_DELETION_PATH = "account/delete"


def _last_administrator_check(user: User) -> None:
    """409 `last_administrator` naming every company whose only administrator the person is.
    The administrators of each of their companies are locked first (companies in primary-key
    order, then memberships), so a concurrent demotion cannot slip between count and delete."""
    for company_id in (
        Membership.objects.filter(user=user, role=Role.ADMINISTRATOR)
        .order_by("company_id")
        .values_list("company_id", flat=True)
    ):
        list(administrators_locked(Company(pk=company_id)).values_list("pk", flat=True))
    companies = selectors.companies_solely_administered(user=user)
    if companies:
        names = ", ".join(f"{c.name} ({c.gaid})" for c in companies)
        raise Conflict(
            _(
                "You are the last administrator of %(companies)s. Make another member an "
                "administrator there first, then delete your account."
            )
            % {"companies": names},
            code=AccountError.LAST_ADMINISTRATOR,
        )


@transaction.atomic
def account_deletion_request(*, actor: Actor, user: User) -> None:
    """Mail the person a link that confirms the deletion of their account (single use, 24
    hours); 409 `last_administrator` while they are the last administrator of a company."""
    _last_administrator_check(user)
    token = account_link_issue(
        user=user,
        purpose=AccountLink.Purpose.ACCOUNT_DELETION,
        ttl=ACCOUNT_DELETION_TTL,
        prefix=ACCOUNT_DELETION_TOKEN_PREFIX,
    )
    mail_enqueue(
        to=user.email,
        template="account_deletion",
        language=user.language or "en",
        context={
            "first_name": user.first_name,
            "email": user.email,
            "link": link_url(ACCOUNT_DELETION_PATH, token),
            "valid_hours": 24,
        },
    )
    event_record(
        actor=actor, action=AuditAction.USER_DELETION_REQUESTED, obj_type="user", obj_id=user.email
    )


def account_deletion_check(*, user: User, token: str) -> AccountLink:
    """The person's deletion link if it can still be used: 404 unknown (or another person's),
    409 used or expired."""
    with transaction.atomic():
        return account_link_use(
            token=token, purpose=AccountLink.Purpose.ACCOUNT_DELETION, user=user
        )


@transaction.atomic
def account_deletion_confirm(*, actor: Actor, user: User, token: str) -> None:
    """Delete the account through its confirmation link: its memberships, API tokens, second
    factor go with it. Each company's audit log records the member's removal, and the log
    keeps the e-mail address as text (events lose only the link to the account row)."""
    account_link_use(token=token, purpose=AccountLink.Purpose.ACCOUNT_DELETION, user=user)
    _last_administrator_check(user)
    for membership in Membership.objects.filter(user=user).select_related("company"):
        event_record(
            actor=actor,
            company=membership.company,
            action=AuditAction.MEMBER_REMOVED,
            obj_type="membership",
            obj_id=user.email,
            before={"role": membership.role},
            after={"account_deleted": True},
        )
        member_event_emit(
            company_id=membership.company_id,
            type="member.removed",
            user=user,
            role=membership.role,
        )
    event_record(
        actor=actor,
        action=AuditAction.USER_DELETED,
        obj_type="user",
        obj_id=user.email,
        before={"first_name": user.first_name, "last_name": user.last_name},
    )
    # Every link of the account is used up (this one included) before the row goes: a link
    # opened again answers 409 "used", not a confusing 404.
    AccountLink.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())
    credential_forget(*ApiToken.objects.filter(user=user).values_list("token_hash", flat=True))
    user_forget(user.pk)
    User.objects.filter(pk=user.pk).delete()
