"""Split and merge services (rules 9–11)."""

import datetime

import pytest
from django.db.models import Sum

from ilp.audit.models import AuditEvent
from ilp.core.actors import Actor
from ilp.core.errors import Conflict, Invalid
from ilp.licensing.models import ProductPack
from ilp.licensing.services.pack_ops import merge_problem
from ilp.rollout.models import DeviceLicense, PackAssignment, UmsInstance
from ilp.rollout.services import pack_merge, pack_split
from tests.licensing.factories import make_key, make_license, make_pack
from tests.rollout.factories import assign

pytestmark = pytest.mark.django_db

ACTOR = Actor.system()


def live_seats(key, sku="WE") -> int:
    return (
        ProductPack.objects.filter(
            subscription_key=key, product__sku=sku, state=ProductPack.State.LIVE
        ).aggregate(s=Sum("seats"))["s"]
        or 0
    )


def make_ums(company, name="UMS 1") -> UmsInstance:
    from ilp.core.ids import crockford

    return UmsInstance.objects.create(
        ums_id=f"U-{crockford(6)}", company=company, name=name, credential_hash=crockford(40)
    )


# --- split ---------------------------------------------------------------------------


def test_split_moves_seats_into_a_new_pack_with_the_same_key_product_and_dates(company):
    key = make_key(company, packs=[("WE", 10)])
    pack = key.product_packs.get()
    source, created = pack_split(actor=ACTOR, pack=pack, seats=4)
    assert (source.seats, created.seats) == (6, 4)
    assert created.pack_id != source.pack_id and created.pack_id.startswith("WE-")
    assert created.subscription_key_id == key.pk and created.product_id == pack.product_id
    assert (created.starts_on, created.expires_on) == (pack.starts_on, pack.expires_on)
    assert created.order_id == pack.order_id and created.split_from_id == pack.pk
    assert created.state == ProductPack.State.LIVE and created.seats_used == 0
    assert live_seats(key) == 10
    event = AuditEvent.objects.get(action="pack.split")
    assert event.object_id == pack.pack_id
    assert event.before["seats"] == 10 and event.after["created"] == created.pack_id


def test_split_must_respect_the_seat_multiple(company):
    key = make_key(company, packs=[("ICG", 30)])
    pack = key.product_packs.get()
    with pytest.raises(Invalid) as exc:
        pack_split(actor=ACTOR, pack=pack, seats=5)
    assert exc.value.code == "seats_not_multiple"
    _, created = pack_split(actor=ACTOR, pack=pack, seats=10)
    assert created.seats == 10


@pytest.mark.parametrize("seats", [10, 11])
def test_split_leaves_at_least_one_seat(company, seats):
    pack = make_key(company, packs=[("WE", 10)]).product_packs.get()
    with pytest.raises(Invalid) as exc:
        pack_split(actor=ACTOR, pack=pack, seats=seats)
    assert exc.value.code == "split_too_large"
    pack.refresh_from_db()
    assert pack.seats == 10 and ProductPack.objects.count() == 1


def test_split_zero_seats_is_invalid(company):
    pack = make_key(company, packs=[("WE", 10)]).product_packs.get()
    with pytest.raises(Invalid) as exc:
        pack_split(actor=ACTOR, pack=pack, seats=0)
    assert exc.value.code == "invalid_seats"


def test_split_leaves_at_least_the_used_seats(company):
    pack = make_key(company, packs=[("WE", 10, 8)]).product_packs.get()
    with pytest.raises(Invalid) as exc:
        pack_split(actor=ACTOR, pack=pack, seats=3)
    assert exc.value.code == "seats_in_use"
    source, _ = pack_split(actor=ACTOR, pack=pack, seats=2)
    assert (source.seats, source.seats_used) == (8, 8)


def test_split_with_unit_ids_moves_their_licenses(company):
    pack = make_key(company, packs=[("WE", 4)]).product_packs.get()
    a = make_license(pack, "00E0C5000001")
    b = make_license(pack, "00E0C5000002")
    c = make_license(pack, "00E0C5000003")
    # The source keeps 2 seats with one license in use after moving two devices.
    source, created = pack_split(
        actor=ACTOR, pack=pack, seats=2, unit_ids=["00:e0:c5:00:00:01", "00E0C5000002"]
    )
    assert (source.seats, source.seats_used) == (2, 1)
    assert (created.seats, created.seats_used) == (2, 2)
    assert set(DeviceLicense.objects.filter(pack=created).values_list("pk", flat=True)) == {
        a.pk,
        b.pk,
    }
    assert DeviceLicense.objects.get(pk=c.pk).pack_id == pack.pk


