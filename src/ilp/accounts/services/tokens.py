"""API tokens of users and staff tokens of the vendor's back office; stored hashed."""

from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.auth import STAFF_TOKEN_PREFIX, USER_TOKEN_PREFIX
from ilp.core.errors import NotFound, Unauthorized
from ilp.core.ids import new_token, token_hash

from ..errors import AccountError
from ..models import ApiToken, StaffToken, User, normalize_email


@transaction.atomic
def api_token_create(*, actor: Actor, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new API token for the user; the raw token is returned once and stored hashed."""
    token = new_token(USER_TOKEN_PREFIX)
    api_token = ApiToken.objects.create(
        user=user, name=(name or "").strip()[:100], token_hash=token_hash(token)
    )
    event_record(
        actor=actor,
        action="api_token.created",
        obj_type="api_token",
        obj_id=api_token.pk,
        after={"user": user.email, "name": api_token.name},
    )
    return api_token, token


def auth_token_issue(*, email: str, password: str, name: str = "") -> tuple[ApiToken, str]:
    """Log in with e-mail and password for an API token; 401 alike for an unknown e-mail and a
    wrong password (Django's backend also spends the hashing time for unknown e-mails)."""
    user = authenticate(username=normalize_email(email), password=password or "")
    if user is None:
        raise Unauthorized(_("E-mail or password is wrong."), code=AccountError.INVALID_CREDENTIALS)
    return api_token_create(actor=Actor.for_user(user), user=user, name=name or "API")


@transaction.atomic
def api_token_revoke(*, actor: Actor, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's API tokens (it stops working at once)."""
    api_token = ApiToken.objects.select_for_update().filter(user=user, pk=token_id).first()
    if api_token is None:
        raise NotFound(_("No such token."), code=AccountError.TOKEN_NOT_FOUND)
    if api_token.revoked_at is None:
        api_token.revoked_at = timezone.now()
        api_token.save(update_fields=["revoked_at"])
        event_record(
            actor=actor,
            action="api_token.revoked",
            obj_type="api_token",
            obj_id=api_token.pk,
            before={"user": user.email, "name": api_token.name},
        )
    return api_token


@transaction.atomic
def staff_token_create(*, actor: Actor, name: str) -> tuple[StaffToken, str]:
    """A new staff (vendor back-office) token; the raw token is returned once."""
    token = new_token(STAFF_TOKEN_PREFIX)
    staff = StaffToken.objects.create(name=name, token_hash=token_hash(token))
    event_record(
        actor=actor,
        action="staff_token.created",
        obj_type="staff_token",
        obj_id=staff.pk,
        after={"name": name},
    )
    return staff, token


@transaction.atomic
def staff_token_revoke(*, actor: Actor, staff_token_id: int) -> StaffToken:
    """Revoke a staff token; scripts using it get 401 from now on."""
    staff = StaffToken.objects.select_for_update().filter(pk=staff_token_id).first()
    if staff is None:
        raise NotFound(_("No such token."), code=AccountError.TOKEN_NOT_FOUND)
    if staff.revoked_at is None:
        staff.revoked_at = timezone.now()
        staff.save(update_fields=["revoked_at"])
        event_record(
            actor=actor,
            action="staff_token.revoked",
            obj_type="staff_token",
            obj_id=staff.pk,
            before={"name": staff.name},
        )
    return staff
