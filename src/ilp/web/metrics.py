"""Gauges of the background work for GET /metrics: tasks waiting for `ilp worker` (the
django_tasks_db queue) and when each daily job last finished. Read at each scrape."""

from django.db.models import Count, Min
from django_tasks_db.models import DBTaskResult

from ilp.core.daily import daily_last_finished
from ilp.core.metrics import ScrapeGauge, age_seconds, scrape_gauge_register, scrape_gauges_register


def _tasks_waiting() -> dict:
    """Both task gauges from one aggregate query."""
    row = DBTaskResult.objects.ready().aggregate(n=Count("pk"), oldest=Min("enqueued_at"))
    return {
        "ilp_tasks_waiting": row["n"],
        "ilp_tasks_oldest_waiting_age_seconds": age_seconds(row["oldest"]),
    }


def register() -> None:
    scrape_gauges_register(
        gauges=[
            ScrapeGauge(
                "ilp_tasks_waiting",
                "Background tasks ready to run and not yet taken by a worker.",
            ),
            ScrapeGauge(
                "ilp_tasks_oldest_waiting_age_seconds",
                "How long the oldest waiting task has waited (0 when none waits).",
            ),
        ],
        read=_tasks_waiting,
    )
    scrape_gauge_register(
        name="ilp_daily_job_last_finished_timestamp_seconds",
        documentation="When each daily job (exchange-licenses, send-reminders) last finished.",
        labelnames=("job",),
        read=lambda: [((job,), at.timestamp()) for job, at in daily_last_finished().items()],
    )
