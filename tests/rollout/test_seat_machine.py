"""Hypothesis state machine: issue, return, move, unassign, exchange and refresh in any order
never lose or double a seat — every pack's `seats_used` equals its active licenses, never
above its seats, a device holds at most one active license per product, an exchange never
changes which licenses are active, and every stored document names its license's pack."""

import datetime

import pytest
from django.db.models import Count, Q
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from ilp.core.actors import Actor
from ilp.core.errors import Conflict
from ilp.licensing.models import ProductPack
from ilp.rollout import services, signing
from ilp.rollout.models import DeviceLicense, PackAssignment
from tests.accounts.factories import make_company
from tests.licensing.factories import make_key
from tests.rollout.factories import make_ums

SYSTEM = Actor.system()
UNITS = [f"00E0C50000{n:02d}" for n in range(12)]


class SeatMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.company = make_company()
        # Three packs ending at different times, so that the exchange has somewhere to go.
        self.today = datetime.date.today()
        self.packs = [
            make_key(
                self.company,
                packs=[("WE", seats)],
                expires_on=self.today + datetime.timedelta(days),
            ).product_packs.get()
            for seats, days in ((3, 5), (4, 30), (2, 400))
        ]
        self.ums, _ = make_ums(self.company, packs=self.packs)

    @rule(units=st.lists(st.sampled_from(UNITS), min_size=1, max_size=6))
    def issue(self, units):
        results = services.licenses_issue(actor=SYSTEM, ums=self.ums, product="WE", unit_ids=units)
        assert len(results) == len(units)
        free = sum(
            p.seats - p.seats_used for p in ProductPack.objects.filter(pk__in=self._assigned())
        )
        if any(r.status == "no_free_seat" for r in results):
            assert free == 0

    @rule(unit=st.sampled_from(UNITS))
    def return_license(self, unit):
        lic = DeviceLicense.objects.filter(
            company=self.company, unit_id=unit, status="active"
        ).first()
        if lic:
            assert services.license_return(actor=SYSTEM, license=lic) is True

    @rule(index=st.integers(0, 2), force=st.booleans())
    def unassign(self, index, force):
        pack = self.packs[index]
        if not PackAssignment.objects.filter(pack=pack, ums=self.ums).exists():
            services.pack_assign(actor=SYSTEM, ums=self.ums, pack=pack)
            return
        try:
            services.pack_unassign(actor=SYSTEM, ums=self.ums, pack=pack, force=force)
        except Conflict:
            assert not force

    @rule(source=st.integers(0, 2), dest=st.integers(0, 2))
    def move_one(self, source, dest):
        # What a split with unit IDs does: the caller moves the seat, rollout rebinds.
        src, dst = self.packs[source], self.packs[dest]
        lic = DeviceLicense.objects.filter(pack=src, status="active").first()
        dst.refresh_from_db()
        if source == dest or lic is None or dst.seats_used >= dst.seats:
            return
        src.refresh_from_db()
        ProductPack.objects.filter(pk=src.pk).update(seats_used=src.seats_used - 1)
        ProductPack.objects.filter(pk=dst.pk).update(seats_used=dst.seats_used + 1)
        services.licenses_move(actor=SYSTEM, licenses=[lic], target_pack=dst)

    @rule(days_ahead=st.integers(0, 40))
    def exchange(self, days_ahead):
        active = self._active_ids()
        result = services.licenses_exchange(
            actor=SYSTEM, today=self.today + datetime.timedelta(days=days_ahead)
        )
        assert self._active_ids() == active  # moved, never dropped or added
        assert result.moved >= 0
        again = services.licenses_exchange(
            actor=SYSTEM, today=self.today + datetime.timedelta(days=days_ahead)
        )
        assert again.moved == 0  # idempotent

    @rule()
    def refresh(self):
        active = self._active_ids()
        services.leases_refresh(actor=SYSTEM, ums=self.ums)
        assert self._active_ids() == active

    def _active_ids(self):
        return set(
            DeviceLicense.objects.filter(company=self.company, status="active").values_list(
                "license_id", flat=True
            )
        )

    def _assigned(self):
        return list(PackAssignment.objects.filter(ums=self.ums).values_list("pack_id", flat=True))

    @invariant()
    def seats_used_equals_active_licenses(self):
        packs = ProductPack.objects.filter(pk__in=[p.pk for p in self.packs]).annotate(
            live=Count("device_licenses", filter=Q(device_licenses__status="active"))
        )
        for pack in packs:
            assert pack.seats_used == pack.live, pack.pack_id
            assert 0 <= pack.seats_used <= pack.seats

    @invariant()
    def every_document_names_its_pack(self):
        keyset = signing.jwks()
        for lic in DeviceLicense.objects.filter(company=self.company).select_related("pack"):
            _h, claims = signing.jws_verify(lic.token, keyset)
            assert claims["jti"] == lic.license_id and claims["pack"] == lic.pack.pack_id
            assert claims["exp"] == int(lic.document_expires_at.timestamp())

    @invariant()
    def one_active_license_per_device(self):
        per_unit = (
            DeviceLicense.objects.filter(company=self.company, status="active")
            .values("unit_id")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
        )
        assert not per_unit.exists()


@pytest.mark.django_db
def test_seat_machine():
    SeatMachine.TestCase.settings = settings(
        max_examples=20,
        stateful_step_count=14,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    SeatMachine.TestCase().runTest()
