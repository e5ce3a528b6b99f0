"""Daily jobs that run once per date across every worker process.

Each (job, date) has one `DailyRun` row (unique). A worker *claims* it with one conditional
UPDATE that succeeds only when the run is unfinished and nobody holds a live lease; on
PostgreSQL a second, concurrent UPDATE waits for the first and then no longer matches, so
exactly one worker wins. The winner renews its lease while the job runs (`daily_renew`) and
marks the row finished at the end (`daily_finish`).

A worker that dies mid-run (SIGKILL, power loss) stops renewing: once its lease lapses,
another worker claims the same date and runs the job again from the start. That is safe
because every daily job is idempotent and commits in small steps (the exchange per pack,
the reminders per company with a unique row per reminder): the second run finishes what
the first left and repeats nothing. A job that raises gives the claim up for
`retry_after` so that a broken job does not spin.
"""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.db.models.functions import Now
from django.utils import timezone

from .models import DailyRun


def daily_claim(*, job: str, day: datetime.date, worker_id: str, lease: datetime.timedelta) -> bool:
    """Claim today's run of `job` for `worker_id`; False when it is finished or another
    worker holds it."""
    if not DailyRun.objects.filter(job=job, day=day).exists():
        try:
            with transaction.atomic():
                DailyRun.objects.create(job=job, day=day)
        except IntegrityError:  # another worker created it first: fine, race for the claim
            pass
    # Leases are compared with the database's clock, the one clock every worker shares.
    claimed = (
        DailyRun.objects.filter(job=job, day=day, finished_at__isnull=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=Now()))
        .update(
            claimed_by=worker_id,
            lease_until=Now() + lease,
            attempts=F("attempts") + 1,
            started_at=timezone.now(),
        )
    )
    return claimed == 1


def daily_done(*, job: str, day: datetime.date) -> bool:
    return DailyRun.objects.filter(job=job, day=day, finished_at__isnull=False).exists()


def daily_renew(*, job: str, day: datetime.date, worker_id: str, lease: datetime.timedelta) -> bool:
    """Extend the lease of a run this worker holds; False if it is no longer this worker's."""
    return (
        DailyRun.objects.filter(
            job=job, day=day, claimed_by=worker_id, finished_at__isnull=True
        ).update(lease_until=Now() + lease)
        == 1
    )


def daily_finish(*, job: str, day: datetime.date, worker_id: str, result: str = "") -> None:
    DailyRun.objects.filter(job=job, day=day, claimed_by=worker_id).update(
        finished_at=timezone.now(), lease_until=None, result=result[:255], last_error=""
    )


def daily_fail(
    *,
    job: str,
    day: datetime.date,
    worker_id: str,
    error: str,
    retry_after: datetime.timedelta,
) -> None:
    """Give the claim up after an error; any worker may try again after `retry_after`."""
    DailyRun.objects.filter(
        job=job, day=day, claimed_by=worker_id, finished_at__isnull=True
    ).update(lease_until=Now() + retry_after, last_error=error[:4000])


def daily_last_finished() -> dict[str, datetime.datetime]:
    """When each job last finished (for the metrics)."""
    rows = (
        DailyRun.objects.filter(finished_at__isnull=False)
        .values("job")
        .annotate(last=Max("finished_at"))
    )
    return {row["job"]: row["last"] for row in rows}
