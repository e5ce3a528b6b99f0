"""The outbox's gauges for GET /metrics, read from the database at each scrape."""

from django.db.models import Count, Min, Q
from django.utils import timezone

from ilp.core.metrics import scrape_gauge_register

from .models import OutboxMail


def _outbox() -> dict:
    return OutboxMail.objects.filter(
        status__in=[OutboxMail.Status.PENDING, OutboxMail.Status.FAILED]
    ).aggregate(
        pending=Count("pk", filter=Q(status=OutboxMail.Status.PENDING)),
        failed=Count("pk", filter=Q(status=OutboxMail.Status.FAILED)),
        oldest=Min("created_at", filter=Q(status=OutboxMail.Status.PENDING)),
    )


def _oldest_age() -> float:
    oldest = _outbox()["oldest"]
    return max((timezone.now() - oldest).total_seconds(), 0.0) if oldest else 0.0


def register() -> None:
    scrape_gauge_register(
        name="ilp_outbox_backlog",
        documentation="Mails waiting in the outbox (pending, including those backing off).",
        read=lambda: _outbox()["pending"],
    )
    scrape_gauge_register(
        name="ilp_outbox_oldest_age_seconds",
        documentation="Age of the oldest mail not yet sent (0 when none waits).",
        read=_oldest_age,
    )
    scrape_gauge_register(
        name="ilp_outbox_failed",
        documentation="Mails the worker gave up on after its retries (kept for support).",
        read=lambda: _outbox()["failed"],
    )
