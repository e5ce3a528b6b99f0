"""Pieces several account services share: the role check, the administrators' lock, making
someone a member."""

from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.authz import Role
from ilp.core.errors import Invalid

from ..errors import AccountError
from ..models import Company, Membership, User


def role_check(role: str) -> None:
    """422 `invalid_role` unless `role` is one of the roles."""
    if role not in Role.values:
        raise Invalid(
            _("Unknown role."),
            code=AccountError.INVALID_ROLE,
            errors=[{"loc": ["body", "role"], "msg": _("Unknown role.")}],
        )


def administrators_locked(company: Company):
    """The company's administrator memberships, locked in primary-key order (the one order
    every service takes them in)."""
    return (
        Membership.objects.select_for_update()
        .filter(company=company, role=Role.ADMINISTRATOR)
        .order_by("pk")
    )


def membership_create(
    *, actor: Actor, company: Company, user: User, role: str, audit: dict | None = None
) -> Membership:
    """Make the person a member with the role, their first company their default, and record
    `member.added` (with `audit`'s details: the order, the invitation)."""
    membership = Membership.objects.create(user=user, company=company, role=role)
    _default_company_fill(user, company)
    event_record(
        actor=actor,
        company=company,
        action="member.added",
        obj_type="membership",
        obj_id=user.email,
        after={"role": role, **(audit or {})},
    )
    return membership


def _default_company_fill(user: User, company: Company) -> None:
    """A person's first company becomes their default (where `/` lands), until they choose."""
    if user.default_company_id is None:
        user.default_company = company
        user.save(update_fields=["default_company"])
