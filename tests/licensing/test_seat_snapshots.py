"""Seat usage over time: the daily snapshot (idempotent), `ilp snapshot-seats`, the dashboard's
SVG chart with its table, and its constant query count."""

import datetime
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from ilp.licensing.models import ProductPack, SeatSnapshot
from ilp.licensing.selectors import seat_history
from ilp.licensing.services.snapshots import seat_snapshots_take
from tests.accounts.factories import make_company
from tests.licensing.factories import make_key

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _rows(company):
    return {
        (s.product.sku, s.date): (s.seats, s.seats_used)
        for s in SeatSnapshot.objects.filter(company=company).select_related("product")
    }


def test_snapshot_counts_active_packs_per_product(company):
    today = timezone.localdate()
    make_key(company, packs=[("WE", 10, 3), ("WE", 20, 5), ("EMP", 10, 1)])
    make_key(company, packs=[("WE", 50, 0)], expires_on=today - DAY)  # expired
    make_key(company, packs=[("EMP", 40, 0)], starts_on=today + DAY)  # not yet active
    other = make_company(name="Other Ltd")
    make_key(other, packs=[("WE", 7, 7)])
    run = seat_snapshots_take(date=today)
    assert run.written == 3
    assert _rows(company) == {("WE", today): (30, 8), ("EMP", today): (10, 1)}
    assert _rows(other) == {("WE", today): (7, 7)}


def test_snapshot_is_idempotent_and_the_latest_run_wins(company):
    today = timezone.localdate()
    key = make_key(company, packs=[("WE", 10, 3), ("EMP", 10, 1)])
    seat_snapshots_take(date=today)
    seat_snapshots_take(date=today)
    assert SeatSnapshot.objects.count() == 2
    ProductPack.objects.filter(subscription_key=key, product__sku="WE").update(seats_used=9)
    ProductPack.objects.filter(subscription_key=key, product__sku="EMP").update(
        state=ProductPack.State.ARCHIVED
    )
    run = seat_snapshots_take(date=today)
    assert (run.written, run.removed) == (1, 1)
    assert _rows(company) == {("WE", today): (10, 9)}
    # Another day is another row; the first day's stays.
    seat_snapshots_take(date=today + DAY)
    assert SeatSnapshot.objects.filter(company=company).count() == 2


def test_command_takes_the_snapshots_of_a_day(company):
    make_key(company, packs=[("WE", 10, 2)])
    out = io.StringIO()
    call_command("snapshot_seats", "--date", timezone.localdate().isoformat(), stdout=out)
    assert "1 written" in out.getvalue()
    call_command("snapshot_seats", stdout=io.StringIO())
    assert SeatSnapshot.objects.count() == 1
    with pytest.raises(CommandError):
        call_command("snapshot_seats", "--date", "yesterday")


def _history(company, admin_user):
    from ilp.accounts.models import Membership

    membership = Membership.objects.get(user=admin_user, company=company)
    return seat_history(membership=membership)


def test_history_takes_the_last_snapshot_of_each_month(company, admin_user):
    today = timezone.localdate()
    first = today.replace(day=1)
    make_key(company, packs=[("WE", 10, 2)])
    seat_snapshots_take(date=today)
    last_month_end = first - DAY
    # Two days in the previous month: the later one stands for the month.
    for day, used in ((last_month_end - 5 * DAY, 1), (last_month_end, 4)):
        SeatSnapshot.objects.create(
            company=company,
            product_id=ProductPack.objects.first().product_id,
            date=day,
            seats=10,
            seats_used=used,
        )
    history = _history(company, admin_user)
    (series,) = history["series"]
    assert series.sku == "WE" and len(series.points) == 12
    assert (series.points[-1].seats, series.points[-1].used) == (10, 2)
    assert (series.points[-2].seats, series.points[-2].used) == (10, 4)
    assert series.points[0].seats is None  # no snapshot that month: a gap, not a zero
    assert series.seats_path.startswith("M") and series.used_area.endswith("Z")


def test_dashboard_draws_the_chart_with_a_table(company, admin_user):
    make_key(company, packs=[("WE", 10, 2), ("EMP", 5, 5)])
    seat_snapshots_take(date=timezone.localdate())
    client = Client()
    client.force_login(admin_user)
    html = client.get(f"/companies/{company.gaid}/").content.decode()
    assert "Seats over the last 12 months" in html
    assert html.count('<svg viewBox="0 0 360 180" role="img"') == 2
    assert 'class="used-area"' in html and 'class="seats-line"' in html
    assert 'aria-describedby="chart-table-WE"' in html and 'id="chart-table-WE"' in html
    month = timezone.localdate().strftime("%B %Y")
    assert f'<th scope="row">{month}</th><td class="num">10</td><td class="num">2</td>' in html
    chart = html[html.index('class="seat-history"') : html.index('aria-labelledby="packs-heading"')]
    assert (
        "style=" not in chart and "<script" not in chart and " on" not in chart.replace(" one", "")
    )


def test_dashboard_without_snapshots_says_so(company, admin_user):
    client = Client()
    client.force_login(admin_user)
    html = client.get(f"/companies/{company.gaid}/").content.decode()
    assert "the chart fills in as the daily seat snapshots are taken" in html


def test_chart_in_german(company, admin_user):
    make_key(company, packs=[("WE", 10, 2)])
    seat_snapshots_take(date=timezone.localdate())
    client = Client()
    client.force_login(admin_user)
    client.cookies["django_language"] = "de"
    html = client.get(
        f"/companies/{company.gaid}/", headers={"accept-language": "de"}
    ).content.decode()
    assert '<html lang="de"' in html
    # The twelve months are named in German (the table lists each one)...
    assert "Oktober" in html and "Dezember" in html
    # ...while the coordinates stay in SVG syntax: a decimal point, never a German comma.
    chart = html[html.index('class="seat-history"') : html.index("</svg>")]
    for attribute in ("cx", "cy", "x1", "y1", "d"):
        for value in re.findall(rf' {attribute}="([^"]*)"', chart):
            assert not re.search(r"\d,\d", value), (attribute, value)


def test_dashboard_queries_do_not_grow_with_history(
    company, admin_user, django_assert_max_num_queries
):
    client = Client()
    client.force_login(admin_user)
    make_key(company, packs=[("WE", 10, 2)])
    seat_snapshots_take(date=timezone.localdate())
    url = f"/companies/{company.gaid}/"
    client.get(url)
    with django_assert_max_num_queries(50) as few:
        client.get(url)
    make_key(company, packs=[("EMP", 10, 2), ("ICG", 10, 1), ("WE-P", 10, 0)])
    start = timezone.localdate() - datetime.timedelta(days=360)
    for i in range(0, 360, 3):
        seat_snapshots_take(date=start + datetime.timedelta(days=i))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_demo_backfills_a_year_of_history():
    from ilp.web import demo

    ctx = demo.load()
    acme = ctx.companies["acme"]
    days = set(SeatSnapshot.objects.filter(company=acme).values_list("date", flat=True))
    assert len(days) == 12 and timezone.localdate() in days
    assert min(days) < timezone.localdate() - datetime.timedelta(days=300)
