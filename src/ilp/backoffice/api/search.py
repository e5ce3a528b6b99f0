"""Search every company by any identifier."""

from ninja import Query, Router, Schema

from ilp.core.auth import StaffAuth
from ilp.core.problems import problems

from ..schemas import StaffSearchOut
from ..selectors.search import staff_search

router = Router(tags=["back office"])


class SearchQuery(Schema):
    q: str = ""


@router.get("/search", response={200: StaffSearchOut, **problems(401, 403, 422)}, auth=StaffAuth())
def search(request, query: Query[SearchQuery]):
    """Companies, subscription keys, packs, orders, people and devices matching `q`: a GAID,
    key, pack ID, order number, e-mail, unit ID (any separators) or the beginning of a
    company name (accents and case ignored)."""
    items = staff_search(q=query.q)
    return {"items": items, "count": len(items)}
