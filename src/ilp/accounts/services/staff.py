"""The vendor's staff (DESIGN.md rule 25): people of the back office and their staff roles.

A staff administrator adds a person by e-mail with a role; the person gets a mail with a
link to choose a password (a new account) or to sign in (an existing one), and must turn on
two-factor sign-in before the back office opens for them. `User.is_staff` is kept equal to
having a StaffMember row (a superuser keeps it). The last staff administrator can be neither
demoted nor removed, so the back office always has someone who can add staff.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.authz import StaffRole
from ilp.core.emails import email_problem
from ilp.core.errors import Conflict, Invalid, NotFound
from ilp.notifications.services import mail_enqueue

from ..audit_actions import AuditAction
from ..errors import AccountError
from ..models import AccountLink, StaffMember, User, normalize_email
from .common import account_link_issue, link_url
from .passwords import PASSWORD_RESET_PATH, PASSWORD_RESET_TOKEN_PREFIX

STAFF_INVITATION_TTL = timedelta(days=7)
BACK_OFFICE_PATH = "staff/"


def _role_checked(role: str) -> str:
    if role not in StaffRole.values:
        message = _("Choose one of the staff roles: %(roles)s.") % {
            "roles": ", ".join(StaffRole.values)
        }
        raise Invalid(
            message,
            code=AccountError.INVALID_ROLE,
            errors=[{"loc": ["body", "role"], "msg": message}],
        )
    return role


def _locked(staff_member_id: int) -> StaffMember:
    found = (
        StaffMember.objects.select_for_update()
        .select_related("user")
        .filter(pk=staff_member_id)
        .first()
    )
    if found is None:
        raise NotFound(_("No such staff member."), code=AccountError.STAFF_MEMBER_NOT_FOUND)
    return found


def _last_staff_admin_check(member: StaffMember) -> None:
    """409 when `member` is the only staff administrator (rows locked in primary-key order,
    so two administrators demoting each other at once cannot both succeed)."""
    if member.role != StaffRole.STAFF_ADMIN:
        return
    admins = list(
        StaffMember.objects.select_for_update()
        .filter(role=StaffRole.STAFF_ADMIN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if admins == [member.pk]:
        raise Conflict(
            _("This is the last staff administrator. Make someone else one first."),
            code=AccountError.LAST_STAFF_ADMIN,
        )


@transaction.atomic
def staff_member_invite(*, actor: Actor, email: str, role: str) -> StaffMember:
    """Make the person with this e-mail vendor staff with `role` (their account is created if
    there is none) and mail them the way in. 409 `staff_member_exists` if they are staff."""
    role = _role_checked(role)
    email = normalize_email(email)
    if email_problem(email):
        message = _("Enter a valid e-mail address.")
        raise Invalid(
            message,
            code=AccountError.INVALID_EMAIL,
            errors=[{"loc": ["body", "email"], "msg": message}],
        )
    user = User.objects.select_for_update().filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email)
    elif StaffMember.objects.filter(user=user).exists():
        raise Conflict(
            _("%(email)s is staff already.") % {"email": email},
            code=AccountError.STAFF_MEMBER_EXISTS,
        )
    member = StaffMember.objects.create(
        user=user, role=role, invited_by=actor.user if actor.user is not None else None
    )
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    link = None
    if not user.is_registered:
        # A new person chooses a password through the reset page; the link lasts a week.
        token = account_link_issue(
            user=user,
            purpose=AccountLink.Purpose.PASSWORD_RESET,
            ttl=STAFF_INVITATION_TTL,
            prefix=PASSWORD_RESET_TOKEN_PREFIX,
        )
        link = link_url(PASSWORD_RESET_PATH, token)
    mail_enqueue(
        to=user.email,
        template="staff_invitation",
        language=user.language or "en",
        context={
            "role": StaffRole(role).label,
            "inviter": actor.staff_name if actor.is_vendor_staff else "",
            "link": link,
            "back_office": f"{settings.ILP_BASE_URL}/{BACK_OFFICE_PATH}",
            "valid_days": STAFF_INVITATION_TTL.days,
        },
    )
    event_record(
        actor=actor,
        action=AuditAction.STAFF_MEMBER_ADDED,
        obj_type="staff_member",
        obj_id=user.email,
        after={"role": role},
    )
    return member


@transaction.atomic
def staff_member_role_change(*, actor: Actor, staff_member_id: int, role: str) -> StaffMember:
    """Give a staff member another staff role (never the last staff administrator a lower
    one: 409 `last_staff_admin`)."""
    role = _role_checked(role)
    member = _locked(staff_member_id)
    if member.role == role:
        return member
    _last_staff_admin_check(member)
    before = member.role
    member.role = role
    member.save(update_fields=["role"])
    event_record(
        actor=actor,
        action=AuditAction.STAFF_MEMBER_ROLE_CHANGED,
        obj_type="staff_member",
        obj_id=member.user.email,
        before={"role": before},
        after={"role": role},
    )
    return member


@transaction.atomic
def staff_member_remove(*, actor: Actor, staff_member_id: int) -> None:
    """End a person's place in the back office (their account stays; a superuser keeps the
    Django admin). Never the last staff administrator: 409 `last_staff_admin`."""
    member = _locked(staff_member_id)
    _last_staff_admin_check(member)
    user = member.user
    member.delete()
    if user.is_staff and not user.is_superuser:
        user.is_staff = False
        user.save(update_fields=["is_staff"])
    event_record(
        actor=actor,
        action=AuditAction.STAFF_MEMBER_REMOVED,
        obj_type="staff_member",
        obj_id=user.email,
        before={"role": member.role},
    )


@transaction.atomic
def staff_member_from_sso(*, email: str, role: str) -> User:
    """A sign-in through the vendor's provider (docs/sso.md, staff single sign-on): the
    person with this e-mail is staff with the role the provider names, made so or changed to
    it here (audited as the person). The provider is the authority on its staff, so the last
    staff administrator rule does not stop it: whoever it names `staff_admin` is one."""
    role = _role_checked(role)
    email = normalize_email(email)
    user = User.objects.select_for_update().filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email)
    member = StaffMember.objects.select_for_update().filter(user=user).first()
    before = member.role if member is not None else None
    if member is None:
        member = StaffMember.objects.create(user=user, role=role)
    elif member.role != role:
        member.role = role
        member.save(update_fields=["role"])
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    if before != role:
        event_record(
            actor=Actor.for_user(user),
            action=AuditAction.STAFF_MEMBER_ROLE_CHANGED
            if before
            else AuditAction.STAFF_MEMBER_ADDED,
            obj_type="staff_member",
            obj_id=email,
            before={"role": before} if before else None,
            after={"role": role, "by": "sso"},
        )
    return user
