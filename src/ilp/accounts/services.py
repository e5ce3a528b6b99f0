"""Every change to people and access. Each service runs in one transaction with its audit
event and its outbox mail."""

from django.db import IntegrityError, transaction

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.ids import crockford

from .models import Company


def _new_gaid() -> str:
    return f"GA{crockford(8)}"


@transaction.atomic
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
    """Create a company with a new, permanent GAID (server-made, never reused)."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                company = Company.objects.create(
                    gaid=_new_gaid(),
                    name=name,
                    customer_number=customer_number or None,
                    street=street,
                    postal_code=postal_code,
                    city=city,
                    country=country,
                )
            break
        except IntegrityError:
            if customer_number and Company.objects.filter(customer_number=customer_number).exists():
                raise
            continue  # a GAID collision (40 bits of randomness): draw again
    else:  # pragma: no cover - five collisions in a row
        raise RuntimeError("could not allocate a GAID")
    event_record(
        actor=actor,
        company=company,
        action="company.created",
        obj_type="company",
        obj_id=company.gaid,
        after={"name": name, "customer_number": customer_number},
    )
    return company
