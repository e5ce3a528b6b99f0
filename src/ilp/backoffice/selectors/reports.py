"""The vendor's reports (API.md): seats per product in a month, and renewals coming due.

Seats of a month are counted at its end (today for the month under way): `seats_active` the
seats of packs running that day, `companies` how many companies held such seats,
`seats_used` the seats in use that day — for the month under way the seat ledger's figure
now, for a past month the daily seat snapshots' last day in that month (0 when no snapshot
was taken then). `seats_sold` is what the orders invoiced in that month sold.
"""

import calendar
import datetime

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from ilp.licensing.models import OrderItem, Product, ProductPack, SeatSnapshot


def month_bounds(month: str) -> tuple[datetime.date, datetime.date]:
    """The first and last day of `YYYY-MM`; ValueError if it is not one."""
    year, _, number = (month or "").partition("-")
    if len(year) != 4 or len(number) != 2:
        raise ValueError(month)
    first = datetime.date(int(year), int(number), 1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return first, last


def _running_on(day: datetime.date) -> Q:
    return (
        ~Q(state=ProductPack.State.MERGED)
        & Q(starts_on__lte=day)
        & (Q(expires_on__isnull=True) | Q(expires_on__gt=day))
    )


def seats_report(*, month: str, today: datetime.date | None = None) -> list[dict]:
    """One row per product of the catalogue (by SKU) for the month `YYYY-MM`."""
    first, last = month_bounds(month)
    today = today or timezone.localdate()
    day = min(last, today)
    sold = dict(
        OrderItem.objects.filter(order__invoice_date__range=(first, last))
        .values_list("product__sku")
        .annotate(n=Sum("seats"))
        .order_by()
    )
    running = {
        sku: (seats, used, companies)
        for sku, seats, used, companies in ProductPack.objects.filter(_running_on(day))
        .values_list("product__sku")
        .annotate(Sum("seats"), Sum("seats_used"), Count("company", distinct=True))
        .order_by()
    }
    if day < today:  # a past month: what was in use on its last snapshot day
        snapshots = SeatSnapshot.objects.filter(date__range=(first, day))
        last_day = snapshots.aggregate(d=Max("date"))["d"]
        used = (
            dict(
                snapshots.filter(date=last_day)
                .values_list("product__sku")
                .annotate(n=Sum("seats_used"))
                .order_by()
            )
            if last_day
            else {}
        )
    else:
        used = {sku: figures[1] for sku, figures in running.items()}
    if day < first:  # a month still to come
        running, used = {}, {}
    return [
        {
            "product": p.sku,
            "seats_sold": sold.get(p.sku) or 0,
            "seats_active": (running.get(p.sku) or (0, 0, 0))[0] or 0,
            "seats_used": used.get(p.sku) or 0,
            "companies": (running.get(p.sku) or (0, 0, 0))[2] or 0,
        }
        for p in Product.objects.order_by("sku")
    ]


def renewals_report(*, within_days: int, today: datetime.date | None = None) -> QuerySet:
    """Seats coming due within `within_days` days (from today, included): per company,
    subscription key, product and expiry, the seats of the running packs that end then;
    soonest first."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=within_days)
    return (
        ProductPack.objects.filter(
            ~Q(state=ProductPack.State.MERGED),
            starts_on__lte=horizon,
            expires_on__gt=today,
            expires_on__lte=horizon,
        )
        .values(
            "company__gaid",
            "company__name",
            "subscription_key__key",
            "product__sku",
            "expires_on",
        )
        .annotate(total=Sum("seats"))
        .order_by("expires_on", "company__name", "subscription_key__key", "product__sku")
    )


def renewal_row(row: dict) -> dict:
    """A row of `renewals_report` in the contract's shape."""
    return {
        "gaid": row["company__gaid"],
        "company": row["company__name"],
        "subscription_key": row["subscription_key__key"],
        "product": row["product__sku"],
        "seats": row["total"],
        "expires_on": row["expires_on"],
    }
