"""Access requests: an order's contact person waiting for an administrator (rule 4). Opening
one (`access_request_open`) lives in common.py: invitations, contact persons and claims all
open them."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.errors import NotFound

from ..audit_actions import AuditAction
from ..errors import AccountError
from ..models import AccessRequest, Company, Invitation
from .common import access_request_open as access_request_open  # re-exported
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
        action=AuditAction.ACCESS_REQUEST_DISMISSED,
        obj_type="access_request",
        obj_id=access_request.pk,
        before={"email": access_request.email},
    )
