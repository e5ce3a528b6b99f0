"""Claiming a company that has no administrator (rule 16, FAQ Q5)."""

from enum import StrEnum

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.authz import Role
from ilp.core.errors import Invalid
from ilp.core.text import plain_text

from .. import selectors
from ..audit_actions import AuditAction
from ..errors import AccountError
from ..models import Company
from ..proofs import company_holds_key
from .common import access_request_open, administrators_locked, email_canonical
from .invitations import invitation_issue


class RegistrationOutcome(StrEnum):
    INVITED = "invited"  # the claim link is mailed to the person
    ACCESS_REQUESTED = "access_requested"  # the company's administrators are asked instead


def _person_read(email: str, first_name: str, last_name: str) -> tuple[str, str, str]:
    email = email_canonical(email=email)
    first_name, last_name = plain_text(first_name)[:150], plain_text(last_name)[:150]
    errors = []
    try:
        validate_email(email)
    except DjangoValidationError:
        errors.append({"loc": ["body", "email"], "msg": _("Enter a valid e-mail address.")})
    if not first_name:
        errors.append({"loc": ["body", "first_name"], "msg": _("Enter your first name.")})
    if not last_name:
        errors.append({"loc": ["body", "last_name"], "msg": _("Enter your last name.")})
    if errors:
        raise Invalid(
            _("Some fields are invalid."), code=AccountError.VALIDATION_ERROR, errors=errors
        )
    return email, first_name, last_name


def _company_proven(gaid: str, subscription_key: str) -> Company:
    """The company whose GAID and subscription key these are; 422 `registration_not_matched`
    alike for an unknown GAID and a key of another company (no GAID can be probed)."""
    company = selectors.company_find(gaid=gaid)
    key = (subscription_key or "").strip()
    if company is None or not company_holds_key(company=company, key=key):
        message = _(
            "This GAID and subscription key do not belong together. Check both on your order "
            "confirmation or invoice."
        )
        raise Invalid(
            message,
            code=AccountError.REGISTRATION_NOT_MATCHED,
            errors=[{"loc": ["body", "subscription_key"], "msg": message}],
        )
    return company


@transaction.atomic
def registration_create(
    *, email: str, first_name: str, last_name: str, gaid: str, subscription_key: str
) -> tuple[RegistrationOutcome, Company]:
    """A person claims their company with its GAID and one of its subscription keys.

    No administrator yet → an invitation as administrator is mailed to the person (the usual
    `/invitations/<token>` link: a new person finalises registration there, an existing user
    accepts). The company has administrators → they get an access request for the person, as
    for an order's contact (rule 4), and the caller answers 409 `company_has_administrator`.
    Nothing changes before the proof holds (422 `registration_not_matched`).
    """
    email, first_name, last_name = _person_read(email, first_name, last_name)
    company = _company_proven(gaid, subscription_key)
    # The company row first, then its administrators: two claims (or a claim and an order's
    # contact) decide one after the other.
    Company.objects.select_for_update().filter(pk=company.pk).first()
    admins = list(administrators_locked(company).select_related("user"))
    actor = Actor.system()
    if admins:
        access_request_open(
            actor=actor,
            company=company,
            admins=admins,
            email=email,
            first_name=first_name,
            last_name=last_name,
        )
        return RegistrationOutcome.ACCESS_REQUESTED, company
    invitation, _token = invitation_issue(
        actor=actor,
        company=company,
        email=email,
        role=Role.ADMINISTRATOR,
        template="registration_claim",
        context={"first_name": first_name},
        claim=True,
    )
    event_record(
        actor=actor,
        company=company,
        action=AuditAction.COMPANY_CLAIMED,
        obj_type="invitation",
        obj_id=invitation.pk,
        after={"email": email, "first_name": first_name, "last_name": last_name},
    )
    return RegistrationOutcome.INVITED, company
