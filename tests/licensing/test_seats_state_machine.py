"""A Hypothesis state machine over split, merge, renewals (same/more/fewer), redeem, and
license issue/return: whatever the sequence, live seats per key and product change only by
the extra seats of an increased renewal, `seats_used` equals the active licenses and never
exceeds the seats, and merged packs never come back."""

import datetime
import itertools

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from ilp.core.actors import Actor
from ilp.core.errors import AppError, Conflict, Invalid
from ilp.licensing.models import Order, ProductPack, Renewal
from ilp.licensing.selectors import renewal_candidates
from ilp.licensing.services.renewals import (
    renewable_packs,
    renewal_order_apply,
    renewal_redeem,
)
from ilp.rollout.models import DeviceLicense
from ilp.rollout.services import pack_merge, pack_split
from tests.accounts.factories import add_member, make_company, make_user
from tests.licensing.factories import make_key, make_license, product

pytestmark = pytest.mark.django_db

ACTOR = Actor.system()
SKUS = ("WE", "ICG")
_units = itertools.count(1)
_orders = itertools.count(1)


class SeatsMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.company = make_company()
        self.membership = add_member(make_user(), self.company)
        self.key = make_key(self.company, packs=[("WE", 12), ("WE", 3), ("ICG", 40)])
        self.expected = {"WE": 15, "ICG": 40}
        self.merged: set[int] = set()

    # --- helpers ---------------------------------------------------------------------

    def live(self, sku=None):
        qs = ProductPack.objects.filter(subscription_key=self.key, state="live")
        if sku:
            qs = qs.filter(product__sku=sku)
        return list(qs.select_related("product").order_by("pk"))

    def waiting(self, sku):
        return Renewal.objects.filter(
            subscription_key=self.key, product__sku=sku, status="awaiting_redemption"
        ).first()

    # --- pack operations ---------------------------------------------------------------

    @rule(data=st.data(), sku=st.sampled_from(SKUS))
    def split(self, data, sku):
        pack = data.draw(st.sampled_from(self.live(sku)))
        multiple = pack.product.seat_multiple
        seats = data.draw(
            st.one_of(
                st.integers(-1, pack.seats + 1), st.integers(0, pack.seats // multiple + 1)
            ).map(lambda n, m=multiple, s=pack.seats: n * m if n * m <= s + m else n)
        )
        units = list(
            DeviceLicense.objects.filter(pack=pack, status="active").values_list(
                "unit_id", flat=True
            )
        )
        moving = data.draw(st.lists(st.sampled_from(units), unique=True)) if units else []
        ok = (
            seats >= 1
            and seats % multiple == 0
            and len(moving) <= seats
            and pack.seats - seats >= max(1, pack.seats_used - len(moving))
        )
        try:
            source, created = pack_split(actor=ACTOR, pack=pack, seats=seats, unit_ids=moving)
        except Invalid:
            assert not ok
            return
        assert ok
        assert source.seats + created.seats == pack.seats
        assert created.seats_used == len(moving)

    @rule(data=st.data())
    def merge(self, data):
        packs = self.live()
        if len(packs) < 2:
            return
        chosen = data.draw(st.lists(st.sampled_from(packs), min_size=2, max_size=4))
        distinct = list({p.pk: p for p in chosen}.values())
        before = {p.pk: p.seats for p in distinct}
        try:
            target, merged = pack_merge(actor=ACTOR, packs=chosen)
        except Invalid:
            assert len(distinct) < 2
            return
        except Conflict:
            compatible = len(
                {(p.product_id, p.starts_on, p.expires_on) for p in distinct}
            ) == 1 and all(p.status == "active" for p in distinct)
            assert not compatible
            return
        assert target.pk == chosen[0].pk
        assert target.seats == sum(before.values())
        self.merged |= {p.pk for p in merged}

    # --- licenses (as rollout issues and returns them) ---------------------------------

    @rule(data=st.data())
    def issue_license(self, data):
        free = [p for p in self.live() if p.seats_used < p.seats and p.status == "active"]
        if free:
            pack = data.draw(st.sampled_from(free))
            make_license(pack, f"00E0C5{next(_units):08d}")

    @rule(data=st.data())
    def return_license(self, data):
        from ilp.rollout.services import license_return

        active = list(DeviceLicense.objects.filter(company=self.company, status="active"))
        if active:
            license_return(actor=ACTOR, license=data.draw(st.sampled_from(active)))

    # --- renewals ----------------------------------------------------------------------

    @rule(sku=st.sampled_from(SKUS), delta=st.integers(-3, 3))
    def renew(self, sku, delta):
        renewable = sum(
            p.seats for p in renewable_packs(subscription_key=self.key, product=product(sku))
        )
        step = product(sku).seat_multiple
        seats = max(step, renewable + delta * step)
        pending = self.waiting(sku)
        order = Order.objects.create(
            order_number=f"SM-{next(_orders)}",
            kind="renewal",
            invoice_date=datetime.date.today(),
            company=self.company,
            subscription_key=self.key,
            request_hash="x",
        )
        items = [{"product": sku, "seats": seats, "term_months": 12}]
        try:
            status, _packs = renewal_order_apply(
                actor=ACTOR, order=order, subscription_key=self.key, items=items
            )
        except Conflict as exc:
            assert pending is not None and exc.code == "renewal_pending"
            return
        assert pending is None
        if seats > renewable:
            self.expected[sku] += seats - renewable
        assert status == ("awaiting_redemption" if seats < renewable else "fulfilled")

    @rule(data=st.data(), sku=st.sampled_from(SKUS))
    def redeem(self, data, sku):
        renewal = self.waiting(sku)
        if renewal is None:
            return
        candidates = renewal_candidates(membership=self.membership, renewal=renewal)
        picked = data.draw(st.lists(st.sampled_from(candidates), unique_by=lambda p: p.pk))
        try:
            renewal_redeem(actor=ACTOR, renewal=renewal, packs=picked)
        except AppError as exc:
            assert exc.code in ("seats_not_conserved", "no_packs_picked")
            assert sum(p.seats for p in picked) != renewal.seats
            return
        assert sum(p.seats for p in picked) == renewal.seats
        for p in picked:
            p.refresh_from_db()
            assert p.expires_on == renewal.expires_on

    # --- invariants --------------------------------------------------------------------

    @invariant()
    def live_seats_are_conserved(self):
        for sku, expected in self.expected.items():
            total = (
                ProductPack.objects.filter(
                    subscription_key=self.key, product__sku=sku, state="live"
                ).aggregate(s=Sum("seats"))["s"]
                or 0
            )
            assert total == expected, (sku, total, expected)

    @invariant()
    def seats_used_equals_active_licenses(self):
        for pack in ProductPack.objects.filter(subscription_key=self.key):
            active = DeviceLicense.objects.filter(pack=pack, status="active").count()
            assert pack.seats_used == active <= pack.seats, pack.pack_id
            assert pack.seats >= 1

    @invariant()
    def merged_packs_never_come_back(self):
        states = set(ProductPack.objects.filter(pk__in=self.merged).values_list("state", flat=True))
        assert states <= {"merged"}

    @invariant()
    def split_packs_share_key_product_and_dates(self):
        for pack in ProductPack.objects.filter(
            subscription_key=self.key, split_from__isnull=False
        ).select_related("split_from"):
            assert pack.product_id == pack.split_from.product_id


SeatsMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def test_seats_state_machine(db):
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(SeatsMachine, settings=SeatsMachine.TestCase.settings)
