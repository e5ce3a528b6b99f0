"""Rules of the order services that the API tests don't reach directly."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ilp.core.actors import Actor
from ilp.licensing.models import ProductPack
from ilp.licensing.services import packs as pack_services
from ilp.licensing.services.orders import canonical_hash, order_create
from ilp.licensing.services.packs import add_months
from tests.accounts.factories import make_company
from tests.licensing.factories import make_key

D = datetime.date


@pytest.mark.parametrize(
    "start, months, expected",
    [
        (D(2026, 11, 1), 12, D(2027, 11, 1)),  # DESIGN.md's example
        (D(2026, 1, 31), 1, D(2026, 2, 28)),  # clamped to the month's end
        (D(2028, 1, 31), 1, D(2028, 2, 29)),  # leap year
        (D(2026, 8, 31), 1, D(2026, 9, 30)),
        (D(2026, 12, 15), 1, D(2027, 1, 15)),  # over the year end
        (D(2026, 3, 31), 36, D(2029, 3, 31)),
        (D(2027, 11, 1), -12, D(2026, 11, 1)),
    ],
)
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


@given(st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 1, 1)), st.integers(0, 120))
def test_add_months_properties(start, months):
    end = add_months(start, months)
    assert (end.year - start.year) * 12 + end.month - start.month == months
    assert end.day == start.day or end.day < start.day  # only ever clamped down


def test_canonical_hash_ignores_key_order_not_values():
    a = {"x": 1, "y": [1, 2], "z": {"b": 1, "a": 2}}
    b = {"z": {"a": 2, "b": 1}, "y": [1, 2], "x": 1}
    assert canonical_hash(a) == canonical_hash(b)
    assert canonical_hash(a) != canonical_hash({**a, "y": [2, 1]})


@pytest.mark.django_db
def test_pack_id_collision_is_retried(monkeypatch):
    company = make_company()
    existing = make_key(company).product_packs.get()
    drawn = iter([existing.pack_id.split("-")[1], existing.pack_id.split("-")[1], "ZZZZZ"])
    monkeypatch.setattr(pack_services, "crockford", lambda n: next(drawn) if n == 5 else "A" * n)
    order, _ = order_create(
        actor=Actor.system(),
        order_number="SO-COLLIDE",
        kind="new",
        invoice_date=D(2026, 11, 1),
        end_customer={"gaid": company.gaid},
        items=[{"product": "WE", "seats": 1, "term_months": 12}],
    )
    assert order.result["product_packs"][0]["id"] == "WE-ZZZZZ"
    assert ProductPack.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "today, expected",
    [
        (D(2026, 10, 31), "not_yet_active"),
        (D(2026, 11, 1), "active"),  # first day counts
        (D(2027, 10, 31), "active"),  # last day counts
        (D(2027, 11, 1), "expired"),  # the expiry date is the first day without a license
        (D(2030, 1, 1), "expired"),
    ],
)
def test_status_across_dates(today, expected):
    company = make_company()
    key = make_key(company, starts_on=D(2026, 11, 1), expires_on=D(2027, 11, 1))
    pack = key.product_packs.get()
    assert pack.status_on(today) == expected
    annotated = ProductPack.objects.with_status(today).get(pk=pack.pk)
    assert annotated.current_status == expected
    assert ProductPack.objects.with_status_filter(expected, today).filter(pk=pack.pk).exists()
    # Archived and merged win over dates; perpetual never expires.
    ProductPack.objects.filter(pk=pack.pk).update(state="archived")
    assert ProductPack.objects.with_status(today).get(pk=pack.pk).current_status == "archived"
    perpetual = make_key(company, packs=[("WE-P", 1)], starts_on=D(2026, 11, 1))
    status = ProductPack.objects.with_status(today).get(subscription_key=perpetual).current_status
    assert status == ("not_yet_active" if today < D(2026, 11, 1) else "active")


@pytest.mark.django_db
def test_idempotency_key_header_replays_post_orders(staff_api):
    body = {
        "order_number": "SO-IK",
        "kind": "new",
        "invoice_date": "2026-11-01",
        "end_customer": {"name": "IK GmbH"},
        "items": [{"product": "WE", "seats": 2, "term_months": 12}],
    }
    first = staff_api.post("/orders", body, headers={"Idempotency-Key": "k1"})
    again = staff_api.post("/orders", body, headers={"Idempotency-Key": "k1"})
    assert first.status_code == 201 and again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.content == first.content
    # Without the header the order number itself makes it idempotent (200, same body).
    plain = staff_api.post("/orders", body)
    assert plain.status_code == 200 and plain.json() == first.json()
    assert ProductPack.objects.count() == 1


@pytest.mark.django_db
def test_a_taken_pack_id_in_the_one_insert_draws_that_one_again(monkeypatch):
    company = make_company()
    existing = make_key(company).product_packs.get()
    # The second pack's first ID is taken: it alone draws again, in a second statement.
    drawn = iter(["BBBBB", existing.pack_id.split("-")[1], "CCCCC", "DDDDD"])
    monkeypatch.setattr(pack_services, "crockford", lambda n: next(drawn) if n == 5 else "A" * n)
    order, _ = order_create(
        actor=Actor.system(),
        order_number="SO-COLLIDE",
        kind="new",
        invoice_date=D(2026, 11, 1),
        end_customer={"gaid": company.gaid},
        items=[
            {"product": "WE", "seats": 1, "term_months": 12},
            {"product": "WE", "seats": 2, "term_months": 12},
        ],
    )
    assert [(p["id"], p["seats"]) for p in order.result["product_packs"]] == [
        ("WE-BBBBB", 1),
        ("WE-CCCCC", 2),
    ]
    assert ProductPack.objects.filter(order=order).count() == 2