def test_split_without_moving_would_leave_too_few_seats_for_the_licenses(company):
    pack = make_key(company, packs=[("WE", 4)]).product_packs.get()
    for n in range(3):
        make_license(pack, f"00E0C500000{n}")
    with pytest.raises(Invalid) as exc:
        pack_split(actor=ACTOR, pack=pack, seats=2)
    assert exc.value.code == "seats_in_use"
    source, created = pack_split(actor=ACTOR, pack=pack, seats=2, unit_ids=["00E0C5000000"])
    assert (source.seats_used, created.seats_used) == (2, 1)


@pytest.mark.parametrize(
    ("unit_ids", "code"),
    [
        (["00E0C5999999"], "unit_not_on_pack"),
        (["bad!"], "invalid_unit_id"),
        (["00E0C5000001", "00E0C5000002", "00E0C5000003"], "too_many_units"),
    ],
)
def test_split_unit_id_errors(company, unit_ids, code):
    pack = make_key(company, packs=[("WE", 10)]).product_packs.get()
    for n in range(1, 4):
        make_license(pack, f"00E0C500000{n}")
    with pytest.raises(Invalid) as exc:
        pack_split(actor=ACTOR, pack=pack, seats=2, unit_ids=unit_ids)
    assert exc.value.code == code
    assert ProductPack.objects.count() == 1


def test_a_returned_license_does_not_move(company):
    pack = make_key(company, packs=[("WE", 10)]).product_packs.get()
    lic = make_license(pack, "00E0C5000001", bump=False)
    DeviceLicense.objects.filter(pk=lic.pk).update(status=DeviceLicense.Status.RETURNED)
    with pytest.raises(Invalid) as exc:
        pack_split(actor=ACTOR, pack=pack, seats=2, unit_ids=["00E0C5000001"])
    assert exc.value.code == "unit_not_on_pack"


def test_merged_and_archived_packs_cannot_be_split(company):
    key = make_key(company, packs=[("WE", 10), ("WE", 5)])
    target, other = key.product_packs.order_by("pk")
    pack_merge(actor=ACTOR, packs=[target, other])
    with pytest.raises(Conflict) as exc:
        pack_split(actor=ACTOR, pack=other, seats=1)
    assert exc.value.code == "pack_not_splittable"
    archived = make_pack(key, "WE", 5, state=ProductPack.State.ARCHIVED)
    with pytest.raises(Conflict):
        pack_split(actor=ACTOR, pack=archived, seats=1)


def test_expired_and_not_yet_active_packs_can_be_split(company):
    today = datetime.date.today()
    old = make_key(company, packs=[("WE", 10)], expires_on=today - datetime.timedelta(days=1))
    _, created = pack_split(actor=ACTOR, pack=old.product_packs.get(), seats=5)
    assert created.status == "expired"
    future = make_key(company, packs=[("WE", 10)], starts_on=today + datetime.timedelta(days=5))
    _, created = pack_split(actor=ACTOR, pack=future.product_packs.get(), seats=5)
    assert created.status == "not_yet_active"


def test_perpetual_packs_split(company):
    pack = make_key(company, packs=[("WE-P", 10)]).product_packs.get()
    _, created = pack_split(actor=ACTOR, pack=pack, seats=3)
    assert created.expires_on is None and created.pack_id.startswith("WEP-")


def test_split_of_an_assigned_pack_stays_on_the_same_ums(company):
    pack = make_key(company, packs=[("WE", 10)]).product_packs.get()
    ums = make_ums(company)
    assign(pack, ums)
    _, created = pack_split(actor=ACTOR, pack=pack, seats=3)
    assert PackAssignment.objects.get(pack=created).ums == ums


def test_split_reads_the_pack_again_under_the_lock(company):
    pack = make_key(company, packs=[("WE", 10)]).product_packs.get()
    stale = ProductPack.objects.get(pk=pack.pk)
    pack_split(actor=ACTOR, pack=pack, seats=9)
    # The stale copy still says 10 seats; the service must not trust it.
    with pytest.raises(Invalid) as exc:
        pack_split(actor=ACTOR, pack=stale, seats=5)
    assert exc.value.code == "split_too_large"


# --- merge ---------------------------------------------------------------------------


