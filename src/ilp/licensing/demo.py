"""Demo orders for `ilp demo`: keys and packs in varied states, through the real services."""

import datetime

from django.utils import timezone

from ilp.accounts.models import Membership
from ilp.core.actors import Actor

from .services.delivery_tokens import delivery_token_issue, delivery_token_register
from .services.orders import order_create
from .services.packs import add_months


def _order(ctx, company_key, number, invoice_date, items, **fields):
    company = ctx.companies[company_key]
    order, _created = order_create(
        actor=ctx.actor,
        order_number=number,
        kind="new",
        invoice_date=invoice_date,
        end_customer={"gaid": company.gaid, "name": company.name},
        items=[
            {"product": sku, "seats": seats, "term_months": months} for sku, seats, months in items
        ],
        **fields,
    )
    return order


def load(ctx) -> None:
    today = timezone.localdate()
    day = datetime.timedelta(days=1)

    def invoiced_for_expiry(expires_in_days: int, months: int = 12) -> datetime.date:
        # The invoice date whose term of `months` ends `expires_in_days` from today.
        return add_months(today + expires_in_days * day, -months)

    # Acme: a large active key, one expiring within 30 and one within 90 days, an expired
    # one, perpetual seats and a Cloud Gateway pack.
    _order(ctx, "acme", "SO-2026-1001", today - 40 * day, [("WE", 250, 36), ("EMP", 50, 36)])
    expiring = _order(ctx, "acme", "SO-2025-0877", invoiced_for_expiry(18), [("WE", 40, 12)])
    _order(ctx, "acme", "SO-2025-0912", invoiced_for_expiry(64), [("EMP", 25, 12)])
    _order(ctx, "acme", "SO-2024-0456", invoiced_for_expiry(-45), [("WE", 30, 12)])
    _order(ctx, "acme", "SO-2023-0101", today - 700 * day, [("WE-P", 20, 0), ("ICG", 30, 24)])
    # Northwind: one active key and one starting next month.
    _order(ctx, "north", "SO-2026-2001", today - 10 * day, [("WE", 120, 12), ("ICG", 20, 12)])
    _order(ctx, "north", "SO-2026-2002", today + 20 * day, [("EMP", 15, 24)])

    # A renewal of the expiring key for fewer seats (40 → 30) waits for redemption: split 10
    # seats off its pack, then "Redeem renewal" on Subscription keys.
    acme = ctx.companies["acme"]
    order_create(
        actor=ctx.actor,
        order_number="SO-2026-1107",
        kind="renewal",
        invoice_date=today - 2 * day,
        end_customer={"gaid": acme.gaid, "name": acme.name},
        subscription_key=expiring.subscription_key.key,
        items=[{"product": "WE", "seats": 30, "term_months": 12}],
    )

    # A legacy delivery token already registered into Acme by its administrator ...
    admin = ctx.users["admin"]
    _row, token = delivery_token_issue(
        actor=ctx.actor,
        order_number="LEGACY-2021-0042",
        invoice_date=datetime.date(2021, 6, 30),
        items=[{"product": "WE-P", "seats": 10, "term_months": 0}],
    )
    membership = Membership.objects.select_related("company").get(
        user=admin, company=ctx.companies["acme"]
    )
    delivery_token_register(actor=Actor.for_user(admin), membership=membership, token=token)
    # ... and one waiting to be registered (try it on "Delivery token").
    _row, unused = delivery_token_issue(
        actor=ctx.actor,
        order_number="LEGACY-2021-0077",
        invoice_date=datetime.date(2021, 8, 15),
        items=[
            {"product": "WE", "seats": 15, "term_months": 120},
            {"product": "EMP", "seats": 15, "term_months": 120},
        ],
    )
    ctx.notes.append(f"unused delivery token (register it under Delivery token): {unused}")
