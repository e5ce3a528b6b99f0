"""Changes made by a company's identity provider through SCIM, and its token.

Every change runs in one transaction with its audit event (actor: the SCIM token, labelled
"identity provider provisioning") and its mail, through accounts' own services: a new member
is `membership_create` (plus the invitation mail for a person without account), a role is
`member_role_change`, a leaver is `member_deprovision` (membership, sessions, the API tokens
limited to the company). SCIM-specific refusals raise scim2-models' exceptions, which the
protocol view answers in RFC 7644's error format; accounts' errors (409
`last_administrator`) are answered in the same format."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from scim2_models import InvalidValueException, UniquenessException

from ilp.accounts import selectors as account_selectors
from ilp.accounts.models import User, normalize_email
from ilp.accounts.services import member_deprovision, member_role_change
from ilp.accounts.services.common import membership_create
from ilp.accounts.services.invitations import invitation_issue
from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.authz import Role
from ilp.core.emails import email_problem
from ilp.core.ids import new_token, token_hash
from ilp.notifications.services import mail_enqueue

from .audit_actions import AuditAction
from .models import ScimToken, ScimUser

SCIM_TOKEN_PREFIX = "ilpscim"


def _scim_id() -> str:
    return secrets.token_hex(16)


@transaction.atomic
def scim_token_issue(*, actor: Actor, company) -> str:
    """A new SCIM token for the company (returned once, stored hashed); the old one stops
    working at once."""
    raw = new_token(SCIM_TOKEN_PREFIX)
    token, created = ScimToken.objects.select_for_update().get_or_create(
        company=company,
        defaults={"token_hash": token_hash(raw), "created_by": actor.user},
    )
    if not created:
        token.token_hash = token_hash(raw)
        token.created_at = timezone.now()
        token.created_by = actor.user
        token.last_used_at = None
        token.save(update_fields=["token_hash", "created_at", "created_by", "last_used_at"])
    event_record(
        actor=actor,
        company=company,
        action=AuditAction.SCIM_TOKEN_CREATED,
        obj_type="scim_token",
        obj_id=company.gaid,
        after={"replaced": not created},
    )
    return raw


@transaction.atomic
def scim_token_revoke(*, actor: Actor, company) -> bool:
    """Revoke the company's SCIM token; False when it had none."""
    deleted, _n = ScimToken.objects.filter(company=company).delete()
    if deleted:
        event_record(
            actor=actor,
            company=company,
            action=AuditAction.SCIM_TOKEN_REVOKED,
            obj_type="scim_token",
            obj_id=company.gaid,
        )
    return bool(deleted)


def scim_users_ensure(*, company) -> None:
    """Every member of the company gets its SCIM identity (opaque id, names as the account
    has them) the first time the provider looks: members invited in the portal are matched
    by `userName eq`. Idempotent; concurrent callers are fine (unique per company and user)."""
    known = ScimUser.objects.filter(company=company).values("user_id")
    missing = [m for m in company.memberships.select_related("user").exclude(user_id__in=known)]
    if missing:
        ScimUser.objects.bulk_create(
            [
                ScimUser(
                    company=company,
                    user=m.user,
                    scim_id=_scim_id(),
                    given_name=m.user.first_name or None,
                    family_name=m.user.last_name or None,
                    role=m.role,
                )
                for m in missing
            ],
            ignore_conflicts=True,
        )


def _email_checked(user_name: str | None) -> str:
    email = normalize_email(user_name)
    problem = not email or email_problem(email)
    if not problem:
        try:
            validate_email(email)
        except DjangoValidationError:
            problem = True
    if problem:
        raise InvalidValueException(detail="userName must be the person's e-mail address.")
    return email


def _activate(*, actor: Actor, company, scim_user: ScimUser) -> None:
    """Make the person a member with the remembered role; a person without account gets the
    invitation mail (its link finalises their registration; the membership holds already)."""
    user = scim_user.user
    membership_create(
        actor=actor,
        company=company,
        user=user,
        role=scim_user.role,
        audit={"provisioned": True},
    )
    if not user.is_registered:
        invitation_issue(
            actor=actor,
            company=company,
            email=user.email,
            role=scim_user.role,
            template="invitation",
            user=user,
        )
    else:
        _mail(user, company, "scim_member_added", role=Role(scim_user.role).label)


def _mail(user, company, template: str, **context) -> None:
    mail_enqueue(
        to=user.email,
        template=template,
        language=user.language or "en",
        context={
            "first_name": user.first_name,
            "company_name": company.name,
            "gaid": company.gaid,
            "link": f"{settings.ILP_BASE_URL}/companies/{company.gaid}/",
            **context,
        },
    )


def _deprovision(*, actor: Actor, company, user) -> None:
    member_deprovision(actor=actor, company=company, email=user.email)
    if user.is_registered:
        _mail(user, company, "scim_member_removed")