def test_merge_adds_seats_to_the_first_pack_and_marks_the_others_merged(company):
    key = make_key(company, packs=[("WE", 10, 2), ("WE", 5, 1), ("WE", 3)])
    a, b, c = key.product_packs.order_by("pk")
    lic = make_license(b, "00E0C5000001")
    target, merged = pack_merge(actor=ACTOR, packs=[b, a, c])
    assert target.pk == b.pk
    assert (target.seats, target.seats_used) == (18, 4)
    assert {p.pk for p in merged} == {a.pk, c.pk}
    for p in merged:
        p.refresh_from_db()
        assert p.state == "merged" and p.merged_into_id == b.pk and p.seats_used == 0
        assert p.status == "merged"
    a.refresh_from_db()
    assert a.seats == 10  # kept as history, never counted
    assert live_seats(key) == 18
    assert DeviceLicense.objects.get(pk=lic.pk).pack_id == b.pk
    event = AuditEvent.objects.get(action="pack.merge")
    assert event.object_id == b.pack_id and len(event.after["merged"]) == 2


def test_merge_moves_the_device_licenses_to_the_target(company):
    key = make_key(company, packs=[("WE", 10), ("WE", 5)])
    a, b = key.product_packs.order_by("pk")
    lics = [make_license(b, f"00E0C500000{n}") for n in range(3)]
    target, _ = pack_merge(actor=ACTOR, packs=[a, b])
    assert target.seats_used == 3
    assert set(DeviceLicense.objects.filter(pack=a).values_list("pk", flat=True)) == {
        lic.pk for lic in lics
    }


@pytest.mark.parametrize(
    "other",
    ["other_key", "other_product", "other_dates", "expired", "merged", "archived", "not_yet"],
)
def test_merge_refuses_incompatible_packs_with_a_reason(company, other):
    today = datetime.date.today()
    key = make_key(company, packs=[("WE", 10), ("WE", 5)])
    a, b = key.product_packs.order_by("pk")
    candidate = {
        "other_key": lambda: make_key(company, packs=[("WE", 5)]).product_packs.get(),
        "other_product": lambda: make_pack(key, "EMP", 5),
        "other_dates": lambda: make_pack(
            key, "WE", 5, expires_on=a.expires_on + datetime.timedelta(days=1)
        ),
        "expired": lambda: make_pack(
            key, "WE", 5, starts_on=a.starts_on, expires_on=today - datetime.timedelta(days=1)
        ),
        "merged": lambda: (pack_merge(actor=ACTOR, packs=[a, b]), b)[1],
        "archived": lambda: make_pack(key, "WE", 5, state=ProductPack.State.ARCHIVED),
        "not_yet": lambda: make_pack(key, "WE", 5, starts_on=today + datetime.timedelta(days=3)),
    }[other]()
    before = live_seats(key)
    with pytest.raises(Conflict) as exc:
        pack_merge(actor=ACTOR, packs=[a, candidate])
    assert exc.value.code == "pack_not_mergeable"
    assert candidate.pack_id in exc.value.message
    assert live_seats(key) == before


def test_merge_needs_two_distinct_packs(company):
    a = make_key(company, packs=[("WE", 10)]).product_packs.get()
    with pytest.raises(Invalid) as exc:
        pack_merge(actor=ACTOR, packs=[a, a])
    assert exc.value.code == "merge_needs_two_packs"


def test_merge_refuses_packs_on_different_ums(company):
    key = make_key(company, packs=[("WE", 10), ("WE", 5)])
    a, b = key.product_packs.order_by("pk")
    assign(a, make_ums(company, "one"))
    assign(b, make_ums(company, "two"))
    with pytest.raises(Conflict) as exc:
        pack_merge(actor=ACTOR, packs=[a, b])
    assert exc.value.code == "pack_not_mergeable" and "UMS" in exc.value.message


def test_merge_target_takes_over_the_shared_ums(company):
    key = make_key(company, packs=[("WE", 10), ("WE", 5)])
    a, b = key.product_packs.order_by("pk")
    ums = make_ums(company)
    assign(b, ums)
    pack_merge(actor=ACTOR, packs=[a, b])
    assert PackAssignment.objects.get(pack=a).ums == ums
    assert not PackAssignment.objects.filter(pack=b).exists()


def test_merge_problem_explains_a_selection(company):
    key = make_key(company, packs=[("WE", 10), ("WE", 5)])
    a, b = key.product_packs.order_by("pk")
    assert merge_problem([a, b]) is None
    assert "two" in merge_problem([a])
    c = make_pack(key, "EMP", 5)
    assert "different products" in merge_problem([a, c])
