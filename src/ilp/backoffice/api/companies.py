"""A company summed up for vendor staff."""

from ninja import Router

from ilp.core.auth import StaffAuth
from ilp.core.problems import problems

from ..schemas import StaffCompanyOut
from ..selectors.companies import company_counts, company_get, company_orders

router = Router(tags=["back office"])


@router.get(
    "/companies/{gaid}",
    response={200: StaffCompanyOut, **problems(401, 403, 404)},
    auth=StaffAuth(),
)
def get_company(request, gaid: str):
    """The company with counts of its members, keys, packs, UMS and active licenses, and its
    orders (newest invoice first). Its own routes (`/companies/{gaid}/…`) show the rest, as
    its administrators see it."""
    company = company_get(gaid=gaid)
    return {
        **{
            f: getattr(company, f)
            for f in (
                "gaid",
                "name",
                "customer_number",
                "street",
                "postal_code",
                "city",
                "country",
                "created_at",
            )
        },
        "counts": company_counts(company=company),
        "orders": company_orders(company=company),
    }
