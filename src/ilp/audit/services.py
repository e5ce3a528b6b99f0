from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.utils import timezone

from ilp.core.actors import Actor

from .models import AuditEvent

# The events held by `events_batched`, in the order they were recorded (None: not batching).
_batched: ContextVar[list[AuditEvent] | None] = ContextVar("audit_batched", default=None)


@contextmanager
def events_batched() -> Iterator[None]:
    """Hold the audit events recorded inside this block (by any service, through
    `event_record` or `events_record_many`) and insert them in one statement at its end, in
    the order recorded, each with the time it was recorded. For a service that records
    several in one transaction (an order: its company, member, invitation, order); use it
    inside that transaction.

    When the block raises, nothing is inserted (the transaction rolls back anyway). Code
    inside must not catch an exception from a savepoint after recording an event in it: the
    event would outlive the change it records. Nested blocks join the outermost one."""
    if _batched.get() is not None:
        yield
        return
    token = _batched.set([])
    try:
        yield
        events = _batched.get()
    finally:
        _batched.reset(token)
    if events:
        AuditEvent.objects.bulk_create(events, batch_size=500)


def _event(
    *,
    actor: Actor,
    action: str,
    obj_type: str,
    obj_id: Any,
    company_id,
    before,
    after,
    created_at=None,
) -> AuditEvent:
    return AuditEvent(
        created_at=created_at or timezone.now(),
        company_id=company_id,
        actor_kind=actor.kind,
        actor_user=actor.user if actor.kind == "user" else None,
        actor_label=actor.label,
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        before=before,
        after=after,
    )


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
    event = _event(
        actor=actor,
        action=action,
        obj_type=obj_type,
        obj_id=obj_id,
        company_id=company.pk if company is not None else None,
        before=before,
        after=after,
    )
    batched = _batched.get()
    if batched is not None:
        batched.append(event)
    else:
        event.save()
    return event


def events_record_many(
    *, actor: Actor, company_id, action: str, rows: Iterable[tuple[str, Any, Any, Any]]
) -> None:
    """One audit event per (object_type, object_id, before, after) row, in one INSERT:
    a 1000-device batch must not cost 1000 queries."""
    now = timezone.now()
    events = [
        _event(
            actor=actor,
            action=action,
            obj_type=obj_type,
            obj_id=obj_id,
            company_id=company_id,
            before=before,
            after=after,
            created_at=now,
        )
        for obj_type, obj_id, before, after in rows
    ]
    batched = _batched.get()
    if batched is not None:
        batched.extend(events)
    else:
        AuditEvent.objects.bulk_create(events, batch_size=500)
