from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.utils import timezone

from ilp.core.actors import Actor
from ilp.core.bulk import objects_insert_later, rows_insert

from .models import AuditEvent


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
        reason=actor.reason,
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
    """Write one audit event; call it inside the transaction of the change it records.

    Inside `events_batched()` the event is written with the others of the batch, in one
    statement when the batch ends (still inside that transaction)."""
    event = _event(
        actor=actor,
        action=action,
        obj_type=obj_type,
        obj_id=obj_id,
        company_id=company.pk if company is not None else None,
        before=before,
        after=after,
    )
    batch = _batch.get()
    if batch is not None:
        batch.append(event)
    else:
        event.save()
    return event


_batch: ContextVar[list[AuditEvent] | None] = ContextVar("audit_batch", default=None)


@contextmanager
def events_batched() -> Iterator[None]:
    """Collect the `event_record` calls of the block and insert them in one multi-row
    statement when it ends without an error (an order writes several events: the company,
    the contact's account and invitation, the order). Use it inside the transaction, around
    work that does not read its own audit events back; nested, it joins the outer batch."""
    if _batch.get() is not None:
        yield
        return
    events: list[AuditEvent] = []
    token = _batch.set(events)
    try:
        yield
    finally:
        _batch.reset(token)
    if events:
        objects_insert_later(events)


def events_record_many(
    *, actor: Actor, company_id, action: str, rows: Iterable[tuple[str, Any, Any, Any]]
) -> None:
    """One audit event per (object_type, object_id, before, after) row, in one statement
    (`COPY` on PostgreSQL): a 1000-device batch must not cost 1000 queries, nor 1000 model
    objects."""
    now = timezone.now()
    user_id = actor.user.pk if actor.kind == "user" and actor.user is not None else None
    rows_insert(
        AuditEvent,
        _MANY_FIELDS,
        (
            (
                now,
                company_id,
                actor.kind,
                user_id,
                actor.label,
                actor.reason,
                action,
                t,
                str(i),
                b,
                a,
            )
            for t, i, b, a in rows
        ),
    )


_MANY_FIELDS = (
    "created_at",
    "company",
    "actor_kind",
    "actor_user",
    "actor_label",
    "reason",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
)


def events_company_move(*, source, target) -> int:
    """Move a merged company's audit events to the company it was merged into (rule 26): its
    history stays readable there. Returns how many moved."""
    return AuditEvent.objects.filter(company=source).update(company=target)
