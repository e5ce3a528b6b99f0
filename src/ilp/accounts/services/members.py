"""Members of a company: add, change the role, remove; a company keeps an administrator."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.authz import Role
from ilp.core.errors import Conflict, NotFound

from .. import selectors
from ..audit_actions import AuditAction
from ..errors import AccountError
from ..models import Company, Invitation, Membership, User, normalize_email
from .common import administrators_locked, member_event_emit, membership_create, role_check
from .tokens import api_tokens_company_drop


def _member_locked(company: Company, email: str) -> Membership:
    membership = (
        Membership.objects.select_for_update()
        .select_related("user")
        .filter(company=company, user__email=normalize_email(email))
        .first()
    )
    if membership is None:
        raise NotFound(_("No such member."), code=AccountError.MEMBER_NOT_FOUND)
    return membership


def _ensure_not_last_administrator(company: Company, membership: Membership) -> None:
    # Lock every administrator membership of the company (primary-key order) before
    # counting, so that two concurrent demotions cannot both see "another one is left".
    admins = list(administrators_locked(company).values_list("pk", flat=True))
    if membership.role == Role.ADMINISTRATOR and admins == [membership.pk]:
        raise Conflict(
            _("The company's last administrator can be neither removed nor demoted."),
            code=AccountError.LAST_ADMINISTRATOR,
        )


@transaction.atomic
def member_role_change(*, actor: Actor, company: Company, email: str, role: str) -> Membership:
    """Give a member another role; the last administrator cannot be demoted (409)."""
    role_check(role)
    administrators_locked(company).first()  # lock administrators first (same order always)
    membership = _member_locked(company, email)
    if membership.role == role:
        return membership
    if role != Role.ADMINISTRATOR:
        _ensure_not_last_administrator(company, membership)
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    event_record(
        actor=actor,
        company=company,
        action=AuditAction.MEMBER_ROLE_CHANGED,
        obj_type="membership",
        obj_id=membership.user.email,
        before={"role": before},
        after={"role": role},
    )
    return membership


@transaction.atomic
def member_remove(*, actor: Actor, company: Company, email: str) -> None:
    """Remove a member from the company; the last administrator cannot be removed (409)."""
    list(administrators_locked(company).values_list("pk", flat=True))
    membership = _member_locked(company, email)
    _ensure_not_last_administrator(company, membership)
    user = membership.user
    role = membership.role
    membership.delete()
    # A removed person's pending invitation (e.g. the finalise-registration link of rule 4)
    # must not bring them back.
    Invitation.objects.filter(
        company=company,
        email=user.email,
        accepted_at__isnull=True,
        withdrawn_at__isnull=True,
    ).update(withdrawn_at=timezone.now())
    if user.default_company_id == company.pk:
        user.default_company = None
        user.save(update_fields=["default_company"])
    event_record(
        actor=actor,
        company=company,
        action=AuditAction.MEMBER_REMOVED,
        obj_type="membership",
        obj_id=user.email,
        before={"role": role},
    )
    member_event_emit(company_id=company.pk, type="member.removed", user=user, role=role)


@transaction.atomic
def member_add(*, actor: Actor, company: Company, user: User, role: str) -> Membership:
    """Add a user to a company directly (vendor support in the admin; customers invite)."""
    role_check(role)
    if selectors.member_find(company=company, email=user.email) is not None:
        raise Conflict(
            _("This person already is a member of the company."), code=AccountError.ALREADY_MEMBER
        )
    return membership_create(actor=actor, company=company, user=user, role=role)


@transaction.atomic
def member_deprovision(*, actor: Actor, company: Company, email: str) -> None:
    """A leaver (SCIM `active: false` or DELETE): the membership ends as by `member_remove`
    (409 `last_administrator` for the last administrator), every session of the person ends
    at its next request (`User.session_epoch`), and their API tokens limited to this company
    go (`api_tokens_company_drop`)."""
    membership = selectors.member_find(company=company, email=email)
    if membership is None:
        raise NotFound(_("No such member."), code=AccountError.MEMBER_NOT_FOUND)
    user = membership.user
    member_remove(actor=actor, company=company, email=email)  # locks as it always does
    sessions_end(actor=actor, user=user, company=company)
    api_tokens_company_drop(actor=actor, user=user, company=company)


def sessions_end(*, actor: Actor, user: User, company: Company | None = None) -> None:
    """End every portal session of the person (the caller holds the transaction): the
    session's auth hash no longer matches, so the next request is signed out."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])
    event_record(
        actor=actor,
        company=company,
        action=AuditAction.SESSIONS_ENDED,
        obj_type="user",
        obj_id=user.email,
        after={"reason": "membership_ended"},
    )


def user_create_without_password(*, email: str, first_name: str = "", last_name: str = "") -> User:
    """An account for a person who signs in only through a company's single sign-on (a
    just-in-time member): no usable password; a password reset can give one later. The
    caller holds the transaction and records the membership."""
    return User.objects.create_user(
        normalize_email(email), first_name=first_name[:150], last_name=last_name[:150]
    )
