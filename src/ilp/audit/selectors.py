from django.db.models import QuerySet

from ilp.core.authz import Permission, require

from .models import AuditEvent


def event_list(*, membership) -> QuerySet[AuditEvent]:
    """The company's audit log, newest first (administrators and service providers)."""
    require(membership, Permission.READ_AUDIT)
    return AuditEvent.objects.filter(company_id=membership.company_id).order_by(
        "-created_at", "-id"
    )
