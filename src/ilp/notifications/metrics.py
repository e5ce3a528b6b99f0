"""The outbox's gauges for GET /metrics, read from the database at each scrape."""

from django.db.models import Count, Min, Q

from ilp.core.metrics import ScrapeGauge, age_seconds, scrape_gauges_register

from .models import OutboxMail


def _outbox() -> dict:
    """All three outbox gauges from one aggregate query."""
    row = OutboxMail.objects.filter(
        status__in=[OutboxMail.Status.PENDING, OutboxMail.Status.FAILED]
    ).aggregate(
        pending=Count("pk", filter=Q(status=OutboxMail.Status.PENDING)),
        failed=Count("pk", filter=Q(status=OutboxMail.Status.FAILED)),
        oldest=Min("created_at", filter=Q(status=OutboxMail.Status.PENDING)),
    )
    return {
        "ilp_outbox_backlog": row["pending"],
        "ilp_outbox_oldest_age_seconds": age_seconds(row["oldest"]),
        "ilp_outbox_failed": row["failed"],
    }


def register() -> None:
    scrape_gauges_register(
        gauges=[
            ScrapeGauge(
                "ilp_outbox_backlog",
                "Mails waiting in the outbox (pending, including those backing off).",
            ),
            ScrapeGauge(
                "ilp_outbox_oldest_age_seconds",
                "Age of the oldest mail not yet sent (0 when none waits).",
            ),
            ScrapeGauge(
                "ilp_outbox_failed",
                "Mails the worker gave up on after its retries (kept for support).",
            ),
        ],
        read=_outbox,
    )
