"""An order's contact person (DESIGN.md rule 4)."""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from ilp.core.actors import Actor
from ilp.core.authz import Role
from ilp.core.errors import Conflict, Invalid
from ilp.core.text import plain_text
from ilp.notifications.services import mail_enqueue

from .. import selectors
from ..errors import AccountError
from ..models import Company, User
from .common import (
    access_request_open,
    administrators_locked,
    email_canonical,
    membership_create,
)
from .invitations import invitation_issue


@dataclass(frozen=True)
class _Contact:
    """The contact person an order names."""

    email: str
    first_name: str
    last_name: str


def contact_person_handle(
    *,
    actor: Actor,
    company: Company,
    contact: dict,
    order_number: str,
    company_new: bool = False,
) -> str:
    """Apply DESIGN.md rule 4 to an order's contact person; returns the `contact_outcome`.

    Runs inside the caller's (the order service's) transaction.

    - already a member → "already_member", nothing changes;
    - no administrator, no registered account → "administrator_created": a user without a
      usable password becomes the administrator at once (so the company *has* an
      administrator from now on) and gets a finalise-registration mail with an invitation
      link where they set name and password;
    - no administrator, registered account → "administrator_assigned" plus a notice mail;
    - administrators exist → "administrators_notified": an AccessRequest is recorded and every
      administrator is mailed.

    `company_new` says the caller created the company in this same transaction: no other
    transaction can see it yet, and it has no members, administrators or invitations, so the
    row lock and those look-ups are skipped (the outcome is decided by the contact's account).
    """
    person = _contact_read(contact)
    # All or nothing with the caller's transaction (a transaction of its own when there is
    # none): no savepoint, as a failure here fails the whole order anyway.
    with transaction.atomic(savepoint=False):
        if not company_new:
            # Lock the company row so that two orders for the same company decide one after
            # the other (the second sees the administrator the first created).
            Company.objects.select_for_update().filter(pk=company.pk).first()
            if selectors.member_find(company=company, email=person.email) is not None:
                return "already_member"
            admins = list(administrators_locked(company).select_related("user"))
            if admins:
                access_request_open(
                    actor=actor,
                    company=company,
                    admins=admins,
                    email=person.email,
                    first_name=person.first_name,
                    last_name=person.last_name,
                    order_number=order_number,
                )
                return "administrators_notified"
        user = selectors.user_find(email=person.email)
        if user is not None and user.is_registered:
            _administrator_assign(
                actor=actor, company=company, user=user, order_number=order_number
            )
            return "administrator_assigned"
        _pending_administrator_create(
            actor=actor,
            company=company,
            person=person,
            user=user,
            order_number=order_number,
            company_new=company_new,
        )
        return "administrator_created"


def _contact_read(contact: dict) -> _Contact:
    """The order's contact person, names trimmed; 422 for an e-mail that is not valid."""
    email = email_canonical(email=contact.get("email", ""), loc=("body", "contact", "email"))
    try:
        validate_email(email)
    except DjangoValidationError:
        raise Invalid(
            _("The contact person's e-mail address is not valid."),
            code=AccountError.INVALID_CONTACT_EMAIL,
            errors=[
                {"loc": ["body", "contact", "email"], "msg": _("Enter a valid e-mail address.")}
            ],
        ) from None
    return _Contact(
        email=email,
        first_name=plain_text(contact.get("first_name"))[:150],
        last_name=plain_text(contact.get("last_name"))[:150],
    )


def _administrator_assign(*, actor: Actor, company: Company, user: User, order_number: str) -> None:
    """A company without administrator: the contact's registered account becomes one, and
    they are told so by mail."""
    membership_create(
        actor=actor,
        company=company,
        user=user,
        role=Role.ADMINISTRATOR,
        audit={"order_number": order_number},
    )
    mail_enqueue(
        to=user.email,
        template="administrator_assigned",
        language=user.language or "en",
        context={
            "company_name": company.name,
            "gaid": company.gaid,
            "order_number": order_number,
            "first_name": user.first_name,
            "link": f"{settings.ILP_BASE_URL}/companies/{company.gaid}/",
        },
    )


def _pending_administrator_create(
    *,
    actor: Actor,
    company: Company,
    person: _Contact,
    user: User | None,
    order_number: str,
    company_new: bool,
) -> None:
    """A company without administrator, a contact without account: a user without a usable
    password (the one already made for them, if any) becomes the administrator at once and is
    mailed a link to finalise registration."""
    if user is None:
        # This company is their first, so their default (membership_create would set it with
        # a second write).
        user = User.objects.create_user(
            person.email,
            None,
            first_name=person.first_name,
            last_name=person.last_name,
            default_company=company,
        )
    membership_create(
        actor=actor,
        company=company,
        user=user,
        role=Role.ADMINISTRATOR,
        audit={"order_number": order_number, "pending": True},
    )
    invitation_issue(
        actor=actor,
        company=company,
        email=person.email,
        role=Role.ADMINISTRATOR,
        template="registration_finalise",
        context={"first_name": person.first_name, "order_number": order_number},
        user=user,
        company_new=company_new,
    )


def contact_mail_resend(
    *, actor: Actor, company: Company, contact: dict | None, order_number: str, outcome: str | None
) -> str:
    """Send an order's contact mail again (vendor staff, rule 25); returns which mail went.

    The mail follows what the order did (rule 4) and who the person is now: a contact made
    administrator who has not finalised registration gets a new finalise link (the old one is
    withdrawn); one with an account the notice that they administer the company; where the
    administrators were asked to invite the contact, they are asked again — unless the
    contact is a member by now. No contact, or nothing was mailed → 409 `no_contact_mail`."""
    if not contact or outcome not in (
        "administrator_created",
        "administrator_assigned",
        "administrators_notified",
    ):
        raise Conflict(
            _("Order %(order)s sent no contact mail that could be sent again.")
            % {"order": order_number},
            code=AccountError.NO_CONTACT_MAIL,
        )
    person = _contact_read(contact)
    user = selectors.user_find(email=person.email)
    if outcome == "administrators_notified":
        if selectors.member_find(company=company, email=person.email) is not None:
            raise Conflict(
                _("%(email)s is a member of %(company)s by now: no mail to send again.")
                % {"email": person.email, "company": company.name},
                code=AccountError.NO_CONTACT_MAIL,
            )
        admins = list(administrators_locked(company).select_related("user"))
        access_request_open(
            actor=actor,
            company=company,
            admins=admins,
            email=person.email,
            first_name=person.first_name,
            last_name=person.last_name,
            order_number=order_number,
        )
        return "access_requested"
    if user is not None and user.is_registered:
        mail_enqueue(
            to=user.email,
            template="administrator_assigned",
            language=user.language or "en",
            context={
                "company_name": company.name,
                "gaid": company.gaid,
                "order_number": order_number,
                "first_name": user.first_name,
                "link": f"{settings.ILP_BASE_URL}/companies/{company.gaid}/",
            },
        )
        return "administrator_assigned"
    invitation_issue(
        actor=actor,
        company=company,
        email=person.email,
        role=Role.ADMINISTRATOR,
        template="registration_finalise",
        context={"first_name": person.first_name, "order_number": order_number},
        user=user,
    )
    return "registration_finalise"
