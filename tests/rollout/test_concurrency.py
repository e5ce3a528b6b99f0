"""PostgreSQL: many parallel requests can never issue more licenses than seats; two exchange
runs at once move each license once."""

import datetime
import threading

import pytest
from django.db import connection

from ilp.audit.models import AuditEvent
from ilp.core.actors import Actor
from ilp.licensing.models import ProductPack
from ilp.rollout.models import DeviceLicense
from ilp.rollout.services import licenses_exchange, pack_assign
from tests.conftest import ApiClient
from tests.licensing.factories import make_key
from tests.rollout.factories import issue, make_ums

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalogue"),
]


def _parallel(n, work):
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


def test_parallel_single_device_requests_issue_exactly_the_seats(company):
    pack = make_key(company, packs=[("WE", 7)]).product_packs.get()
    _ums, credential = make_ums(company, packs=[pack])

    def ask(i):
        response = ApiClient(credential).post(
            "/ums/licenses", {"product": "WE", "unit_ids": [f"00E0C5{i:06d}"]}
        )
        return response.status_code, response.json()["results"][0]["status"]

    results = _parallel(24, ask)
    assert {code for code, _ in results} == {200}
    statuses = [status for _, status in results]
    assert statuses.count("issued") == 7
    assert statuses.count("no_free_seat") == 17
    pack = ProductPack.objects.get(pk=pack.pk)
    assert pack.seats_used == 7 == DeviceLicense.objects.filter(status="active").count()


def test_parallel_requests_for_the_same_device_give_one_license(company):
    first = make_key(company, packs=[("WE", 5)]).product_packs.get()
    second = make_key(company, packs=[("WE", 5)]).product_packs.get()
    # Two UMS of one company with separate packs: only the unique index stops a double.
    _a, cred_a = make_ums(company, name="A", packs=[first])
    _b, cred_b = make_ums(company, name="B", packs=[second])

    def ask(i):
        response = ApiClient(cred_a if i % 2 else cred_b).post(
            "/ums/licenses", {"product": "WE", "unit_ids": ["00E0C5000001"]}
        )
        [result] = response.json()["results"]
        lic = result.get("license")
        return response.status_code, i % 2, result["status"], lic["id"] if lic else None

    results = _parallel(10, ask)
    assert {code for code, *_ in results} == {200}
    assert len({lic for *_, lic in results if lic}) == 1
    [winner] = {side for _, side, status, _ in results if status == "issued"}
    for _, side, status, lic in results:
        # The other UMS learns only that the device is licensed elsewhere (third round).
        assert (status in ("issued", "existing")) == (side == winner) == (lic is not None)
        assert side == winner or status == "licensed_elsewhere"
    assert DeviceLicense.objects.filter(status="active").count() == 1
    used = sum(
        ProductPack.objects.filter(pk__in=[first.pk, second.pk]).values_list(
            "seats_used", flat=True
        )
    )
    assert used == 1


def test_two_exchanges_at_once_move_each_license_once(company):
    """Rule 22: `ilp exchange-licenses` run twice at the same moment (two workers) moves
    every license exactly once and conserves the seats."""
    today = datetime.date.today()
    old = make_key(
        company, packs=[("WE", 6), ("WE", 4)], expires_on=today + datetime.timedelta(days=3)
    )
    new = make_key(
        company, packs=[("WE", 5), ("WE", 8)], expires_on=today + datetime.timedelta(days=400)
    )
    old_packs = list(old.product_packs.order_by("pk"))
    ums, _credential = make_ums(company, packs=old_packs)
    issue(ums, "WE", *[f"00E0C5{i:06d}" for i in range(9)])
    for pack in new.product_packs.all():
        pack_assign(actor=Actor.system(), ums=ums, pack=pack)
    before = set(DeviceLicense.objects.filter(status="active").values_list("license_id", flat=True))

    results = _parallel(2, lambda i: licenses_exchange(actor=Actor.system(), today=today).moved)

    assert sum(results) == 9
    assert AuditEvent.objects.filter(action="license.exchanged").count() == 9
    active = DeviceLicense.objects.filter(status="active")
    assert set(active.values_list("license_id", flat=True)) == before
    assert set(active.values_list("pack__subscription_key", flat=True)) == {new.pk}
    used = dict(ProductPack.objects.values_list("pk", "seats_used"))
    assert sum(used[p.pk] for p in old_packs) == 0
    assert sum(used[p.pk] for p in new.product_packs.all()) == 9
    for pack in ProductPack.objects.all():
        assert pack.seats_used == pack.device_licenses.filter(status="active").count()
