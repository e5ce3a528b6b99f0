"""Factories for the staff corrections: an order that delivered packs, a staff actor."""

import datetime

from ilp.accounts.models import StaffToken
from ilp.core.actors import Actor
from ilp.licensing.models import Order
from tests.accounts.factories import make_staff_token
from tests.licensing.factories import make_key


def make_order(company, packs=(("WE", 10),), *, number: str | None = None, **key_kwargs):
    """An order (no EULA to accept) whose new key holds one pack per (sku, seats) it made."""
    key = make_key(company, packs=packs, **key_kwargs)
    order = Order.objects.create(
        order_number=number or f"SO-{key.key[-4:]}",
        kind=Order.Kind.NEW,
        invoice_date=datetime.date.today(),
        company=company,
        subscription_key=key,
        request_hash="x",
    )
    key.product_packs.update(order=order)
    order.result = {
        "order_number": order.order_number,
        "kind": "new",
        "gaid": company.gaid,
        "company_created": False,
        "subscription_key": key.key,
        "status": "fulfilled",
        "product_packs": [{"id": p.pack_id} for p in key.product_packs.order_by("pk")],
        "contact_outcome": None,
    }
    order.save(update_fields=["result"])
    return order


def staff_actor() -> Actor:
    """A staff token's actor (the same token however often it is asked for)."""
    token = StaffToken.objects.filter(name="desk").first()
    if token is None:
        make_staff_token("desk")
        token = StaffToken.objects.get(name="desk")
    return Actor.for_staff(token)
