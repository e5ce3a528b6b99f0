"""An order's contact person (DESIGN.md rule 4)."""

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.authz import Role
from ilp.core.errors import Invalid
from ilp.notifications.services import mail_enqueue

from .. import selectors
from ..errors import AccountError
from ..models import AccessRequest, Company, Membership, User, normalize_email
from .common import administrators_locked, default_company_fill
from .invitations import invitation_issue


def contact_person_handle(
    *, actor: Actor, company: Company, contact: dict, order_number: str
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
    """
    email = normalize_email(contact.get("email", ""))
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
    first_name = (contact.get("first_name") or "").strip()
    last_name = (contact.get("last_name") or "").strip()
    with transaction.atomic():
        # Lock the company row so that two orders for the same company decide one after the
        # other (the second sees the administrator the first created).
        Company.objects.select_for_update().filter(pk=company.pk).first()
        if selectors.member_find(company=company, email=email) is not None:
            return "already_member"
        admins = list(administrators_locked(company).select_related("user"))
        if not admins:
            user = selectors.user_find(email=email)
            if user is not None and user.is_registered:
                Membership.objects.create(user=user, company=company, role=Role.ADMINISTRATOR)
                default_company_fill(user, company)
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
                event_record(
                    actor=actor,
                    company=company,
                    action="member.added",
                    obj_type="membership",
                    obj_id=user.email,
                    after={"role": Role.ADMINISTRATOR, "order_number": order_number},
                )
                return "administrator_assigned"
            if user is None:
                user = User.objects.create_user(
                    email, None, first_name=first_name, last_name=last_name
                )
            Membership.objects.create(user=user, company=company, role=Role.ADMINISTRATOR)
            default_company_fill(user, company)
            event_record(
                actor=actor,
                company=company,
                action="member.added",
                obj_type="membership",
                obj_id=user.email,
                after={"role": Role.ADMINISTRATOR, "order_number": order_number, "pending": True},
            )
            invitation_issue(
                actor=actor,
                company=company,
                email=email,
                role=Role.ADMINISTRATOR,
                template="registration_finalise",
                context={"first_name": first_name, "order_number": order_number},
            )
            return "administrator_created"
        access_request = selectors.access_request_pending_find(company=company, email=email)
        if access_request is None:
            access_request = AccessRequest.objects.create(
                company=company,
                email=email,
                first_name=first_name,
                last_name=last_name,
                order_number=order_number,
            )
        for admin in admins:
            mail_enqueue(
                to=admin.user.email,
                template="access_requested",
                language=admin.user.language or "en",
                context={
                    "company_name": company.name,
                    "gaid": company.gaid,
                    "order_number": order_number,
                    "contact_email": email,
                    "contact_name": f"{first_name} {last_name}".strip(),
                    "link": f"{settings.ILP_BASE_URL}/companies/{company.gaid}/manage/",
                },
            )
        event_record(
            actor=actor,
            company=company,
            action="access_request.created",
            obj_type="access_request",
            obj_id=access_request.pk,
            after={"email": email, "order_number": order_number},
        )
        return "administrators_notified"
