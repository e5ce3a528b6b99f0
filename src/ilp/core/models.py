from django.db import models
from django.utils import timezone


class IdempotencyRecord(models.Model):
    """The first response to a POST with an Idempotency-Key, kept 24 hours per caller."""

    caller = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["caller", "key"], name="idempotency_caller_key")
        ]

    def __str__(self):
        return f"{self.caller[:12]}… {self.key}"


class DailyRun(models.Model):
    """One daily job (`send-reminders`, `exchange-licenses`) for one date: the row the
    workers race for, so that the job runs to completion once per date (core/daily.py)."""

    job = models.CharField(max_length=60)
    day = models.DateField()
    claimed_by = models.CharField(max_length=64, blank=True)
    # The claim holds until then; the running worker renews it, a dead one lets it lapse.
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=255, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "day"], name="daily_run_job_day")]

    def __str__(self):
        return f"{self.job} {self.day}"


class CacheEntry(models.Model):
    """Django's database cache table (`CACHES` default, settings.py), made by a migration so
    that `ilp migrate` is all a new installation needs. Throttle counters live here; the
    columns are those `createcachetable` would make, which `core.cache.DatabaseCache` uses."""

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "ilp_cache"

    def __str__(self):
        return self.cache_key
