"""Concurrent duplicates of one order (rule 3: nothing is created twice). Real threads and
connections on PostgreSQL; CI runs it."""

import datetime
import threading

import pytest
from django.db import connection

from ilp.core.actors import Actor
from ilp.licensing.models import Order, ProductPack, SubscriptionKey
from ilp.rollout.services import order_place
from tests.accounts.factories import make_staff_token
from tests.conftest import ApiClient

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def _run_concurrently(n, kwargs_for):
    barrier = threading.Barrier(n)
    results, errors = [None] * n, [None] * n

    def work(i):
        try:
            barrier.wait()
            order, created = order_place(**kwargs_for(i))
            results[i] = (order.pk, created, order.result)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def _order(items_seats=10, name="Race Corp", customer_number="C-RACE"):
    return dict(
        actor=Actor.system(),
        order_number="SO-RACE",
        kind="new",
        invoice_date=datetime.date(2026, 11, 1),
        end_customer={"name": name, "customer_number": customer_number},
        items=[{"product": "WE", "seats": items_seats, "term_months": 12}],
    )


def test_identical_concurrent_orders_create_once():
    results, errors = _run_concurrently(6, lambda i: _order())
    assert errors == [None] * 6
    assert sum(1 for r in results if r[1]) == 1
    assert len({r[0] for r in results}) == 1
    assert all(r[2] == results[0][2] for r in results)  # everybody got the same result
    assert Order.objects.count() == 1
    assert SubscriptionKey.objects.count() == 1 and ProductPack.objects.count() == 1


def test_conflicting_concurrent_orders_one_wins_others_409():
    from ilp.core.errors import Conflict

    results, errors = _run_concurrently(4, lambda i: _order(items_seats=10 + i))
    assert sum(1 for r in results if r) == 1
    assert all(isinstance(e, Conflict) for e in errors if e is not None)
    assert sum(1 for e in errors if e is not None) == 3
    assert ProductPack.objects.count() == 1


def test_identical_concurrent_orders_inside_idempotency_transactions_create_once():
    """Each request under its own Idempotency-Key runs in the middleware's transaction, so the
    order's own atomic block is a savepoint: a losing insert rolls back to it and replays."""
    token = make_staff_token()
    body = {
        "order_number": "SO-RACE",
        "kind": "new",
        "invoice_date": "2026-11-01",
        "end_customer": {"name": "Race Corp", "customer_number": "C-RACE"},
        "contact": {"email": "buyer@race.test", "first_name": "Ada", "last_name": "B"},
        "items": [{"product": "WE", "seats": 10, "term_months": 12}],
    }
    barrier = threading.Barrier(4)
    responses = [None] * 4

    def work(i):
        try:
            barrier.wait()
            responses[i] = ApiClient(token).post(
                "/orders", body, headers={"Idempotency-Key": f"race-{i}"}
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201]
    assert len({r.content for r in responses}) == 1
    assert Order.objects.count() == 1 and ProductPack.objects.count() == 1
