from typing import Any

from ilp.core.actors import Actor

from .models import AuditEvent


def event_record(
    *,
    actor: Actor,
    action: str,
    obj_type: str,
    obj_id: Any,
    company=None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Write one audit event; call it inside the transaction of the change it records."""
    return AuditEvent.objects.create(
        company=company,
        actor_kind=actor.kind,
        actor_user=actor.user if actor.kind == "user" else None,
        actor_label=actor.label,
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        before=before,
        after=after,
    )
