"""PostgreSQL: workers sharing a backlog send each delivery once; a worker killed mid-delivery
loses nothing (its claim lapses and another worker sends the delivery, same webhook-id)."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone

from ilp.core.actors import Actor
from ilp.webhooks.models import WebhookDelivery
from ilp.webhooks.services import deliveries_send_due, endpoint_create, events_emit
from tests.webhooks.receiver import Receiver

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver(settings):
    settings.ILP_WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
    with Receiver() as r:
        yield r


def _endpoint(company, receiver, events=("member.added", "webhook.test")):
    endpoint, secret = endpoint_create(
        actor=Actor.system(), company=company, url=receiver.url, events=list(events)
    )
    receiver.secrets.append(secret)
    return endpoint


def test_two_workers_on_one_backlog_send_each_event_once(company, receiver):
    _endpoint(company, receiver)
    with transaction.atomic():
        events_emit(
            company_id=company.pk,
            type="member.added",
            data=lambda: [{"email": f"p{i}@acme.test", "role": "user"} for i in range(300)],
        )
    assert WebhookDelivery.objects.count() == 300
    barrier = threading.Barrier(2)
    errors = []

    def work(name):
        try:
            barrier.wait()
            deliveries_send_due(worker_id=name, limit=7)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    ids = [r["id"] for r in receiver.received]
    assert len(ids) == 300 == len(set(ids))  # every event once, none twice
    assert set(ids) == set(WebhookDelivery.objects.values_list("message_id", flat=True))
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {("succeeded", 1)}
    assert receiver.rejected == []


def _ilp() -> list[str]:
    script = Path(sys.executable).with_name("ilp")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ilp.cli"]


def test_a_worker_killed_mid_delivery_loses_nothing(company, receiver, tmp_path, settings):
    endpoint = _endpoint(company, receiver)
    receiver.mode = "stall"
    db = connection.settings_dict
    env = dict(
        os.environ,
        DATABASE_URL=(
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        ILP_DATA_DIR=str(tmp_path),
        ILP_TOTP_KEY=settings.ILP_TOTP_KEY,  # the worker reads the endpoint's secret
        ILP_WEBHOOK_ALLOW_HOSTS="127.0.0.1",
        ILP_WEBHOOK_LEASE_SECONDS="11",
        DJANGO_SETTINGS_MODULE="ilp.settings",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with transaction.atomic():
        events_emit(
            company_id=company.pk, type="member.added", data=lambda: [{"email": "a@acme.test"}]
        )
    delivery = WebhookDelivery.objects.get()
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [*_ilp(), "worker", "--webhook-interval", "0.2", "--sweep", "60"],
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        assert receiver.stalled.wait(120), (tmp_path / "worker.log").read_text()
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
        log.close()
    receiver.mode = "ok"
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.claimed_until is not None
    # Another worker finds it claimed until the lease lapses, then sends it.
    assert deliveries_send_due(worker_id="second") == 0
    while timezone.now() <= delivery.claimed_until:
        time.sleep(0.5)
    assert deliveries_send_due(worker_id="second") == 1
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert [(r["id"], r["status"]) for r in receiver.received] == [
        (delivery.message_id, 0),
        (delivery.message_id, 204),
    ]
    assert endpoint.deliveries.count() == 1
