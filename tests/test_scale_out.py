"""Scale-out (issue 14): two `ilp serve` (gunicorn, two worker processes each) and two
`ilp worker` processes on one PostgreSQL database.

Orders (staff API), license requests (UMS API) and mail go through both servers at once;
one worker is killed with SIGKILL half-way. Afterwards every seat is counted once
(`seats_used` equals the active licenses of each pack, no device twice), every mail reached
the SMTP sink (once; twice only for a mail the killed worker was handing over in the instant
it died: delivery is at least once), each daily job ran once, and the metrics of the two servers add
up to what was done (prometheus-client's multiprocess mode across gunicorn's workers).
"""

import datetime
import email
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from ilp.core.models import DailyRun
from ilp.licensing.models import ProductPack
from ilp.notifications.models import OutboxMail
from ilp.rollout.models import DeviceLicense
from ilp.web.management.commands.worker import DAILY_JOBS
from tests.accounts.factories import make_company, make_staff_token, make_user, make_user_token
from tests.licensing.factories import make_key, seed_catalogue
from tests.rollout.factories import issue, make_ums

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SERVERS = ("127.0.0.1:8640", "127.0.0.1:8641")
SMTP_PORT = 8642
ORDERS = 16
SEATS_PER_ORDER = 5
DEVICES = 100  # more than the seats: some requests are refused with no_free_seat


class Sink:
    """An SMTP server that keeps every message it is handed."""

    def __init__(self):
        self.messages: list[tuple[str, str]] = []  # (recipient, subject)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        subject = str(make_header(decode_header(message["Subject"])))
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.messages.append((rcpt.lower(), " ".join(subject.split())))
        return "250 OK"


def _ilp() -> list[str]:
    script = Path(sys.executable).with_name("ilp")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ilp.cli"]


