"""events_batched: the audit events of one service call in one INSERT, exactly as recorded."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ilp.audit.models import AuditEvent
from ilp.audit.services import event_record, events_batched, events_record_many
from ilp.core.actors import Actor

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system()


def _record(action):
    event_record(actor=SYSTEM, action=action, obj_type="thing", obj_id=action)


def test_events_wait_for_the_end_of_the_block_and_keep_their_order_and_time():
    with CaptureQueriesContext(connection) as queries:
        with events_batched():
            _record("a.first")
            events_record_many(
                actor=SYSTEM,
                company_id=None,
                action="b.many",
                rows=[("thing", "b1", None, {"n": 1}), ("thing", "b2", None, {"n": 2})],
            )
            with events_batched():  # a nested block joins the outer one
                _record("c.last")
            assert not AuditEvent.objects.exists()
            block_ends = timezone.now()
    inserts = [q for q in queries.captured_queries if "INSERT" in q["sql"]]
    assert len(inserts) == 1
    rows = list(AuditEvent.objects.order_by("pk").values_list("action", "object_id", "created_at"))
    assert [(a, o) for a, o, _t in rows] == [
        ("a.first", "a.first"),
        ("b.many", "b1"),
        ("b.many", "b2"),
        ("c.last", "c.last"),
    ]
    times = [t for _a, _o, t in rows]
    assert times == sorted(times) and times[-1] < block_ends  # when recorded, not inserted


def test_a_block_that_raises_inserts_nothing_and_recording_goes_back_to_normal():
    with pytest.raises(RuntimeError):
        with events_batched():
            _record("lost")
            raise RuntimeError("the service failed")
    assert not AuditEvent.objects.exists()
    _record("after")
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["after"]
