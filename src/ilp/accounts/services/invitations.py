"""Invitations: issue, withdraw and accept the links that make people members."""

import math
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.authz import Role
from ilp.core.bulk import object_insert
from ilp.core.errors import (
    Conflict,
    Invalid,
    NotFound,
    PermissionDenied,
    Throttled,
    Unauthorized,
)
from ilp.core.ids import new_token, token_hash
from ilp.core.text import plain_text
from ilp.core.throttle import Limit, throttle_hits
from ilp.notifications.services import mail_enqueue

from .. import selectors
from ..audit_actions import AuditAction
from ..errors import AccountError
from ..models import AccessRequest, Company, Invitation, Membership, User, normalize_email
from .common import (
    access_request_open,
    administrators_locked,
    email_canonical,
    membership_create,
    role_check,
)

INVITATION_TOKEN_PREFIX = "ilpi"
INVITATION_TTL = timedelta(days=7)


def _invitation_link(token: str) -> str:
    return f"{settings.ILP_BASE_URL}/invitations/{token}"


def invitation_issue(
    *,
    actor: Actor,
    company: Company,
    email: str,
    role: str,
    template: str,
    context: dict | None = None,
    user: User | None = None,
    company_new: bool = False,
    claim: bool = False,
) -> tuple[Invitation, str]:
    """Withdraw a pending invitation of the same e-mail to the same company, make a new
    one and queue its mail. The caller holds the transaction.

    A caller that has the invited person's account at hand passes it as `user` (its language
    picks the mail's); one that created the company in this transaction says `company_new`:
    such a company has no invitation to withdraw. A company claim (rule 16) says `claim`: its
    link is void once the company has an administrator."""
    email = normalize_email(email)
    now = timezone.now()
    replaced = (
        []
        if company_new
        else list(
            Invitation.objects.select_for_update()
            .filter(
                company=company,
                email=email,
                accepted_at__isnull=True,
                withdrawn_at__isnull=True,
            )
            .order_by("pk")
        )
    )
    token = new_token(INVITATION_TOKEN_PREFIX)
    invitation = Invitation(
        company=company,
        email=email,
        role=role,
        token_hash=token_hash(token),
        invited_by=actor.user if actor.kind == "user" else None,
        created_at=now,
        expires_at=now + INVITATION_TTL,
        is_claim=claim,
    )
    object_insert(invitation)
    # The older invitations end, but their links lead to this one while it is pending (the
    # first mail keeps working, like GitHub's invitations: docs/admin-guide.md).
    for old in replaced:
        old.withdrawn_at = now
        old.replaced_by = invitation
        old.save(update_fields=["withdrawn_at", "replaced_by"])
    invitation.sent_again = bool(replaced)
    if user is None or user.email != email:
        user = selectors.user_find(email=email)
    mail_enqueue(
        to=email,
        template=template,
        language=(user.language if user else None) or "en",
        context={
            "company_name": company.name,
            "gaid": company.gaid,
            "role": Role(role).label,
            "link": _invitation_link(token),
            "inviter": actor.user.full_name if actor.kind == "user" else "",
            "expires_at": invitation.expires_at,
            **(context or {}),
        },
    )
    event_record(
        actor=actor,
        company=company,
        action=AuditAction.INVITATION_CREATED,
        obj_type="invitation",
        obj_id=invitation.pk,
        after={"email": email, "role": role, "replaced": [i.pk for i in replaced]},
    )
    return invitation, token


@transaction.atomic
def invitation_create(
    *,
    actor: Actor,
    company: Company,
    email: str,
    role: str,
    template: str = "invitation",
) -> tuple[Invitation, str]:
    """Invite an e-mail address into the company with a role; returns (invitation, raw token).

    The mail carries `<ILP_BASE_URL>/invitations/<token>`; the token is stored hashed and
    valid for 7 days. A pending invitation of the same address to the same company is
    withdrawn and replaced. An existing member cannot be invited (409 `already_member`),
    except one who never finalised registration: they get a new link for the role they hold.
    A company sends at most ILP_INVITATIONS_PER_COMPANY_PER_DAY a day (429 `throttled`).
    """
    email = email_canonical(email=email)
    role_check(role)
    try:
        validate_email(email)
    except DjangoValidationError:
        raise Invalid(
            _("Enter a valid e-mail address."),
            code=AccountError.INVALID_EMAIL,
            errors=[{"loc": ["body", "email"], "msg": _("Enter a valid e-mail address.")}],
        ) from None
    member = selectors.member_find(company=company, email=email)
    if member is not None:
        if member.user.is_registered:
            raise Conflict(
                _("This person already is a member of the company."),
                code=AccountError.ALREADY_MEMBER,
            )
        # A member who never finalised registration (an order's contact, rule 4) gets a new
        # link; the role stays the one they hold, so a re-sent link can demote nobody.
        role = member.role
    # At most ILP_INVITATIONS_PER_COMPANY_PER_DAY a day (429 with Retry-After beyond): a
    # company account cannot be used to mail strangers in bulk.
    per_day = settings.ILP_INVITATIONS_PER_COMPANY_PER_DAY
    if per_day:
        try:
            throttle_hits(Limit("invitations_per_company", company.gaid, per_day, 86400))
        except Throttled as exc:
            raise Throttled(
                _(
                    "This company has sent %(count)d invitations in the last 24 hours, the most "
                    "allowed. Try again in %(minutes)d minutes."
                )
                % {"count": per_day, "minutes": math.ceil(exc.retry_after / 60)},
                retry_after=exc.retry_after,
            ) from None
    return invitation_issue(actor=actor, company=company, email=email, role=role, template=template)


