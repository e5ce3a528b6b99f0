"""Access requests: an order's contact person waiting for an administrator (rule 4)."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.errors import NotFound
from ilp.core.text import plain_text
from ilp.notifications.services import mail_enqueue

from .. import selectors
from ..errors import AccountError
from ..models import AccessRequest, Company, Invitation, Membership
from .invitations import invitation_create


def _access_request_pending_locked(company: Company, access_request_id: int) -> AccessRequest:
    access_request = (
        AccessRequest.objects.select_for_update()
        .filter(company=company, pk=access_request_id, resolved_at__isnull=True)
        .first()
    )
    if access_request is None:
        raise NotFound(_("No such access request."), code=AccountError.ACCESS_REQUEST_NOT_FOUND)
    return access_request


@transaction.atomic
def access_request_invite(
    *, actor: Actor, company: Company, access_request_id: int, role: str
) -> tuple[Invitation, str]:
    """Turn a pending access request into an invitation (one click for the administrator)."""
    access_request = _access_request_pending_locked(company, access_request_id)
    invitation, token = invitation_create(
        actor=actor, company=company, email=access_request.email, role=role
    )
    access_request.invitation = invitation
    access_request.resolved_at = timezone.now()
    access_request.save(update_fields=["invitation", "resolved_at"])
    return invitation, token


@transaction.atomic
def access_request_dismiss(*, actor: Actor, company: Company, access_request_id: int) -> None:
    """Close a pending access request without inviting anyone."""
    access_request = _access_request_pending_locked(company, access_request_id)
    access_request.resolved_at = timezone.now()
    access_request.save(update_fields=["resolved_at"])
    event_record(
        actor=actor,
        company=company,
        action="access_request.dismissed",
        obj_type="access_request",
        obj_id=access_request.pk,
        before={"email": access_request.email},
    )


def access_request_open(
    *,
    actor: Actor,
    company: Company,
    admins: list[Membership],
    email: str,
    first_name: str,
    last_name: str,
    order_number: str = "",
) -> AccessRequest:
    """A person asks to join a company that has administrators: record the access request (one
    pending per e-mail, however often they ask) and mail every administrator. Asked by an
    order naming a contact (rule 4, `order_number`) or by a registration with the company's
    GAID and a subscription key (rule 16, no order number). The caller holds the transaction
    and has locked the administrators."""
    first_name, last_name = plain_text(first_name)[:150], plain_text(last_name)[:150]
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
            template="access_requested" if order_number else "access_requested_registration",
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
        after={"email": email, "order_number": order_number or None},
    )
    return access_request
