"""Routes that span the apps: company search (API.md, third round)."""

from ninja import Router, Schema

from ilp.core.auth import CompanyAuth
from ilp.core.problems import problems

from .search import company_search

router = Router(tags=["search"])


class SearchItem(Schema):
    kind: str
    id: str
    label: str


class SearchOut(Schema):
    items: list[SearchItem]


@router.get(
    "/companies/{gaid}/search",
    response={200: SearchOut, **problems(401, 403, 404)},
    auth=CompanyAuth(),
)
def search(request, gaid: str, q: str = ""):
    """Search the company's packs, keys, orders, UMS, members and unit IDs (any separator)."""
    return {"items": company_search(membership=request.auth.membership, q=q)}
