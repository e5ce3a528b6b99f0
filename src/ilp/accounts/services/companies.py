"""Companies: creation with a permanent GAID, name and address, the ERP customer number."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.bulk import objects_insert_new
from ilp.core.errors import Conflict, Invalid
from ilp.core.ids import crockford
from ilp.core.text import plain_text

from .. import selectors
from ..audit_actions import AuditAction
from ..errors import AccountError
from ..models import Company


def _new_gaid() -> str:
    return f"GA{crockford(8)}"


def company_create(
    *,
    actor: Actor,
    name: str,
    customer_number: str | None = None,
    street: str = "",
    postal_code: str = "",
    city: str = "",
    country: str = "",
) -> Company:
    """Create a company with a new, permanent GAID (server-made, never reused).

    A customer number another company has is an IntegrityError, raised with nothing written
    and the caller's transaction still usable (an order then takes that company)."""
    name, street, postal_code, city = (plain_text(v) for v in (name, street, postal_code, city))
    company = Company(
        gaid=_new_gaid(),
        name=name,
        customer_number=customer_number or None,
        street=street,
        postal_code=postal_code,
        city=city,
        country=country,
    )
    # ON CONFLICT DO NOTHING: a taken customer number or GAID writes nothing and leaves the
    # caller's transaction usable, without a savepoint.
    for _attempt in range(5):
        if objects_insert_new([company], key="gaid"):
            break
        if customer_number and selectors.customer_number_taken(customer_number=customer_number):
            raise IntegrityError(f"customer number {customer_number} is taken")
        company.gaid = _new_gaid()  # a GAID collision (40 bits of randomness): draw again
    else:  # pragma: no cover - five collisions in a row
        raise RuntimeError("could not allocate a GAID")
    event_record(
        actor=actor,
        company=company,
        action=AuditAction.COMPANY_CREATED,
        obj_type="company",
        obj_id=company.gaid,
        after={"name": name, "customer_number": customer_number},
    )
    return company


COMPANY_EDITABLE = ("name", "street", "postal_code", "city", "country")


@transaction.atomic
def company_update(*, actor: Actor, company: Company, **fields) -> Company:
    """Change a company's name and address; the GAID and customer number never change here."""
    unknown = set(fields) - set(COMPANY_EDITABLE)
    if unknown:
        raise Invalid(
            errors=[
                {"loc": ["body", f], "msg": _("This field cannot be changed.")} for f in unknown
            ]
        )
    company = Company.objects.select_for_update().get(pk=company.pk)
    changes = {k: plain_text(v) for k, v in fields.items() if v is not None}
    if "name" in changes and not changes["name"]:
        raise Invalid(errors=[{"loc": ["body", "name"], "msg": _("The name cannot be empty.")}])
    if "country" in changes:
        changes["country"] = changes["country"].upper()
        if changes["country"] and (
            len(changes["country"]) != 2 or not changes["country"].isalpha()
        ):
            raise Invalid(
                errors=[{"loc": ["body", "country"], "msg": _("Use a two-letter country code.")}]
            )
    for field, value in changes.items():
        max_length = Company._meta.get_field(field).max_length
        if max_length and len(value) > max_length:
            raise Invalid(
                errors=[
                    {
                        "loc": ["body", field],
                        "msg": _("At most %(n)s characters.") % {"n": max_length},
                    }
                ]
            )
    before = {k: getattr(company, k) for k in changes}
    if before == changes:
        return company
    for field, value in changes.items():
        setattr(company, field, value)
    company.save(update_fields=list(changes))
    event_record(
        actor=actor,
        company=company,
        action=AuditAction.COMPANY_UPDATED,
        obj_type="company",
        obj_id=company.gaid,
        before=before,
        after=changes,
    )
    return company


@transaction.atomic
def company_customer_number_set(
    *, actor: Actor, company: Company, customer_number: str | None
) -> Company:
    """Set the ERP customer number (vendor back office only; orders match companies by it)."""
    company = Company.objects.select_for_update().get(pk=company.pk)
    value = (customer_number or "").strip() or None
    if value == company.customer_number:
        return company
    if value and selectors.customer_number_taken(customer_number=value, other_than=company):
        raise Conflict(
            _("Another company has this customer number."), code=AccountError.CUSTOMER_NUMBER_TAKEN
        )
    before = company.customer_number
    company.customer_number = value
    company.save(update_fields=["customer_number"])
    event_record(
        actor=actor,
        company=company,
        action=AuditAction.COMPANY_CUSTOMER_NUMBER_SET,
        obj_type="company",
        obj_id=company.gaid,
        before={"customer_number": before},
        after={"customer_number": value},
    )
    return company


@transaction.atomic
def company_two_factor_require(*, actor: Actor, company: Company, required: bool) -> Company:
    """Require (or stop requiring) two-factor sign-in of every member (rule 17). Members
    without it then get 403 `two_factor_required` on the company's routes, and its pages lead
    them to the set-up. An administrator who has not turned it on for themselves cannot
    require it (409 `two_factor_not_active`): they would lock themselves out."""
    company = Company.objects.select_for_update().get(pk=company.pk)
    if company.require_2fa == required:
        return company
    if (
        required
        and actor.kind == "user"
        and selectors.member_find(company=company, email=actor.user.email) is not None
        and not selectors.two_factor_active(user=actor.user)
    ):
        raise Conflict(
            _("Turn on two-factor sign-in for yourself first, then require it of everyone."),
            code=AccountError.TWO_FACTOR_NOT_ACTIVE,
        )
    company.require_2fa = required
    company.save(update_fields=["require_2fa"])
    event_record(
        actor=actor,
        company=company,
        action=AuditAction.COMPANY_TWO_FACTOR_REQUIRED
        if required
        else AuditAction.COMPANY_TWO_FACTOR_OPTIONAL,
        obj_type="company",
        obj_id=company.gaid,
        before={"require_2fa": not required},
        after={"require_2fa": required},
    )
    return company
