"""Fault injection: the mail server refusing then back, the worker killed while it delivers,
the database connection dropped inside a split and inside an issuance.

The delivery rule these prove (docs/decisions.md, "Mail and the outbox", "At least once"):
a mail is claimed with `SELECT … FOR UPDATE SKIP LOCKED` and marked sent in the
same transaction that talks to the SMTP server. A failure or a crash before the server's
final "250 OK" rolls the claim back, so the mail stays pending and is delivered later: no
loss. Only a crash in the instant between the server's "250" and our commit can send a mail
twice, so delivery is at-least-once, in practice once.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from unittest import mock

import psycopg
import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.test import Client
from django.utils import timezone

from ilp.licensing.models import ProductPack
from ilp.licensing.services import pack_ops
from ilp.notifications.models import OutboxMail
from ilp.notifications.services import mail_deliver, outbox_deliver_due
from ilp.rollout import signing
from ilp.rollout.models import DeviceLicense
from tests.accounts.factories import make_user, make_user_token
from tests.conftest import ApiClient
from tests.licensing.factories import make_key, seed_catalogue
from tests.rollout.factories import make_ums

SMTP_PORT = 8634  # this branch's port range (8630-8639)
ILP = Path(sys.executable).with_name("ilp")


class StubSmtp:
    """An SMTP server in a thread. `mode`: "refuse" answers DATA with 451, "stall" holds the
    DATA reply until released (the client waits), "accept" keeps the mail and answers 250.
    `accepted` lists the mails it answered 250 to: the ones a client may count as sent."""

    def __init__(self, port: int = SMTP_PORT):
        self.mode = "accept"
        self.accepted: list[bytes] = []
        self.refused = 0
        self.in_data = threading.Event()
        self.release = threading.Event()
        self.controller = Controller(self, hostname="127.0.0.1", port=port)

    async def handle_DATA(self, server, session, envelope):
        if self.mode == "refuse":
            self.refused += 1
            return "451 4.3.0 Try again later"
        if self.mode == "stall":
            self.in_data.set()
            # The worker is killed while it waits here; never acknowledge this one.
            while not self.release.is_set():
                await _sleep(0.05)
            return "451 4.3.0 Connection lost"
        self.accepted.append(envelope.content)
        return "250 OK"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.controller.stop()


async def _sleep(seconds):
    import asyncio

    await asyncio.sleep(seconds)


def _smtp_mailer(port: int = SMTP_PORT) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
        }
    }


def _queue_mail(to="hanna@harbour.test") -> OutboxMail:
    # Written directly: mail_enqueue would also enqueue a delivery task after commit, and these
    # tests decide themselves who delivers when.
    return OutboxMail.objects.create(
        to=to, subject="Your licenses", body_text="Hello", template="test"
    )


# --- the mail server refuses, then comes back ---------------------------------------------------


@pytest.mark.django_db
def test_smtp_refusing_then_back_delivers_the_mail_exactly_once(settings):
    settings.MAILERS = _smtp_mailer()
    mail = _queue_mail()
    with StubSmtp() as smtp:
        smtp.mode = "refuse"
        assert mail_deliver(mail_id=mail.pk) is False
        mail.refresh_from_db()
        assert mail.status == OutboxMail.Status.PENDING and mail.attempts == 1
        assert "451" in mail.last_error and mail.next_attempt_at > timezone.now()
        # Not due yet: the sweeper leaves it alone (back-off), even with the server back.
        smtp.mode = "accept"
        assert outbox_deliver_due() == 0 and smtp.accepted == []

        OutboxMail.objects.filter(pk=mail.pk).update(next_attempt_at=timezone.now())
        assert outbox_deliver_due() == 1
        assert outbox_deliver_due() == 0  # a second sweep sends nothing again
        assert mail_deliver(mail_id=mail.pk) is False  # nor does a late task for it
    assert len(smtp.accepted) == 1 and smtp.refused == 1
    mail.refresh_from_db()
    assert mail.status == OutboxMail.Status.SENT and mail.attempts == 2 and mail.last_error == ""


# --- the worker is killed with SIGKILL in the middle of a delivery ------------------------------


def _worker_env() -> dict:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = url.replace("@", f":{db['PASSWORD']}@", 1)
    return {
        **os.environ,
        "DATABASE_URL": url,
        "EMAIL_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_delivery_loses_nothing_and_sends_once():
    mail = _queue_mail()
    env = _worker_env()
    with StubSmtp() as smtp:
        smtp.mode = "stall"
        worker = subprocess.Popen(
            [str(ILP), "worker", "--once"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert smtp.in_data.wait(60), "the worker never reached the DATA phase"
            # The row is claimed (locked) while the worker talks to the server.
            with psycopg.connect(_dsn(), autocommit=True) as other:
                locked = other.execute(
                    "SELECT id FROM notifications_outboxmail WHERE id = %s FOR UPDATE SKIP LOCKED",
                    [mail.pk],
                ).fetchall()
            assert locked == [], "the mail being delivered was not locked"
            worker.send_signal(signal.SIGKILL)
            worker.wait(30)
        finally:
            if worker.poll() is None:
                worker.kill()
        smtp.release.set()
        assert worker.returncode == -signal.SIGKILL

        # The server never said 250: the claim died with the worker's connection.
        deadline = time.monotonic() + 20
        while True:
            mail.refresh_from_db()
            if _unlocked(mail.pk) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert mail.status == OutboxMail.Status.PENDING and mail.attempts == 0

        smtp.mode = "accept"
        done = subprocess.run(
            [str(ILP), "worker", "--once"], env=env, capture_output=True, timeout=120
        )
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        again = subprocess.run(
            [str(ILP), "worker", "--once"], env=env, capture_output=True, timeout=120
        )
        assert again.returncode == 0, again.stderr.decode()[-2000:]
    assert len(smtp.accepted) == 1
    mail.refresh_from_db()
    assert mail.status == OutboxMail.Status.SENT and mail.attempts == 1


def _dsn() -> str:
    db = connection.settings_dict
    parts = [
        f"host={db['HOST'] or '127.0.0.1'}",
        f"port={db['PORT'] or 5432}",
        f"dbname={db['NAME']}",
        f"user={db['USER']}",
    ]
    if db.get("PASSWORD"):
        parts.append(f"password={db['PASSWORD']}")
    return " ".join(parts)


def _unlocked(mail_id: int) -> bool:
    with psycopg.connect(_dsn(), autocommit=True) as other:
        return bool(
            other.execute(
                "SELECT id FROM notifications_outboxmail WHERE id = %s FOR UPDATE SKIP LOCKED",
                [mail_id],
            ).fetchall()
        )


# --- the database connection drops inside a split and inside an issuance ------------------------


def _drop_my_connection() -> None:
    """Terminate this thread's PostgreSQL backend from another connection, then use it: the
    server is gone mid-transaction, exactly as when the database restarts or a network cuts."""
    pid = connection.connection.info.backend_pid
    with psycopg.connect(_dsn(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")  # raises OperationalError: the server closed the connection


@pytest.fixture
def acme(company):
    seed_catalogue()
    return company


@pytest.fixture
def admin_token(acme):
    return make_user_token(make_user("admin@acme.test", company=acme, role="administrator"))


def _client(token):
    # A crash is a 500 to the client; the test client re-raises it unless told not to.
    return ApiClient(token, client=Client(raise_request_exception=False))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_connection_dropped_inside_a_split_changes_nothing_and_the_retry_splits_once(
    acme, admin_token
):
    key = make_key(acme, packs=[("WE", 10)])
    pack = key.product_packs.get()
    path = f"/companies/{acme.gaid}/product-packs/{pack.pack_id}/split"
    headers = {"Idempotency-Key": "split-after-crash"}

    real_transfer = pack_ops.seats_transfer

    def crash(**kwargs):  # the new pack is written, the seats not yet moved
        _drop_my_connection()
        return real_transfer(**kwargs)

    with mock.patch.object(pack_ops, "seats_transfer", crash):
        failed = _client(admin_token).post(path, {"seats": 3}, headers=headers)
    assert failed.status_code == 500
    connection.close()  # this thread's connection was the one killed

    pack.refresh_from_db()
    assert pack.seats == 10
    assert ProductPack.objects.filter(subscription_key=key).count() == 1

    retried = _client(admin_token).post(path, {"seats": 3}, headers=headers)
    assert retried.status_code == 201, retried.content
    replayed = _client(admin_token).post(path, {"seats": 3}, headers=headers)
    assert replayed.status_code == 201 and replayed.json() == retried.json()
    assert replayed.headers.get("Idempotent-Replayed") == "true"
    pack.refresh_from_db()
    assert pack.seats == 7
    assert ProductPack.objects.filter(split_from=pack).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_connection_dropped_inside_an_issuance_issues_nothing_and_the_retry_issues_once(
    acme, monkeypatch
):
    key = make_key(acme, packs=[("WE", 10)])
    pack = key.product_packs.get()
    ums, credential = make_ums(acme, packs=[pack])
    units = ["00E0C5F00001", "00E0C5F00002", "00E0C5F00003"]
    body = {"product": "WE", "unit_ids": units}
    headers = {"Idempotency-Key": "issue-after-crash"}

    real_sign = signing.jws_sign
    calls = {"n": 0}

    def sign_then_crash(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # the first license is signed and written, the second not yet
            _drop_my_connection()
        return real_sign(*args, **kwargs)

    monkeypatch.setattr(signing, "jws_sign", sign_then_crash)
    failed = _client(credential).post("/ums/licenses", body, headers=headers)
    monkeypatch.setattr(signing, "jws_sign", real_sign)
    assert calls["n"] == 2 and failed.status_code == 500
    connection.close()

    pack.refresh_from_db()
    assert pack.seats_used == 0 and DeviceLicense.objects.count() == 0

    retried = _client(credential).post("/ums/licenses", body, headers=headers)
    assert retried.status_code == 200, retried.content
    assert [r["status"] for r in retried.json()["results"]] == ["issued"] * 3
    replayed = _client(credential).post("/ums/licenses", body, headers=headers)
    assert replayed.json() == retried.json()
    assert replayed.headers.get("Idempotent-Replayed") == "true"
    pack.refresh_from_db()
    assert pack.seats_used == 3 and DeviceLicense.objects.count() == 3
