"""Reports for people: seats per product in a month, renewals coming due; CSV downloads."""

from django.urls import path
from django.utils import timezone

from ilp.core.csv_export import csv_response
from ilp.core.portal import staff_page

from ..schemas import StaffRenewalRow, StaffSeatsRow
from ..selectors.reports import month_bounds, renewal_row, renewals_report, seats_report
from .common import render

WITHIN_CHOICES = (30, 60, 90, 180, 365)


def _month(value: str | None) -> str:
    try:
        month_bounds(value or "")
    except ValueError:
        return timezone.localdate().strftime("%Y-%m")
    return value


def _within(value) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        return 90
    return days if 1 <= days <= 3650 else 90


def _csv(filename: str, schema, rows):
    header = list(schema.model_fields)
    return csv_response(filename, header, ([row[h] for h in header] for row in rows))


@staff_page()
def reports(request):
    """Both reports on one page, each with its CSV download."""
    month = _month(request.GET.get("month"))
    within = _within(request.GET.get("within_days"))
    what = request.GET.get("download")
    if what == "seats":
        return _csv(f"seats-{month}.csv", StaffSeatsRow, seats_report(month=month))
    renewals = [renewal_row(r) for r in renewals_report(within_days=within)]
    if what == "renewals":
        today = timezone.localdate().isoformat()
        return _csv(f"renewals-{within}d-{today}.csv", StaffRenewalRow, renewals)
    return render(
        request,
        "backoffice/reports.html",
        {
            "month": month,
            "within": within,
            "within_choices": WITHIN_CHOICES,
            "seats": seats_report(month=month),
            "renewals": renewals,
        },
    )


urlpatterns = [
    path("reports/", reports, name="reports"),
]
