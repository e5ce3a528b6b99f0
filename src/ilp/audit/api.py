from typing import Literal

from ninja import Query, Router, Schema
from ninja.pagination import paginate

from ilp.core.auth import CompanyAuth
from ilp.core.authz import Permission
from ilp.core.csv_export import csv_exportable
from ilp.core.pagination import Paging
from ilp.core.params import IsoDate
from ilp.core.problems import problems

from . import selectors
from .schemas import AuditEventOut

router = Router(tags=["audit"])


class EventFilters(Schema):
    action: str | None = None
    actor: str | None = None
    since: IsoDate | None = None
    until: IsoDate | None = None
    format: Literal["json", "csv"] = "json"


@router.get(
    "/companies/{gaid}/events",
    response={200: list[AuditEventOut], **problems(401, 403, 404, 422)},
    auth=CompanyAuth(Permission.READ_AUDIT),
)
@csv_exportable(AuditEventOut, "events")
@paginate(Paging)
def list_events(request, gaid: str, filters: Query[EventFilters]):
    """The company's audit log, newest first; filter by action (`pack.split`, or `pack` for
    every pack action), actor (part of name or e-mail), since and until (days, included);
    `format=csv` exports every matching event."""
    return selectors.event_list(
        membership=request.auth.membership, **filters.model_dump(exclude={"format"})
    )
