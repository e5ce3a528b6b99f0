"""Demo orders for `ilp demo`: keys and packs in varied states, through the real services."""

import datetime

from django.utils import timezone

from ilp.accounts.models import Membership
from ilp.core.actors import Actor

from .models import Eula, EulaVersion, Order, Product, ProductPack, SeatSnapshot
from .services.delivery_tokens import delivery_token_issue, delivery_token_register
from .services.eula import order_eula_accept, pack_eula_accept
from .services.orders import order_create
from .services.packs import add_months
from .services.snapshots import seat_snapshots_take

THIRD_PARTY_TEXT = """\
SAMPLE THIRD-PARTY TERMS — Cloud Gateway relay service.

The Cloud Gateway relays device connections through a service run by a third party. By
accepting these terms for a product pack you agree that connection metadata of the devices
licensed from it is processed by that service, as described in its documentation.
"""


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


def _third_party_eula() -> None:
    """Cloud Gateway packs carry a third-party EULA, accepted per pack (rule 20)."""
    eula = Eula.objects.create(
        slug="cloud-gateway-relay",
        title="Cloud Gateway relay service terms",
        kind=Eula.Kind.THIRD_PARTY,
    )
    EulaVersion.objects.create(
        eula=eula, version="2026-1", text=THIRD_PARTY_TEXT, published_on=datetime.date(2026, 1, 1)
    )
    Product.objects.filter(sku="ICG").update(third_party_eula=eula)


def _accept_all_but(ctx, waiting: set[str]) -> None:
    """Each company's administrator accepted the EULAs of its orders and packs, except the
    orders in `waiting`, which show the EULA acceptance on demo data."""
    admins = {"acme": ctx.users["admin"], "north": ctx.users["north_admin"]}
    for key, user in admins.items():
        actor = Actor.for_user(user)
        company = ctx.companies[key]
        for order in Order.objects.filter(company=company).exclude(order_number__in=waiting):
            order_eula_accept(actor=actor, order=order)
        packs = ProductPack.objects.filter(
            company=company, third_party_eula__isnull=False, third_party_eula_accepted_at=None
        ).exclude(order__order_number__in=waiting)
        for pack in packs:
            pack_eula_accept(actor=actor, pack=pack)


def load(ctx) -> None:
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    _third_party_eula()

    def invoiced_for_expiry(expires_in_days: int, months: int = 12) -> datetime.date:
        # The invoice date whose term of `months` ends `expires_in_days` from today.
        return add_months(today + expires_in_days * day, -months)

    # Acme: a large active key, one expiring within 30 and one within 90 days, an expired
    # one, perpetual seats and a Cloud Gateway pack.
    big = _order(ctx, "acme", "SO-2026-1001", today - 40 * day, [("WE", 250, 36), ("EMP", 50, 36)])
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
    delivery_token_register(
        actor=Actor.for_user(admin), membership=membership, token=token, accept_eula=True
    )
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

    # An add-on purchase (FAQ Q4) under the big key: its EULA (and the Cloud Gateway pack's
    # third-party EULA) waits, so its packs issue no licenses yet. Accept it under Orders.
    _order(
        ctx,
        "acme",
        "SO-2026-1150",
        today - 3 * day,
        [("EMP", 20, 12), ("ICG", 10, 12)],
        subscription_key=big.subscription_key.key,
    )
    _accept_all_but(ctx, waiting={"SO-2026-1150"})
    ctx.notes.append("an add-on order waiting for EULA acceptance (Orders): SO-2026-1150")


def snapshots_backfill(ctx) -> None:
    """A year of seat snapshots, so the dashboard's chart shows something: one day a month
    (its last) for the past 11 months, and today. Called by `ilp demo` after rollout issued the
    demo licenses. Seats come from the packs that were active on each day; the seats in use
    grow towards today's (a plausible roll-out), as the ledger knows only today's figure."""
    today = timezone.localdate()
    days = []
    for back in range(11, 0, -1):
        first_of_next = add_months(today.replace(day=1), -back + 1)
        days.append(first_of_next - datetime.timedelta(days=1))
    for step, day in enumerate(days):
        seat_snapshots_take(date=day)
        share = 0.35 + 0.6 * step / len(days)
        rows = list(SeatSnapshot.objects.filter(date=day))
        for row in rows:
            row.seats_used = min(row.seats, round(row.seats_used * share))
        SeatSnapshot.objects.bulk_update(rows, ["seats_used"])
    seat_snapshots_take(date=today)
