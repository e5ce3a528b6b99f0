"""PostgreSQL, real threads and connections: staff corrections racing the customer's and the
UMS's own work never lose or double a seat (rule 26). After every race: each pack's
`seats_used` equals its active licenses, no pack has more licenses than seats, the seats
taken back plus the seats left equal what the order delivered, and no license stays in a
company its pack left."""

import pytest
from django.db import connection
from django.db.models import Count, F, Q, Sum

from ilp.core.actors import Actor
from ilp.core.errors import AppError
from ilp.licensing.models import ProductPack
from ilp.rollout.models import DeviceLicense
from ilp.rollout.services import pack_split
from ilp.rollout.services.corrections import company_merge, key_transfer, order_cancel
from tests.accounts.factories import make_company
from tests.rollout.corrections_factories import make_order, staff_actor
from tests.rollout.factories import issue, make_ums
from tests.rollout.test_concurrency import _parallel

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalogue"),
]


def _ledger_exact():
    packs = ProductPack.objects.annotate(
        live=Count("device_licenses", filter=Q(device_licenses__status="active"))
    )
    for pack in packs:
        assert pack.seats_used == pack.live, (pack.pack_id, pack.seats_used, pack.live)
        assert pack.live <= pack.seats, pack.pack_id
    stray = DeviceLicense.objects.filter(status="active").exclude(company_id=F("pack__company_id"))
    assert not stray.exists()


def _delivered(order) -> int:
    figures = ProductPack.objects.filter(order=order).aggregate(
        left=Sum("seats", filter=~Q(state="merged")), back=Sum("seats_cancelled")
    )
    return figures["left"] + figures["back"]


def _quietly(work):
    """Run `work`; an AppError (a 409 the race made right) is an answer, not a failure."""
    try:
        return work()
    except AppError as exc:
        return exc.code


def test_cancel_one_seat_at_a_time_while_devices_are_issued(company):
    order = make_order(company, packs=[("WE", 12)])
    pack = order.product_packs.get()
    ums, _ = make_ums(company, packs=[pack])
    actor = staff_actor()

    def work(i):
        if i % 2:
            return issue(ums, "WE", f"00E0C5{i:06d}")[0].status
        return _quietly(
            lambda: (
                order_cancel(
                    actor=actor,
                    order_number=order.order_number,
                    reason="race",
                    items=[(pack.pack_id, 1)],
                    return_licenses=True,
                )
                and "cancelled"
            )
        )

    results = _parallel(16, work)
    pack.refresh_from_db()
    assert results.count("cancelled") == 8 == pack.seats_cancelled
    assert pack.seats == 4
    issued = results.count("issued")
    returned = DeviceLicense.objects.filter(pack=pack, status="returned").count()
    assert issued - returned == pack.seats_used
    assert _delivered(order) == 12
    _ledger_exact()


def test_cancel_while_the_customer_splits(company):
    order = make_order(company, packs=[("WE", 20)])
    pack = order.product_packs.get()
    actor = staff_actor()

    def work(i):
        if i % 2:
            return _quietly(
                lambda: pack_split(actor=Actor.system(), pack=pack, seats=2) and "split"
            )
        return _quietly(
            lambda: (
                order_cancel(
                    actor=actor,
                    order_number=order.order_number,
                    reason="race",
                    items=[(pack.pack_id, 1)],
                )
                and "cancelled"
            )
        )

    results = _parallel(12, work)
    assert results.count("cancelled") == 6
    assert results.count("split") == 6
    assert _delivered(order) == 20
    assert ProductPack.objects.filter(order=order).aggregate(s=Sum("seats"))["s"] == 14
    _ledger_exact()


def test_two_whole_cancels_at_once_take_the_seats_back_once(company):
    order = make_order(company, packs=[("WE", 5), ("EMP", 5)])
    actor = staff_actor()
    results = _parallel(
        4,
        lambda i: _quietly(
            lambda: (
                order_cancel(actor=actor, order_number=order.order_number, reason="r")
                and "cancelled"
            )
        ),
    )
    assert sorted(results) == [
        "cancelled",
        "nothing_to_cancel",
        "nothing_to_cancel",
        "nothing_to_cancel",
    ]
    assert _delivered(order) == 10
    assert ProductPack.objects.filter(order=order, seats_cancelled=5).count() == 2


def test_merge_while_the_merged_company_s_ums_issues(company):
    target = make_company()
    order = make_order(company, packs=[("WE", 30)])
    pack = order.product_packs.get()
    ums, _ = make_ums(company, packs=[pack])
    actor = staff_actor()

    def work(i):
        if i == 0:
            return _quietly(
                lambda: (
                    company_merge(
                        actor=actor, gaid=company.gaid, target_gaid=target.gaid, reason="dup"
                    )
                    and "merged"
                )
            )
        return _quietly(lambda: issue(ums, "WE", f"00E0C5{i:06d}")[0].status)

    results = _parallel(12, work)
    assert results[0] == "merged"
    assert not DeviceLicense.objects.filter(company=company).exists()
    assert not ProductPack.objects.filter(company=company).exists()
    issued = results.count("issued")
    assert DeviceLicense.objects.filter(company=target, status="active").count() == issued
    _ledger_exact()


def test_transfer_while_the_ums_issues_leaves_no_license_on_the_moved_packs(company):
    buyer = make_company()
    order = make_order(company, packs=[("WE", 30)])
    pack = order.product_packs.get()
    ums, _ = make_ums(company, packs=[pack])
    actor = staff_actor()

    def work(i):
        if i == 0:
            return _quietly(
                lambda: (
                    key_transfer(
                        actor=actor,
                        key=order.subscription_key.key,
                        to_gaid=buyer.gaid,
                        reason="M&A",
                    )
                    and "moved"
                )
            )
        return _quietly(lambda: issue(ums, "WE", f"00E0C5{i:06d}")[0].status)

    results = _parallel(12, work)
    assert results[0] == "moved"
    pack.refresh_from_db()
    assert pack.company_id == buyer.pk and pack.seats_used == 0 and pack.assigned_to is None
    assert not DeviceLicense.objects.filter(pack=pack, status="active").exists()
    _ledger_exact()
    assert connection.vendor == "postgresql"
