"""PostgreSQL: bulk "Remove" racing with itself and with single removals frees each seat once
(the seat ledger stays equal to the active licenses), and never deadlocks."""

import threading

import pytest
from django.db import connection

from ilp.audit.models import AuditEvent
from ilp.core.actors import Actor
from ilp.licensing.models import ProductPack
from ilp.rollout.models import DeviceLicense
from ilp.rollout.services import devices_remove, license_return
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


def test_parallel_bulk_removals_free_each_seat_once(company, admin_user):
    key = make_key(company, packs=[("WE", 20), ("EMP", 20)])
    we = key.product_packs.get(product__sku="WE")
    emp = key.product_packs.get(product__sku="EMP")
    ums, _ = make_ums(company, packs=[we, emp])
    units = [f"00E0C5{i:06d}" for i in range(12)]
    issue(ums, "WE", *units)
    issue(ums, "EMP", *units[:6])
    membership = admin_user.memberships.get(company=company)
    singles = list(DeviceLicense.objects.filter(unit_id=units[0]).order_by("pk"))

    def work(i):
        if i < 6:  # overlapping batches, in opposite orders half of the time
            batch = units if i % 2 else list(reversed(units))
            return devices_remove(actor=Actor.system(), membership=membership, unit_ids=batch)
        return license_return(actor=Actor.system(), license=singles[i % len(singles)])

    results = _parallel(8, work)
    removed = [r["unit_id"] for batch in results[:6] for r in batch if r["status"] == "removed"]
    assert len(removed) <= len(units)
    assert not DeviceLicense.objects.filter(status="active").exists()
    for pack in (we, emp):
        assert ProductPack.objects.get(pk=pack.pk).seats_used == 0
    assert AuditEvent.objects.filter(action="license.returned").count() == 18
