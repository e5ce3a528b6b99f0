"""Staff users and staff tokens (staff_admin)."""

from ninja import Router, Status
from ninja.pagination import paginate

from ilp.accounts import selectors as account_selectors
from ilp.accounts import services as account_services
from ilp.core.auth import StaffAuth
from ilp.core.authz import StaffRole
from ilp.core.idempotency import not_replayable
from ilp.core.pagination import Paging
from ilp.core.params import IdPath
from ilp.core.problems import problems

from ..schemas import (
    StaffTokenCreated,
    StaffTokenIn,
    StaffTokenOut,
    StaffUserIn,
    StaffUserOut,
    StaffUserPatch,
)

router = Router(tags=["back office"])
ADMIN = StaffAuth(StaffRole.STAFF_ADMIN)


@router.get("/users", response={200: list[StaffUserOut], **problems(401, 403, 422)}, auth=ADMIN)
@paginate(Paging)
def list_staff_users(request):
    """The vendor's staff and their roles, by e-mail."""
    return account_selectors.staff_member_list()


@router.post("/users", response={201: StaffUserOut, **problems(401, 403, 409, 422)}, auth=ADMIN)
def add_staff_user(request, body: StaffUserIn):
    """Make a person vendor staff with a role; they get a mail with the way in (a new person
    chooses a password) and must turn on two-factor sign-in first."""
    member = account_services.staff_member_invite(
        actor=request.auth.actor, email=body.email, role=body.role
    )
    return Status(201, account_selectors.staff_member_get(staff_member_id=member.pk))


@router.patch(
    "/users/{staff_member_id}",
    response={200: StaffUserOut, **problems(401, 403, 404, 409, 422)},
    auth=ADMIN,
)
def change_staff_user(request, staff_member_id: IdPath, body: StaffUserPatch):
    """Change a staff member's role (the last staff administrator stays one: 409)."""
    account_services.staff_member_role_change(
        actor=request.auth.actor, staff_member_id=staff_member_id, role=body.role
    )
    return account_selectors.staff_member_get(staff_member_id=staff_member_id)


@router.delete(
    "/users/{staff_member_id}",
    response={204: None, **problems(401, 403, 404, 409)},
    auth=ADMIN,
)
def remove_staff_user(request, staff_member_id: IdPath):
    """Remove a person from the staff (their account stays)."""
    account_services.staff_member_remove(actor=request.auth.actor, staff_member_id=staff_member_id)
    return Status(204, None)


@router.get("/tokens", response={200: list[StaffTokenOut], **problems(401, 403, 422)}, auth=ADMIN)
@paginate(Paging)
def list_staff_tokens(request):
    """The staff tokens that work, newest first (the tokens themselves are never shown)."""
    return account_selectors.staff_token_list()


@router.post(
    "/tokens", response={201: StaffTokenCreated, **problems(401, 403, 409, 422)}, auth=ADMIN
)
@not_replayable
def create_staff_token(request, body: StaffTokenIn):
    """A new staff token with a role; the token is shown only in this answer."""
    staff, token = account_services.staff_token_create(
        actor=request.auth.actor, name=body.name.strip(), role=body.role
    )
    return Status(201, {"id": staff.pk, "name": staff.name, "role": staff.role, "token": token})


@router.delete(
    "/tokens/{staff_token_id}", response={204: None, **problems(401, 403, 404)}, auth=ADMIN
)
def revoke_staff_token(request, staff_token_id: IdPath):
    """Revoke a staff token: whatever uses it gets 401 from now on."""
    account_services.staff_token_revoke(actor=request.auth.actor, staff_token_id=staff_token_id)
    return Status(204, None)
