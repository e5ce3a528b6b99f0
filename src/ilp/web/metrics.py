"""Gauges of the background work for GET /metrics: tasks waiting for `ilp worker` (the
django_tasks_db queue) and when each daily job last finished. Read at each scrape."""

from django.db.models import Count, Min
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ilp.core.daily import daily_last_finished
from ilp.core.metrics import scrape_gauge_register


def _tasks_waiting() -> dict:
    return DBTaskResult.objects.ready().aggregate(n=Count("pk"), oldest=Min("enqueued_at"))


def _oldest_task_age() -> float:
    oldest = _tasks_waiting()["oldest"]
    return max((timezone.now() - oldest).total_seconds(), 0.0) if oldest else 0.0


def register() -> None:
    scrape_gauge_register(
        name="ilp_tasks_waiting",
        documentation="Background tasks ready to run and not yet taken by a worker.",
        read=lambda: _tasks_waiting()["n"],
    )
    scrape_gauge_register(
        name="ilp_tasks_oldest_waiting_age_seconds",
        documentation="How long the oldest waiting task has waited (0 when none waits).",
        read=_oldest_task_age,
    )
    scrape_gauge_register(
        name="ilp_daily_job_last_finished_timestamp_seconds",
        documentation="When each daily job (exchange-licenses, send-reminders) last finished.",
        labelnames=("job",),
        read=lambda: [((job,), at.timestamp()) for job, at in daily_last_finished().items()],
    )
