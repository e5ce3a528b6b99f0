from ninja import Router
from ninja.pagination import LimitOffsetPagination, paginate

from ilp.core.auth import CompanyAuth
from ilp.core.authz import Permission
from ilp.core.problems import problems

from . import selectors
from .schemas import AuditEventOut

router = Router(tags=["audit"])


@router.get(
    "/companies/{gaid}/events",
    response={200: list[AuditEventOut], **problems(401, 403, 404, 422)},
    auth=CompanyAuth(Permission.READ_AUDIT),
)
@paginate(LimitOffsetPagination)
def list_events(request, gaid: str):
    """The company's audit log, newest first."""
    return selectors.event_list(membership=request.auth.membership)