@transaction.atomic
def invitation_withdraw(*, actor: Actor, company: Company, invitation_id: int) -> Invitation:
    """Withdraw a pending invitation of the company; its link stops working."""
    invitation = (
        Invitation.objects.select_for_update()
        .filter(company=company, pk=invitation_id, accepted_at__isnull=True)
        .first()
    )
    if invitation is None:
        raise NotFound(_("No such invitation."), code=AccountError.INVITATION_NOT_FOUND)
    if invitation.withdrawn_at is None:
        invitation.withdrawn_at = timezone.now()
        invitation.save(update_fields=["withdrawn_at"])
        event_record(
            actor=actor,
            company=company,
            action=AuditAction.INVITATION_WITHDRAWN,
            obj_type="invitation",
            obj_id=invitation.pk,
            before={"email": invitation.email, "role": invitation.role},
        )
    return invitation


def _claim_void(invitation: Invitation) -> bool:
    """A company-claim link (rule 16) is void once the company has an administrator, whoever
    became one first (another claim, an order's contact, staff)."""
    return invitation.is_claim and selectors.company_has_administrator(company=invitation.company)


def invitation_check(invitation: Invitation) -> None:
    """409 unless the invitation can still be accepted."""
    if invitation.accepted_at is not None:
        raise Conflict(
            _("This invitation has already been used."), code=AccountError.INVITATION_USED
        )
    if _claim_void(invitation):
        raise Conflict(
            _(
                "%(company)s has an administrator now, so this link can no longer make you its "
                "administrator. Ask its administrators to invite you."
            )
            % {"company": invitation.company.name},
            code=AccountError.COMPANY_HAS_ADMINISTRATOR,
        )
    if invitation.withdrawn_at is not None:
        raise Conflict(
            _("This invitation has been withdrawn."), code=AccountError.INVITATION_WITHDRAWN
        )
    if invitation.expires_at <= timezone.now():
        raise Conflict(_("This invitation has expired."), code=AccountError.INVITATION_EXPIRED)


def _password_errors(password: str, user: User) -> list[str]:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        return [str(m) for m in exc.messages]
    return []


def _invitation_locked(token: str) -> Invitation:
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("company")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if invitation is None:
        raise NotFound(
            _("This invitation link is not valid."), code=AccountError.INVITATION_NOT_FOUND
        )
    newest = selectors.invitation_newest(invitation)
    if newest.pk != invitation.pk:
        invitation = (
            Invitation.objects.select_for_update().select_related("company").get(pk=newest.pk)
        )
    return invitation


def _logged_in_person_check(invitation: Invitation, user: User) -> User:
    """The logged-in user accepting: it must be the invited e-mail (403 otherwise)."""
    if not invitation.is_for(user):
        raise PermissionDenied(
            _("This invitation is for another e-mail address. Log in as %(email)s.")
            % {"email": invitation.email},
            code=AccountError.INVITATION_EMAIL_MISMATCH,
        )
    if not user.is_registered:  # pragma: no cover - cannot be logged in without
        raise PermissionDenied(code=AccountError.INVITATION_EMAIL_MISMATCH)
    return user


def _new_person_register(
    invitation: Invitation, *, first_name: str, last_name: str, password: str
) -> User:
    """A person without an account sets name and password (422 with field errors); one who
    has an account must log in first (401). A pending contact of rule 4 is registered on the
    user made for them."""
    invited = selectors.user_find(email=invitation.email)
    if invited is not None and invited.is_registered:
        raise Unauthorized(
            _("An account with this e-mail exists. Log in to accept the invitation."),
            code=AccountError.LOGIN_REQUIRED,
        )
    person = invited or User(email=invitation.email)
    person.first_name = plain_text(first_name)[:150]
    person.last_name = plain_text(last_name)[:150]
    errors = []
    if not person.first_name:
        errors.append({"loc": ["body", "first_name"], "msg": _("Enter your first name.")})
    if not person.last_name:
        errors.append({"loc": ["body", "last_name"], "msg": _("Enter your last name.")})
    for message in _password_errors(password or "", person):
        errors.append({"loc": ["body", "password"], "msg": message})
    if not password:
        errors.append({"loc": ["body", "password"], "msg": _("Enter a password.")})
    if errors:
        raise Invalid(
            _("Some fields are invalid."), code=AccountError.VALIDATION_ERROR, errors=errors
        )
    person.set_password(password)
    if person.default_company_id is None:
        person.default_company = invitation.company
    person.save()
    return person