def _http(method: str, url: str, *, token: str | None = None, body: bytes | None = None):
    request = urllib.request.Request(url, data=body, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _post_json(url, token, payload):
    import json

    status, body = _http("POST", url, token=token, body=json.dumps(payload).encode())
    return status, json.loads(body)


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _healthy(bind: str) -> bool:
    try:
        return _http("GET", f"http://{bind}/healthz")[0] == 200
    except OSError:
        return False


def _metric_sum(bind: str, name: str, **labels) -> float:
    status, body = _http("GET", f"http://{bind}/metrics")
    assert status == 200
    total = 0.0
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


@pytest.fixture
def cluster(tmp_path, settings):
    """Starts the SMTP sink, two servers and two workers on the test database; yields
    {"workers": [Popen, Popen]}; stops everything (and shows its logs if the test failed)."""
    settings.DATA_DIR = tmp_path  # the signing key: the test process and the servers share it
    settings.ILP_SIGNING_KEY = ""
    db = connection.settings_dict
    env = dict(
        os.environ,
        DATABASE_URL=(
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        EMAIL_URL=f"smtp://127.0.0.1:{SMTP_PORT}",
        ILP_DATA_DIR=str(tmp_path),
        ILP_LOG_FORMAT="json",
        ILP_DAILY_LEASE_SECONDS="5",
        DJANGO_SETTINGS_MODULE="ilp.settings",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=SMTP_PORT)
    smtp.start()
    procs: list[tuple[str, subprocess.Popen]] = []

    def start(name, *args):
        log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen([*_ilp(), *args], env=env, stdout=log, stderr=log)
        procs.append((name, proc))
        return proc

    try:
        for i, bind in enumerate(SERVERS):
            start(f"serve{i}", "serve", "--bind", bind, "--workers", "2", "--threads", "4")
        workers = [
            start(f"worker{i}", "worker", "--interval", "0.2", "--sweep", "1") for i in range(2)
        ]
        for bind in SERVERS:
            # Generous: on a busy 2-core machine six processes import Django at once.
            _wait_for(lambda b=bind: _healthy(b), 150, f"{bind}/healthz")
        yield {"workers": workers, "sink": sink, "logs": tmp_path}
    finally:
        for _name, proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            print(f"--- {name} (exit {proc.returncode}), last lines:")
            print("\n".join((tmp_path / f"{name}.log").read_text().splitlines()[-15:]))
        smtp.stop()


@pytest.fixture
def setup_data(tmp_path, settings):
    """A company with an administrator and an auto-assign UMS; three licenses on a pack that
    expires in 5 days (the daily exchange moves them, the daily reminder mails about it)."""
    settings.DATA_DIR = tmp_path
    settings.ILP_SIGNING_KEY = ""
    seed_catalogue()
    company = make_company(name="Scale GmbH")
    admin = make_user("admin@scale.test", company=company, role="administrator")
    today = timezone.localdate()
    expiring = make_key(
        company,
        packs=[("WE", 3)],
        starts_on=today - datetime.timedelta(days=360),
        expires_on=today + datetime.timedelta(days=5),
    ).product_packs.get()
    later = make_key(company, packs=[("WE", 3)]).product_packs.get()
    ums, credential = make_ums(company, packs=[expiring, later], auto_assign=True)
    issue(ums, "WE", "00E0C5F00001", "00E0C5F00002", "00E0C5F00003")
    assert ProductPack.objects.get(pk=expiring.pk).seats_used == 3
    return {
        "company": company,
        "credential": credential,
        "staff": make_staff_token(),
        "admin": make_user_token(admin),
        "later": later,
    }


def test_two_servers_and_two_workers_count_every_seat_and_mail_once(setup_data, cluster):
    started = time.monotonic()
    company, staff, credential = (
        setup_data["company"],
        setup_data["staff"],
        setup_data["credential"],
    )
    sink: Sink = cluster["sink"]

    def order(i):
        # The order through one server, its EULA accepted by the administrator through the
        # other (a pack of an order whose EULA waits issues no license).
        bind = SERVERS[i % 2]
        created = _post_json(
            f"http://{bind}/api/v1/orders",
            staff,
            {
                "order_number": f"SO-{i:04d}",
                "kind": "new",
                "invoice_date": timezone.localdate().isoformat(),
                "end_customer": {"gaid": company.gaid, "name": "Scale GmbH", "country": "DE"},
                "items": [{"product": "WE", "seats": SEATS_PER_ORDER, "term_months": 12}],
            },
        )
        accepted = _post_json(
            f"http://{SERVERS[(i + 1) % 2]}/api/v1/companies/{company.gaid}/orders/SO-{i:04d}/eula",
            setup_data["admin"],
            {},
        )
        return created[0], accepted[0], created[1]

    def licenses(job):
        # Each batch goes to both servers: the same devices asked twice, in parallel.
        batch, bind = job
        return _post_json(
            f"http://{bind}/api/v1/ums/licenses",
            credential,
            {"product": "WE", "unit_ids": [f"00E0C5{n:06d}" for n in batch]},
        )

    # The daily jobs run when the workers start; let them finish before the load comes.
    _wait_for(
        lambda: DailyRun.objects.filter(finished_at__isnull=False).count() == len(DAILY_JOBS),
        60,
        "the daily jobs",
    )
    jobs = [(range(n, n + 10), bind) for n in range(0, DEVICES, 10) for bind in SERVERS]
    with ThreadPoolExecutor(6) as pool:
        first = list(pool.map(order, range(ORDERS // 2)))
        # Half-way: one worker dies without a chance to clean up (it may hold tasks or a
        # mail's row lock; its transaction rolls back and the other worker takes over).
        cluster["workers"][0].send_signal(signal.SIGKILL)
        rest = pool.map(order, range(ORDERS // 2, ORDERS))
        issuance = list(pool.map(licenses, jobs))
        results = first + list(rest)
    assert {(made, accepted) for made, accepted, _ in results} == {(201, 200)}, results
    assert {status for status, _ in issuance} == {200}, issuance

    # Every seat once: the ledger equals the active licenses, pack by pack; no device twice.
    packs = ProductPack.objects.filter(company=company).annotate(
        active=Count("device_licenses", filter=Q(device_licenses__status="active"))
    )
    assert packs.count() == 2 + ORDERS
    for pack in packs:
        assert pack.seats_used == pack.active <= pack.seats, pack
    active = DeviceLicense.objects.filter(company=company, status="active")
    seats = sum(
        p.seats for p in packs if p.expires_on is None or p.expires_on > timezone.localdate()
    )
    assert active.count() == min(3 + DEVICES, seats)
    assert not active.values("unit_id").annotate(n=Count("pk")).filter(n__gt=1).exists()

    # The daily jobs ran once: the exchange moved the 3 expiring licenses, one reminder.
    runs = {r.job: r for r in DailyRun.objects.all()}
    assert set(runs) == {
        "exchange-licenses",
        "resign-licenses",
        "send-reminders",
        "snapshot-seats",
    }
    assert all(r.finished_at for r in runs.values()), runs
    assert runs["exchange-licenses"].result.startswith("exchanged 3 licenses")
    assert runs["send-reminders"].result.startswith("1 reminders, 1 mails queued")
    assert all(
        lic.pack_id == setup_data["later"].pk
        for lic in active.filter(unit_id__startswith="00E0C5F")
    )

    # Every mail once: the surviving worker delivers what the dead one left.
    _wait_for(
        lambda: (
            not OutboxMail.objects.exclude(status=OutboxMail.Status.SENT).exists()
            and len(sink.messages) >= OutboxMail.objects.count()
        ),
        40,
        "the outbox to drain",
    )
    time.sleep(1.5)  # a sweep round more: a double delivery would show up now
    expected = Counter(
        (m.to.lower(), " ".join(m.subject.split())) for m in OutboxMail.objects.all()
    )
    assert len(expected) == OutboxMail.objects.count() == ORDERS + 1  # one per order, 1 reminder
    delivered = Counter(sink.messages)
    assert set(delivered) == set(expected), "every mail reached the SMTP sink"
    # Mail is at least once (docs/decisions.md, "Mail and the outbox"): only a mail the killed
    # worker had handed to the SMTP server but not yet marked sent arrives a second time — at
    # most one per delivering thread of that worker (its task runner and its outbox sweeper).
    assert sum((delivered - expected).values()) <= 2, delivered - expected

    # The two servers' metrics add up to what was done (each server: two gunicorn processes).
    orders_counted = sum(
        _metric_sum(b, "ilp_http_requests_total", route="/api/v1/orders", status="201")
        for b in SERVERS
    )
    assert orders_counted == ORDERS
    issued_counted = sum(
        _metric_sum(b, "ilp_licenses_issued_total", kind="device") for b in SERVERS
    )
    assert issued_counted == active.count() - 3  # the first three were issued in the test
    assert _metric_sum(SERVERS[0], "ilp_outbox_backlog") == 0
    # The run itself (not the processes' start, which depends on the machine's load).
    assert time.monotonic() - started < 60