@transaction.atomic
def scim_user_create(
    *,
    actor: Actor,
    company,
    user_name: str | None,
    given_name: str | None,
    family_name: str | None,
    active: bool | None,
    external_id: str | None,
) -> ScimUser:
    """A new SCIM user: the person (an account without password if they have none) becomes a
    member with role `user` unless `active` is false. 409 `uniqueness` when the company's
    provider already knows this userName (a portal member included)."""
    email = _email_checked(user_name)
    scim_users_ensure(company=company)
    user = account_selectors.user_find(email=email)
    if user is not None and ScimUser.objects.filter(company=company, user=user).exists():
        raise UniquenessException(detail="A user with this userName exists.")
    if user is None:
        user = User.objects.create_user(
            email, None, first_name=given_name or "", last_name=family_name or ""
        )
    scim_user = ScimUser.objects.create(
        company=company,
        user=user,
        scim_id=_scim_id(),
        external_id=external_id,
        given_name=given_name,
        family_name=family_name,
        role=Role.USER,
    )
    if active is not False:
        _activate(actor=actor, company=company, scim_user=scim_user)
    else:
        event_record(
            actor=actor,
            company=company,
            action=AuditAction.SCIM_USER_DEACTIVATED,
            obj_type="membership",
            obj_id=email,
            after={"scim_id": scim_user.scim_id},
        )
    return scim_user


@transaction.atomic
def scim_user_update(
    *,
    actor: Actor,
    company,
    scim_user: ScimUser,
    given_name: str | None,
    family_name: str | None,
    active: bool | None,
    external_id: str | None,
) -> ScimUser:
    """Apply the provider's view of a user (PUT, or PATCH once applied): names and
    externalId as given; `active` false ends the membership (`member_deprovision`: 409
    `last_administrator` for the last administrator), true makes it again."""
    scim_user = ScimUser.objects.select_for_update().select_related("user").get(pk=scim_user.pk)
    user = scim_user.user
    scim_user.given_name = given_name
    scim_user.family_name = family_name
    scim_user.external_id = external_id
    scim_user.updated_at = timezone.now()
    member = account_selectors.member_find(company=company, email=user.email)
    if member is not None:
        scim_user.role = member.role
    scim_user.save()
    if not user.is_registered and (
        user.first_name != (given_name or "") or user.last_name != (family_name or "")
    ):
        # The names of an account nobody has registered yet follow the provider's.
        user.first_name, user.last_name = given_name or "", family_name or ""
        user.save(update_fields=["first_name", "last_name"])
    if active is False and member is not None:
        _deprovision(actor=actor, company=company, user=user)
        event_record(
            actor=actor,
            company=company,
            action=AuditAction.SCIM_USER_DEACTIVATED,
            obj_type="membership",
            obj_id=user.email,
            after={"scim_id": scim_user.scim_id},
        )
    elif active is not False and member is None:
        _activate(actor=actor, company=company, scim_user=scim_user)
    return scim_user


@transaction.atomic
def scim_user_delete(*, actor: Actor, company, scim_user: ScimUser) -> None:
    """Delete a SCIM user: a member leaves as with `active: false` (409 for the last
    administrator), and the provider forgets the id (the person's account stays)."""
    user = scim_user.user
    if account_selectors.member_find(company=company, email=user.email) is not None:
        _deprovision(actor=actor, company=company, user=user)
    ScimUser.objects.filter(pk=scim_user.pk).delete()
    event_record(
        actor=actor,
        company=company,
        action=AuditAction.SCIM_USER_DELETED,
        obj_type="membership",
        obj_id=user.email,
        before={"scim_id": scim_user.scim_id},
    )


@transaction.atomic
def group_members_change(
    *,
    actor: Actor,
    company,
    role: str,
    add: list[ScimUser] = (),
    remove: list[ScimUser] = (),
) -> None:
    """Group `role` gains and loses members: a member added gets the role; one removed from
    `administrator` or `service_provider` falls back to `user` (everyone has a role, so
    removal from `user` changes nothing). The last administrator stays (409). A deactivated
    user's remembered role changes, to apply when they come back."""
    changes = [(s, role, None) for s in add] + [
        (s, Role.USER, role) for s in remove if role != Role.USER and s not in add
    ]
    for scim_user, new_role, only_from in changes:
        member = account_selectors.member_find(company=company, email=scim_user.user.email)
        current = member.role if member is not None else scim_user.role
        if current == new_role or (only_from is not None and current != only_from):
            continue
        if member is None:
            ScimUser.objects.filter(pk=scim_user.pk).update(role=new_role)
            continue
        member_role_change(actor=actor, company=company, email=scim_user.user.email, role=new_role)
        ScimUser.objects.filter(pk=scim_user.pk).update(role=new_role, updated_at=timezone.now())
