"""`ilp worker`: runs background tasks (Django tasks, database backend), the outbox sweeper and
the daily jobs.

Several workers may run at once: tasks are claimed with row locks and each mail is sent by
the worker that locked it. The sweeper polls the outbox every second (`--sweep`): it sends new
mails and re-delivers those whose earlier attempt failed (mail server down) once their
back-off has passed, so an outage loses no mail.

Webhook deliveries (docs/webhooks.md): a thread sends due deliveries every
`--webhook-interval` seconds. Each worker claims deliveries for ILP_WEBHOOK_LEASE_SECONDS
(row locks, SKIP LOCKED on PostgreSQL), so several workers never send the same attempt, and
the deliveries of a worker killed mid-send are sent by another once the lease has passed.

Daily jobs (`exchange-licenses`, `resign-licenses`, `send-reminders`, then
`snapshot-seats`): at start and whenever the local date changes, each worker tries to claim
each job's run for today (core/daily.py); exactly one worker wins and runs it, the others
skip it. If the winner dies mid-run its lease lapses (ILP_DAILY_LEASE_SECONDS) and another
worker runs the job again; the jobs are idempotent, so the second run only finishes what the
first left (the snapshot is retaken whole).
"""

import datetime
import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from ilp.core.actors import Actor
from ilp.core.daily import daily_claim, daily_done, daily_fail, daily_finish, daily_renew
from ilp.core.idempotency import idempotency_purge
from ilp.core.logs import log_context
from ilp.licensing.services.reminders import reminders_queue
from ilp.licensing.services.snapshots import seat_snapshots_take
from ilp.notifications.services import outbox_deliver_due
from ilp.rollout.services import licenses_exchange, licenses_resign
from ilp.webhooks.services import deliveries_send_due

logger = logging.getLogger("ilp.worker")

# A failed job (a deadlock, the database away) is tried again after this, by any worker.
RETRY_AFTER_ERROR = datetime.timedelta(minutes=1)


def sweep_once(*, purge: bool = True) -> int:
    close_old_connections()
    try:
        sent = outbox_deliver_due()
        if purge:
            idempotency_purge()
        return sent
    finally:
        close_old_connections()


PURGE_EVERY = 60  # outbox rounds between purges of expired Idempotency-Key records


def webhooks_once(worker_id: str) -> int:
    """Send every due webhook delivery; how many succeeded."""
    close_old_connections()
    try:
        return deliveries_send_due(worker_id=worker_id)
    finally:
        close_old_connections()


def _exchange(day: datetime.date) -> str:
    result = licenses_exchange(actor=Actor.system(), today=day)
    left = f", {result.left} found no free seat" if result.left else ""
    return f"exchanged {result.moved} licenses{left}"


def _resign(day: datetime.date) -> str:
    return f"re-signed {licenses_resign(actor=Actor.system())} licenses"


def _reminders(day: datetime.date) -> str:
    run = reminders_queue(today=day)
    return f"{run.reminders} reminders, {run.mails} mails queued"


@dataclass(frozen=True)
class DailyJob:
    name: str
    run: Callable[[datetime.date], str]  # returns a one-line summary


def _snapshots(day: datetime.date) -> str:
    run = seat_snapshots_take(date=day)
    return f"{run.written} seat snapshots"


# The exchange first: licenses moved off an expiring pack are not its reminders' business.
# The re-sign sweep catches licenses of renewed packs a lost task left naming the old expiry.
# The seat snapshot last, so the day's figures include the exchange.
DAILY_JOBS = (
    DailyJob("exchange-licenses", _exchange),
    DailyJob("resign-licenses", _resign),
    DailyJob("send-reminders", _reminders),
    DailyJob("snapshot-seats", _snapshots),
)


class _LeaseRenewer:
    """Renews a claimed run's lease every third of its length while the job runs (in its
    own thread and database connection)."""

    def __init__(self, *, job: str, day: datetime.date, worker_id: str, lease: datetime.timedelta):
        self.args = {"job": job, "day": day, "worker_id": worker_id, "lease": lease}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"lease-{job}", daemon=True)

    def _run(self) -> None:
        try:
            while not self.stop.wait(self.args["lease"].total_seconds() / 3):
                if not daily_renew(**self.args):
                    logger.warning("daily %s: the claim was lost to another worker", self.args)
        except Exception:
            logger.exception("daily job: renewing the lease failed")
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