def _membership_grant(invitation: Invitation, person: User) -> Membership:
    """The person's membership in the inviting company: the one they hold (a pending
    administrator of rule 4 keeps it), else a new one with the invitation's role. A member
    accepting an invitation as administrator (a claim of a company without one, rule 16)
    becomes one."""
    company = invitation.company
    membership = Membership.objects.select_for_update().filter(user=person, company=company).first()
    if membership is not None and (
        invitation.role == Role.ADMINISTRATOR and membership.role != Role.ADMINISTRATOR
    ):
        before = membership.role
        membership.role = Role.ADMINISTRATOR
        membership.save(update_fields=["role"])
        event_record(
            actor=Actor.for_user(person),
            company=company,
            action=AuditAction.MEMBER_ROLE_CHANGED,
            obj_type="membership",
            obj_id=person.email,
            before={"role": before},
            after={"role": membership.role, "invitation": invitation.pk},
        )
    if membership is None:
        membership = membership_create(
            actor=Actor.for_user(person),
            company=company,
            user=person,
            role=invitation.role,
            audit={"invitation": invitation.pk},
        )
    return membership


def invitation_accept(
    *,
    token: str,
    user: User | None = None,
    first_name: str = "",
    last_name: str = "",
    password: str = "",
) -> tuple[Membership, User]:
    """Accept an invitation: as the logged-in `user` (an existing account), or as a new person
    registering with name and password. Single use; the invitation is locked while accepted.

    A registered person must be logged in as the invited e-mail (403 otherwise); a person
    without an account registers (422 with field errors for missing names or a weak password).
    A company-claim link of a company that has an administrator by now is void: 409
    `company_has_administrator` and no membership; the first attempt asks the administrators to
    invite the person (an access request, as a registration would) and tells the person by mail.
    """
    accepted = _invitation_accept(
        token=token, user=user, first_name=first_name, last_name=last_name, password=password
    )
    if accepted is None:
        # Raised after the commit, as `POST /registrations` does: the access request and the
        # mails stand, the answer still says that nobody became a member.
        invitation = selectors.invitation_get(token=token)
        raise Conflict(
            _("%(company)s already has an administrator. They have been asked to invite you.")
            % {"company": invitation.company.name},
            code=AccountError.COMPANY_HAS_ADMINISTRATOR,
        )
    return accepted


def _claim_void_settle(
    invitation: Invitation,
    *,
    admins: list[Membership],
    user: User | None,
    first_name: str,
    last_name: str,
) -> None:
    """A void claim link finalised: the link is spent, the administrators get an access request
    for the person and the person learns why by mail."""
    company = invitation.company
    invitation.withdrawn_at = timezone.now()
    invitation.save(update_fields=["withdrawn_at"])
    event_record(
        actor=Actor.system(),
        company=company,
        action=AuditAction.INVITATION_CLAIM_VOID,
        obj_type="invitation",
        obj_id=invitation.pk,
        before={"email": invitation.email, "role": invitation.role},
    )
    # The invited person's account, not whoever happens to be logged in with the link.
    person = user if user is not None and invitation.is_for(user) else None
    person = person or selectors.user_find(email=invitation.email)
    if person is not None and person.is_registered:
        first_name, last_name = person.first_name, person.last_name
    access_request_open(
        actor=Actor.system(),
        company=company,
        admins=admins,
        email=invitation.email,
        first_name=first_name,
        last_name=last_name,
    )
    mail_enqueue(
        to=invitation.email,
        template="registration_claim_void",
        language=(person.language if person else None) or "en",
        context={"company_name": company.name, "gaid": company.gaid},
    )


@transaction.atomic
def _invitation_accept(
    *, token: str, user: User | None, first_name: str, last_name: str, password: str
) -> tuple[Membership, User] | None:
    """invitation_accept in one transaction; None when a void claim link was settled."""
    invitation = _invitation_locked(token)
    if invitation.is_claim and invitation.accepted_at is None:
        # Decided under the company's row lock, the lock a registration and an order's contact
        # take before they look at the administrators: two claims finalised at once give one
        # administrator, the other sees it here.
        Company.objects.select_for_update().filter(pk=invitation.company_id).first()
        admins = list(administrators_locked(invitation.company).select_related("user"))
        if admins and invitation.is_pending:
            _claim_void_settle(
                invitation, admins=admins, user=user, first_name=first_name, last_name=last_name
            )
            return None
    invitation_check(invitation)
    if user is not None:
        person = _logged_in_person_check(invitation, user)
    else:
        person = _new_person_register(
            invitation, first_name=first_name, last_name=last_name, password=password
        )
    membership = _membership_grant(invitation, person)
    now = timezone.now()
    invitation.accepted_at = now
    invitation.accepted_by = person
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    # The person's access request to this company (rule 4) is answered.
    AccessRequest.objects.filter(
        company=invitation.company, email=invitation.email, resolved_at__isnull=True
    ).update(resolved_at=now)
    event_record(
        actor=Actor.for_user(person),
        company=invitation.company,
        action=AuditAction.INVITATION_ACCEPTED,
        obj_type="invitation",
        obj_id=invitation.pk,
        after={"email": person.email, "role": membership.role},
    )
    return membership, person
