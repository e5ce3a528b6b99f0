"""Reports: seats per product in a month, renewals coming due; JSON or `?format=csv`."""

from typing import Literal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from ilp.core.auth import StaffAuth
from ilp.core.bounds import MAX_DAYS
from ilp.core.csv_export import csv_response
from ilp.core.errors import Invalid
from ilp.core.problems import problems

from ..schemas import StaffRenewalRow, StaffSeatsRow
from ..selectors.reports import month_bounds, renewal_row, renewals_report, seats_report

router = Router(tags=["back office"])


class SeatsQuery(Schema):
    month: str | None = Field(
        None,
        pattern=r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$",
        description="YYYY-MM; default the month under way",
    )
    format: Literal["json", "csv"] = "json"


class RenewalsQuery(Schema):
    within_days: int = Field(90, ge=1, le=MAX_DAYS)
    format: Literal["json", "csv"] = "json"


class StaffSeatsReportOut(Schema):
    month: str
    items: list[StaffSeatsRow]
    count: int


class StaffRenewalsReportOut(Schema):
    within_days: int
    items: list[StaffRenewalRow]
    count: int


def _month(value: str | None) -> str:
    month = value or timezone.localdate().strftime("%Y-%m")
    try:
        month_bounds(month)
    except ValueError:
        message = _("Give the month as YYYY-MM, like 2027-01.")
        raise Invalid(message, errors=[{"loc": ["query", "month"], "msg": message}]) from None
    return month


def _csv(filename: str, schema, rows: list[dict]):
    header = list(schema.model_fields)
    return csv_response(filename, header, ([row[h] for h in header] for row in rows))


@router.get(
    "/reports/seats",
    response={200: StaffSeatsReportOut, **problems(401, 403, 422)},
    auth=StaffAuth(),
)
def seats(request, query: Query[SeatsQuery]):
    """Seats per product in a month: sold (orders invoiced then), running at its end, in use
    then, and the number of companies holding them."""
    month = _month(query.month)
    rows = seats_report(month=month)
    if query.format == "csv":
        return _csv(f"seats-{month}.csv", StaffSeatsRow, rows)
    return {"month": month, "items": rows, "count": len(rows)}


@router.get(
    "/reports/renewals",
    response={200: StaffRenewalsReportOut, **problems(401, 403, 422)},
    auth=StaffAuth(),
)
def renewals(request, query: Query[RenewalsQuery]):
    """Seats whose packs end within `within_days` days (default 90), per company, key,
    product and expiry, soonest first: the renewals to sell."""
    rows = [renewal_row(r) for r in renewals_report(within_days=query.within_days)]
    if query.format == "csv":
        today = timezone.localdate().isoformat()
        return _csv(f"renewals-{query.within_days}d-{today}.csv", StaffRenewalRow, rows)
    return {"within_days": query.within_days, "items": rows, "count": len(rows)}
