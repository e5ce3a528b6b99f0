"""Seat usage over time: one snapshot a day per company and product (`SeatSnapshot`).

`seat_snapshots_take(date=)` records, for every company and product with an active pack on
that day, the seats of its active packs and how many of them are used. Run it once a day
(`ilp snapshot-seats`, or the worker's daily jobs call this function). It is idempotent: a
second run on the same day replaces that day's figures (the latest run wins), never adds a row;
a (company, product) pair that no longer has an active pack loses its row for that day.

The seats in use are read from the seat ledger as it is now: a run with a past `--date`
(catching up a missed day) records today's figures under that date.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from ..models import ProductPack, SeatSnapshot


@dataclass
class SnapshotRun:
    date: datetime.date
    written: int  # rows created or replaced
    removed: int  # rows of that day whose product has no active pack any more


@transaction.atomic
def seat_snapshots_take(*, date: datetime.date | None = None) -> SnapshotRun:
    """Take (or retake) the seat snapshots of `date` (default: today), for every company."""
    date = date or timezone.localdate()
    figures = list(
        ProductPack.objects.with_status(date)
        .filter(current_status=ProductPack.Status.ACTIVE)
        .values("company_id", "product_id")
        .annotate(seats=Sum("seats"), used=Sum("seats_used"))
        .order_by("company_id", "product_id")
    )
    now = timezone.now()
    rows = [
        SeatSnapshot(
            company_id=f["company_id"],
            product_id=f["product_id"],
            date=date,
            seats=f["seats"] or 0,
            seats_used=f["used"] or 0,
            taken_at=now,
        )
        for f in figures
    ]
    if rows:
        SeatSnapshot.objects.bulk_create(
            rows,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["company", "product", "date"],
            update_fields=["seats", "seats_used", "taken_at"],
        )
    # A pair snapshotted earlier that day whose packs have all ended since: its row goes
    # (every row this run wrote or replaced carries this run's `taken_at`).
    stale = SeatSnapshot.objects.filter(date=date)
    if figures:
        stale = stale.exclude(taken_at=now)
    removed, _ = stale.delete()
    return SnapshotRun(date=date, written=len(rows), removed=removed)
