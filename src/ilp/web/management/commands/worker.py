"""`ilp worker`: runs background tasks (Django tasks, database backend) and the outbox sweeper.

Several workers may run at once: tasks are claimed with row locks and each mail is sent by
the worker that locked it. The sweeper re-delivers mails whose earlier attempt failed (mail
server down) once their back-off has passed, so a lost enqueue or an outage loses no mail.
Once a day (at start and whenever the date changes) the sweeper also runs the automatic
license exchange (`ilp exchange-licenses`), which is idempotent and safe in several workers.
"""

import logging
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from ilp.core.actors import Actor
from ilp.core.idempotency import idempotency_purge
from ilp.notifications.services import outbox_deliver_due
from ilp.rollout.services import licenses_exchange

logger = logging.getLogger("ilp.worker")


def sweep_once() -> int:
    close_old_connections()
    try:
        sent = outbox_deliver_due()
        idempotency_purge()
        return sent
    finally:
        close_old_connections()


class Daily:
    """Runs the daily jobs once per local date in this process (the jobs are idempotent, so
    several workers each running them is harmless)."""

    def __init__(self) -> None:
        self.last_day = None

    def run_if_due(self) -> int | None:
        today = timezone.localdate()
        if self.last_day == today:
            return None
        close_old_connections()
        try:
            result = licenses_exchange(actor=Actor.system(), today=today)
        finally:
            close_old_connections()
        self.last_day = today
        logger.info("exchanged %s licenses", result.moved)
        return result.moved


class Command(BaseCommand):
    help = "Deliver outbox mail and run background tasks until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="task poll interval (s)")
        parser.add_argument("--sweep", type=float, default=15.0, help="outbox sweep interval (s)")
        parser.add_argument(
            "--once", action="store_true", help="run every due task and mail once, then exit"
        )

    def handle(self, *args, interval: float, sweep: float, once: bool, **options):
        worker = Worker(
            queue_names=["*"],
            interval=interval,
            batch=once,
            backend_name="default",
            startup_delay=not once,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        daily = Daily()
        if once:
            worker.run()
            sent = sweep_once()
            exchanged = daily.run_if_due()
            self.stdout.write(
                f"worker: done, {sent} mail(s) sent by the sweeper, exchanged {exchanged} licenses"
            )
            return

        stop = threading.Event()

        def sweeper():
            while True:
                try:
                    daily.run_if_due()
                except Exception:  # the next round tries again
                    logger.exception("daily license exchange failed")
                if stop.wait(sweep):
                    return
                try:
                    sweep_once()
                except Exception:  # keep sweeping; the next round retries
                    logger.exception("outbox sweep failed")

        threading.Thread(target=sweeper, name="outbox-sweeper", daemon=True).start()
        self.stdout.write("ilp worker: running background tasks and the outbox (Ctrl+C stops)")
        worker.configure_signals()
        try:
            worker.run()
        finally:
            stop.set()
