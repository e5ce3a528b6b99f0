"""Seat usage over time for the dashboard's chart: the last 12 months of `SeatSnapshot`s."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from ..models import SeatSnapshot

CHART_MONTHS = 12
# The drawing (SVG user units; the SVG scales to its box, its text with it).
_W, _H = 360, 180
_LEFT, _RIGHT, _TOP, _BOTTOM = 40, 12, 10, 26


@dataclass
class MonthPoint:
    month: datetime.date  # the first of the month
    day: datetime.date | None  # the snapshot day that stands for the month (its last one)
    seats: int | None
    used: int | None
    x: float = 0.0
    y_seats: float = 0.0
    y_used: float = 0.0


@dataclass
class ProductSeries:
    sku: str
    name: str
    points: list[MonthPoint]
    top: int = 0
    gridlines: list[dict] = field(default_factory=list)
    seats_path: str = ""
    used_area: str = ""
    used_path: str = ""
    dots: list[MonthPoint] = field(default_factory=list)


def _month_starts(today: datetime.date, months: int) -> list[datetime.date]:
    index = today.year * 12 + today.month - 1
    return [datetime.date((i) // 12, (i) % 12 + 1, 1) for i in range(index - months + 1, index + 1)]


def _nice_top(value: int) -> int:
    """A round upper bound for the axis: 1, 2, 5 × a power of ten, at least `value`."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def _segments(points: list[MonthPoint], attr: str) -> list[list[MonthPoint]]:
    runs, run = [], []
    for p in points:
        if getattr(p, attr) is None:
            if run:
                runs.append(run)
            run = []
        else:
            run.append(p)
    if run:
        runs.append(run)
    return runs


def _draw(series: ProductSeries) -> None:
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    n = len(series.points)
    series.top = _nice_top(max((p.seats or 0 for p in series.points), default=0))
    base = _TOP + plot_h

    def y(value: int) -> float:
        return round(_TOP + plot_h * (1 - value / series.top), 1)

    for i, p in enumerate(series.points):
        p.x = round(_LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2), 1)
        if p.seats is not None:
            p.y_seats, p.y_used = y(p.seats), y(p.used)
    series.gridlines = [
        {"value": v, "y": y(v)} for v in sorted({0, series.top // 2, series.top}) if v >= 0
    ]
    seats, area, used = [], [], []
    for run in _segments(series.points, "seats"):
        seats.append("M" + " L".join(f"{p.x} {p.y_seats}" for p in run))
        used.append("M" + " L".join(f"{p.x} {p.y_used}" for p in run))
        area.append(
            f"M{run[0].x} {base} L"
            + " L".join(f"{p.x} {p.y_used}" for p in run)
            + f" L{run[-1].x} {base} Z"
        )
    series.seats_path, series.used_path, series.used_area = (
        " ".join(seats),
        " ".join(used),
        " ".join(area),
    )
    series.dots = [p for p in series.points if p.seats is not None]


def seat_history(*, membership, today: datetime.date | None = None) -> dict:
    """Seats and seats used per product, month by month over the last 12 months (this one
    included), from the company's daily snapshots; ready to draw. One query.

    A month stands for its last snapshot day (for this month: the latest so far); a product
    without a row on that day had no active pack then (0 seats). A month with no snapshot at
    all is a gap (None)."""
    today = today or timezone.localdate()
    months = _month_starts(today, CHART_MONTHS)
    rows = list(
        SeatSnapshot.objects.filter(
            company_id=membership.company_id, date__gte=months[0], date__lte=today
        )
        .order_by("date")
        .values_list("date", "product__sku", "product__name", "seats", "seats_used")
    )
    last_day: dict[datetime.date, datetime.date] = {}
    names: dict[str, str] = {}
    for day, sku, name, _seats, _used in rows:
        last_day[day.replace(day=1)] = day
        names[sku] = name
    figures = {(day, sku): (seats, used) for day, sku, _name, seats, used in rows}
    series = []
    for sku in sorted(names):
        points = []
        for month in months:
            day = last_day.get(month)
            if day is None:
                points.append(MonthPoint(month=month, day=None, seats=None, used=None))
            else:
                seats, used = figures.get((day, sku), (0, 0))
                points.append(MonthPoint(month=month, day=day, seats=seats, used=used))
        s = ProductSeries(sku=sku, name=names[sku], points=points)
        _draw(s)
        series.append(s)
    return {
        "series": series,
        "months": months,
        "width": _W,
        "height": _H,
        "left": _LEFT,
        "right": _W - _RIGHT,
        "label_y": _H - 8,
    }