class Daily:
    """Runs each daily job once per local date across all workers (see the module docstring).

    `run_if_due()` returns {job: summary} of the jobs this worker ran now, or None."""

    def __init__(self, *, worker_id: str | None = None, jobs=DAILY_JOBS) -> None:
        self.worker_id = worker_id or get_random_string(32)
        self.jobs = jobs
        self.done: dict[str, datetime.date] = {}  # job → the last date seen finished

    @property
    def lease(self) -> datetime.timedelta:
        return datetime.timedelta(seconds=settings.ILP_DAILY_LEASE_SECONDS)

    def run_if_due(self) -> dict[str, str] | None:
        today = timezone.localdate()
        ran: dict[str, str] = {}
        for job in self.jobs:
            if self.done.get(job.name) == today:
                continue
            close_old_connections()
            try:
                summary = self._run_one(job, today)
            finally:
                close_old_connections()
            if summary is not None:
                ran[job.name] = summary
        return ran or None

    def _run_one(self, job: DailyJob, today: datetime.date) -> str | None:
        ids = {"job": job.name, "day": today, "worker_id": self.worker_id}
        if daily_done(job=job.name, day=today):
            self.done[job.name] = today
            return None
        if not daily_claim(**ids, lease=self.lease):
            return None  # another worker runs it now (or it failed a moment ago)
        with log_context(f"daily:{job.name}:{today.isoformat()}"):
            try:
                with _LeaseRenewer(**ids, lease=self.lease):
                    summary = job.run(today)
            except Exception as exc:
                logger.exception("daily job %s failed; it is tried again later", job.name)
                daily_fail(
                    **ids, error=f"{type(exc).__name__}: {exc}", retry_after=RETRY_AFTER_ERROR
                )
                return None
            daily_finish(**ids, result=summary)
            self.done[job.name] = today
            logger.info("daily job %s for %s: %s", job.name, today, summary)
        return summary


class Command(BaseCommand):
    help = "Deliver outbox mail, run background tasks and the daily jobs until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="task poll interval (s)")
        parser.add_argument(
            "--sweep", type=float, default=1.0, help="outbox poll interval (s): mail latency"
        )
        parser.add_argument(
            "--webhook-interval", type=float, default=1.0, help="webhook poll interval (s)"
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="run every due task, mail and daily job once, then exit",
        )

    def handle(
        self, *args, interval: float, sweep: float, webhook_interval: float, once: bool, **options
    ):
        worker_id = get_random_string(32)
        worker = Worker(
            queue_names=["*"],
            interval=interval,
            batch=once,
            backend_name="default",
            startup_delay=not once,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        daily = Daily(worker_id=worker_id)
        if once:
            worker.run()
            ran = daily.run_if_due()
            sent = sweep_once()
            hooks = webhooks_once(worker_id)
            jobs = "; ".join(f"{name}: {summary}" for name, summary in (ran or {}).items())
            self.stdout.write(
                f"worker: done, {sent} mail(s) sent by the sweeper, {hooks} webhook(s) delivered, "
                f"daily jobs: {jobs or 'none due (already run today)'}"
            )
            return

        stop = threading.Event()

        def sweeper():
            for round_ in itertools.count():
                try:
                    daily.run_if_due()
                except Exception:  # the next round tries again
                    logger.exception("daily jobs failed")
                if stop.wait(sweep):
                    return
                try:
                    sweep_once(purge=round_ % PURGE_EVERY == 0)
                except Exception:  # keep sweeping; the next round retries
                    logger.exception("outbox sweep failed")

        def webhooks():
            while not stop.wait(webhook_interval):
                try:
                    webhooks_once(worker_id)
                except Exception:  # the next round tries again
                    logger.exception("webhook delivery failed")

        threading.Thread(target=sweeper, name="outbox-sweeper", daemon=True).start()
        threading.Thread(target=webhooks, name="webhooks", daemon=True).start()
        self.stdout.write("ilp worker: running background tasks and the outbox (Ctrl+C stops)")
        worker.configure_signals()
        try:
            worker.run()
        finally:
            stop.set()
