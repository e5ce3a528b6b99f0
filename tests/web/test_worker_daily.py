"""The worker's daily jobs: each runs once per date across all workers (core/daily.py)."""

import datetime
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from ilp.core.daily import daily_claim, daily_done, daily_renew
from ilp.core.models import DailyRun
from ilp.web.management.commands.worker import DAILY_JOBS, Daily, DailyJob

LEASE = datetime.timedelta(seconds=60)


def _today():
    return timezone.localdate()


class Recorder:
    """Daily jobs that record who ran them (and can be slow, or fail)."""

    def __init__(self, *, delay: float = 0.0, fail: bool = False):
        self.calls: list[tuple[str, datetime.date]] = []
        self.delay = delay
        self.fail = fail
        self.lock = threading.Lock()

    def job(self, name):
        def run(day):
            with self.lock:
                self.calls.append((name, day))
            time.sleep(self.delay)
            if self.fail:
                raise RuntimeError("mail server on fire")
            return f"{name} ok"

        return DailyJob(name, run)

    def jobs(self):
        return (self.job("exchange-licenses"), self.job("send-reminders"))


def test_the_worker_runs_its_jobs_daily():
    assert [job.name for job in DAILY_JOBS] == [
        "exchange-licenses",
        "resign-licenses",
        "send-reminders",
        "snapshot-seats",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_job_runs_once_per_date_and_a_second_worker_skips_it():
    rec = Recorder()
    first, second = Daily(jobs=rec.jobs()), Daily(jobs=rec.jobs())
    assert first.run_if_due() == {"exchange-licenses": "exchange-licenses ok",
                                  "send-reminders": "send-reminders ok"}  # fmt: skip
    assert second.run_if_due() is None
    assert first.run_if_due() is None
    assert len(rec.calls) == 2
    runs = DailyRun.objects.order_by("job")
    assert [(r.job, r.day, r.attempts, r.result) for r in runs] == [
        ("exchange-licenses", _today(), 1, "exchange-licenses ok"),
        ("send-reminders", _today(), 1, "send-reminders ok"),
    ]
    assert all(r.finished_at and r.lease_until is None for r in runs)


@pytest.mark.django_db(transaction=True)
def test_a_run_of_a_dead_worker_is_taken_over_once_its_lease_lapses():
    day = _today()
    # Worker A claimed today's exchange and died (no renewal, no finish).
    assert daily_claim(job="exchange-licenses", day=day, worker_id="A", lease=LEASE)
    rec = Recorder()
    b = Daily(worker_id="B", jobs=rec.jobs())
    assert b.run_if_due() == {"send-reminders": "send-reminders ok"}  # A still holds the lease
    DailyRun.objects.filter(job="exchange-licenses").update(
        lease_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert b.run_if_due() == {"exchange-licenses": "exchange-licenses ok"}
    run = DailyRun.objects.get(job="exchange-licenses")
    assert run.claimed_by == "B" and run.attempts == 2 and run.finished_at is not None
    assert not daily_renew(job="exchange-licenses", day=day, worker_id="A", lease=LEASE)
    assert [name for name, _ in rec.calls] == ["send-reminders", "exchange-licenses"]


@pytest.mark.django_db(transaction=True)
def test_a_failing_job_gives_its_claim_up_for_a_while():
    rec = Recorder(fail=True)
    daily = Daily(jobs=rec.jobs())
    assert daily.run_if_due() is None
    run = DailyRun.objects.get(job="exchange-licenses")
    assert run.finished_at is None and "mail server on fire" in run.last_error
    assert run.lease_until > timezone.now() + datetime.timedelta(seconds=50)
    assert daily.run_if_due() is None and len(rec.calls) == 2  # not again at once
    DailyRun.objects.update(lease_until=timezone.now() - datetime.timedelta(seconds=1))
    rec.fail = False
    assert set(daily.run_if_due()) == {"exchange-licenses", "send-reminders"}
    assert daily_done(job="send-reminders", day=_today())


@pytest.mark.django_db(transaction=True)
def test_a_long_job_renews_its_lease(settings):
    settings.ILP_DAILY_LEASE_SECONDS = 1
    rec = Recorder(delay=1.6)
    daily = Daily(jobs=(rec.job("exchange-licenses"),))
    other = Daily(jobs=(rec.job("exchange-licenses"),))
    thread = threading.Thread(target=daily.run_if_due)
    thread.start()
    try:
        time.sleep(1.2)  # past the first lease: renewed at 1/3 and 2/3 of it
        assert other.run_if_due() is None
    finally:
        thread.join()
        connection.close()
    assert len(rec.calls) == 1


@pytest.mark.django_db(transaction=True)
def test_worker_once_runs_the_real_daily_jobs(capsys):
    call_command("worker", "--once")
    out = capsys.readouterr().out
    assert "exchange-licenses: exchanged 0 licenses" in out
    assert "resign-licenses: re-signed 0 licenses" in out
    assert "send-reminders: 0 reminders, 0 mails queued" in out
    assert "snapshot-seats: 0 seat snapshots" in out
    assert DailyRun.objects.filter(finished_at__isnull=False).count() == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_workers_run_each_job_once_per_date():
    """Six workers (threads, own connections) start at once, twice in a row: each job runs
    exactly once for the date."""
    rec = Recorder(delay=0.05)
    n = 6
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def worker(i):
        try:
            daily = Daily(worker_id=f"w{i}", jobs=rec.jobs())
            barrier.wait()
            results[i] = daily.run_if_due()
            daily.done.clear()  # forget the local memory: ask the database again
            assert daily.run_if_due() is None
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert sorted(rec.calls) == [("exchange-licenses", _today()), ("send-reminders", _today())]
    ran = [job for r in results if r for job in r]
    assert sorted(ran) == ["exchange-licenses", "send-reminders"]
    assert DailyRun.objects.filter(finished_at__isnull=False, attempts=1).count() == 2
