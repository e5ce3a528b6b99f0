"""Orders and delivery tokens, with their new packs assigned (rule 15's auto-assign).

Licensing makes the packs (`order_create`, `delivery_token_register`); rollout assigns the new
ones to the company's auto-assign UMS in the same transaction and the order's answer names
that UMS. These are the functions routes and pages call.
"""

from __future__ import annotations

from django.db import transaction

from ilp.audit.services import events_batched
from ilp.core.actors import Actor
from ilp.core.bulk import writes_held
from ilp.licensing.models import Order
from ilp.licensing.services import delivery_tokens
from ilp.licensing.services.orders import (
    OrderRaced,
    order_create,
    order_packs_assigned,
    order_raced_replay,
)

from .assignment import packs_auto_assign
from .webhook_events import order_placed_emit, packs_created


def order_place(*, actor: Actor, **order) -> tuple[Order, bool]:
    """Receive an order from the ERP (licensing's `order_create`, same arguments) and assign
    its new packs to the company's auto-assign UMS; returns `(order, created)`, the answer
    in `order.result`.

    When another request inserted the same order number while this one was working, this
    one's transaction is rolled back and the committed first order is replayed (or is a 409
    if the bodies differ).
    """
    try:
        return _order_place(actor=actor, **order)
    except OrderRaced as raced:
        return order_raced_replay(raced), False


@transaction.atomic
def _order_place(*, actor: Actor, **order) -> tuple[Order, bool]:
    # The order's audit events (company, contact, invitation, packs assigned, the order) in
    # one statement, sent with the other writes nothing reads back (its items, the contact's
    # membership and mail, its stored answer) in one round trip at the end.
    with writes_held(), events_batched():
        placed, created = order_create(actor=actor, **order)
        if created and placed.packs_new:
            assigned = packs_auto_assign(
                actor=actor, packs=placed.packs_new, company_new=placed.company_created
            )
            if assigned:
                order_packs_assigned(order=placed)
        if created:
            order_placed_emit(order=placed)
    return placed, created


@transaction.atomic
def delivery_token_register(
    *, actor: Actor, membership, token: str, accept_eula: bool = False
) -> tuple:
    """Register a delivery token into the membership's company (licensing's
    `delivery_token_register`) and assign its packs to the company's auto-assign UMS.
    Returns `(key, packs)`."""
    key, packs = delivery_tokens.delivery_token_register(
        actor=actor, membership=membership, token=token, accept_eula=accept_eula
    )
    packs_auto_assign(actor=actor, packs=packs)
    packs_created(company_id=membership.company_id, packs=packs)
    return key, packs
