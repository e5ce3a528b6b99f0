"""The order desk: every company's orders."""

from ninja import Query, Router, Schema
from ninja.pagination import paginate

from ilp.core.auth import StaffAuth
from ilp.core.pagination import Paging
from ilp.core.params import IsoDate
from ilp.core.problems import problems

from ..schemas import StaffOrderOut
from ..selectors.orders import order_list

router = Router(tags=["back office"])


class OrderFilters(Schema):
    status: str | None = None
    since: IsoDate | None = None
    until: IsoDate | None = None
    q: str | None = None


@router.get(
    "/orders", response={200: list[StaffOrderOut], **problems(401, 403, 422)}, auth=StaffAuth()
)
@paginate(Paging)
def list_orders(request, filters: Query[OrderFilters]):
    """Orders of every company, newest invoice first; filters `status`, `since` and `until`
    (invoice days, included) and `q` (an order number's beginning, a GAID or a company
    name's beginning)."""
    return order_list(**filters.model_dump())
