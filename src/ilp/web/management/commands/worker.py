"""`ilp worker`: runs background tasks (Django tasks, database backend) and the outbox sweeper.

Several workers may run at once: tasks are claimed with row locks and each mail is sent by
the worker that locked it. The sweeper re-delivers mails whose earlier attempt failed (mail
server down) once their back-off has passed, so a lost enqueue or an outage loses no mail.
"""

import logging
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from ilp.core.idempotency import idempotency_purge
from ilp.notifications.services import outbox_deliver_due

logger = logging.getLogger("ilp.worker")


def sweep_once() -> int:
    close_old_connections()
    try:
        sent = outbox_deliver_due()
        idempotency_purge()
        return sent
    finally:
        close_old_connections()


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
        if once:
            worker.run()
            sent = sweep_once()
            self.stdout.write(f"worker: done, {sent} mail(s) sent by the sweeper")
            return

        stop = threading.Event()

        def sweeper():
            while not stop.wait(sweep):
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
