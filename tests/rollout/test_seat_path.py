"""The seat path (rule 12): licensing's one claim statement, the caller's scope
(`licensed_elsewhere`, `not_assigned`), the pack row naming its UMS, and on PostgreSQL: one
row locked per single-device issuance, the hot queries' plans, and 64 threads on one pack
while it is assigned and unassigned."""

import datetime
import threading

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from ilp.audit.models import AuditEvent
from ilp.core.actors import Actor
from ilp.licensing.models import ProductPack
from ilp.licensing.services.seats import seats_claim
from ilp.rollout import selectors
from ilp.rollout.licensee import Licensee
from ilp.rollout.models import AldToken, DeviceLicense, PackAssignment
from ilp.rollout.services import (
    ald_token_generate,
    licenses_issue,
    pack_assign,
    pack_merge,
    pack_split,
    pack_unassign,
    ums_delete,
)
from ilp.rollout.services import licenses as licenses_module
from tests.conftest import ApiClient
from tests.licensing.factories import make_key
from tests.rollout.factories import issue, make_ums

SYSTEM = Actor.system()


def _ald(key) -> AldToken:
    ald_token_generate(actor=SYSTEM, key=key)
    return AldToken.objects.select_related("subscription_key", "company").get(subscription_key=key)


def _statuses(results):
    return [r.status for r in results]


# --- scope: what a UMS or ALD token sees of the company's licenses -------------------------


@pytest.mark.django_db
def test_an_ald_token_gets_licensed_elsewhere_for_a_device_on_another_keys_pack(company):
    """An ALD token of key A asking for a device licensed on key B's pack learns only that it
    is licensed elsewhere: no document, no pack, no UMS (before: `existing` with B's
    signed document)."""
    key_a = make_key(company, packs=[("WE", 5)])
    key_b = make_key(company, packs=[("WE", 5)])
    ums_b, _ = make_ums(company, packs=list(key_b.product_packs.all()))
    theirs = issue(ums_b, "WE", "00E0C5000001")[0].license
    ald = _ald(key_a)
    [result] = licenses_issue(actor=SYSTEM, ums=ald, product="WE", unit_ids=["00E0C5000001"])
    assert result.status == "licensed_elsewhere"
    assert result.license is None
    assert DeviceLicense.objects.filter(status="active").count() == 1
    assert key_a.product_packs.get().seats_used == 0
    theirs.refresh_from_db()
    assert theirs.status == "active"


@pytest.mark.django_db
def test_a_ums_gets_licensed_elsewhere_for_a_device_of_another_ums(company):
    first = make_key(company, packs=[("WE", 5)]).product_packs.get()
    second = make_key(company, packs=[("WE", 5)]).product_packs.get()
    ums_a, _ = make_ums(company, name="A", packs=[first])
    _ums_b, credential_b = make_ums(company, name="B", packs=[second])
    issue(ums_a, "WE", "00E0C5000001")
    body = ApiClient(credential_b).post(
        "/ums/licenses", {"product": "WE", "unit_ids": ["00-E0-C5-00-00-01"]}
    )
    assert body.status_code == 200
    [result] = body.json()["results"]
    assert result["status"] == "licensed_elsewhere" and not result.get("license")
    assert first.pack_id not in body.content.decode()


@pytest.mark.django_db
def test_an_ald_token_still_gets_its_own_keys_device_as_existing(company):
    """A license on the token's own key is the caller's, whoever issued it."""
    key = make_key(company, packs=[("WE", 5)])
    ums, _ = make_ums(company, packs=list(key.product_packs.all()))
    first = issue(ums, "WE", "00E0C5000001")[0].license
    [result] = licenses_issue(actor=SYSTEM, ums=_ald(key), product="WE", unit_ids=["00E0C5000001"])
    assert result.status == "existing" and result.license.license_id == first.license_id


@pytest.mark.django_db
def test_each_device_gets_the_first_status_that_applies_in_the_contracts_order(company):
    """invalid_unit_id, existing, licensed_elsewhere, eula_not_accepted, not_assigned,
    no_free_seat: one batch meets them all."""
    mine = make_key(company, packs=[("WE", 1)]).product_packs.get()
    other = make_key(company, packs=[("WE", 3)]).product_packs.get()
    ums, _ = make_ums(company, name="mine", packs=[mine])
    elsewhere, _ = make_ums(company, name="other", packs=[other])
    issue(ums, "WE", "00E0C5000001")  # fills `mine`
    issue(elsewhere, "WE", "00E0C5000002")
    results = issue(ums, "WE", "nope", "00E0C5000001", "00E0C5000002", "00E0C5000003")
    # `other` still has 2 free seats, on a pack this UMS may not use.
    assert _statuses(results) == [
        "invalid_unit_id",
        "existing",
        "licensed_elsewhere",
        "not_assigned",
    ]
    pack_unassign(actor=SYSTEM, ums=elsewhere, pack=other, force=True)
    ProductPack.objects.filter(pk=other.pk).update(state="archived")
    assert _statuses(issue(ums, "WE", "00E0C5000003")) == ["no_free_seat"]


@pytest.mark.django_db
def test_a_batch_reads_packs_in_claim_order_past_the_first_chunk(company):
    """A batch reads the caller's packs a few at a time until they hold enough seats: 40
    devices over 30 one-seat packs and one of 20 fill the fullest first and spill in order."""
    key = make_key(company, packs=[("WE", 1)] * 30 + [("WE", 20)])
    packs = list(key.product_packs.order_by("pk"))
    ums, _ = make_ums(company, packs=packs)
    issue(ums, "WE", "00E0C5FF0000")  # ties at 0 used: the earliest created, a 1-seat pack
    results = issue(ums, "WE", *(f"00E0C5AA{i:04d}" for i in range(40)))
    assert _statuses(results) == ["issued"] * 40
    used = dict(ProductPack.objects.filter(subscription_key=key).values_list("pk", "seats_used"))
    assert sum(used.values()) == 41
    assert all(used[p.pk] == 1 for p in packs[:30]) and used[packs[30].pk] == 11
    for p in ProductPack.objects.filter(subscription_key=key):
        assert p.seats_used == DeviceLicense.objects.filter(pack=p, status="active").count()


# --- the pack row names its UMS -------------------------------------------------------------


def _assignees():
    on_rows = dict(ProductPack.objects.exclude(assigned_to=None).values_list("pk", "assigned_to"))
    assignments = dict(PackAssignment.objects.values_list("pack_id", "ums__ums_id"))
    return on_rows, assignments


@pytest.mark.django_db
def test_the_pack_row_names_the_ums_of_its_assignment_through_every_change(company):
    key = make_key(company, packs=[("WE", 10), ("WE", 10)])
    a, b = key.product_packs.order_by("pk")
    ums, _ = make_ums(company, name="one")
    other, _ = make_ums(company, name="two")
    pack_assign(actor=SYSTEM, ums=ums, pack=a)
    pack_assign(actor=SYSTEM, ums=ums, pack=b)
    issue(ums, "WE", "00E0C5000001", "00E0C5000002")
    on_rows, assignments = _assignees()
    assert on_rows == assignments == {a.pk: ums.ums_id, b.pk: ums.ums_id}

    _source, created = pack_split(actor=SYSTEM, pack=a, seats=2)
    on_rows, assignments = _assignees()
    assert on_rows == assignments and on_rows[created.pk] == ums.ums_id

    pack_merge(actor=SYSTEM, packs=[a, created])
    on_rows, assignments = _assignees()
    assert on_rows == assignments and created.pk not in on_rows

    pack_unassign(actor=SYSTEM, ums=ums, pack=b, force=True)
    pack_assign(actor=SYSTEM, ums=other, pack=b)
    on_rows, assignments = _assignees()
    assert on_rows == assignments and on_rows[b.pk] == other.ums_id

    ums_delete(actor=SYSTEM, ums=other, force=True)
    on_rows, assignments = _assignees()
    assert on_rows == assignments == {a.pk: ums.ums_id}


@pytest.mark.django_db
def test_a_claim_refuses_a_pack_unassigned_or_full_since_it_was_picked(company):
    """The claim re-checks, on the pack row, what made the pack a choice (and the company: a
    pack that moved to another company since)."""
    pack = make_key(company, packs=[("WE", 2)]).product_packs.get()
    ums, _ = make_ums(company, packs=[pack])
    today = datetime.date.today()
    kwargs = {
        "pack_id": pack.pk,
        "today": today,
        "assigned_to": ums.ums_id,
        "company_id": company.pk,
    }
    assert seats_claim(count=1, **{**kwargs, "company_id": company.pk + 1000}) is False
    assert seats_claim(count=3, **kwargs) is False
    assert seats_claim(count=2, **kwargs) is True
    assert seats_claim(count=1, **kwargs) is False  # full
    ProductPack.objects.filter(pk=pack.pk).update(seats_used=0, assigned_to=None)
    assert seats_claim(count=1, **kwargs) is False  # unassigned
    assert seats_claim(count=1, **{**kwargs, "today": pack.expires_on}) is False
    assert ProductPack.objects.get(pk=pack.pk).seats_used == 0


@pytest.mark.django_db
def test_a_lost_claim_rolls_its_licenses_back_and_the_next_attempt_issues(company, monkeypatch):
    """A pack that fills up between its choice and its claim: the attempt's license and
    audit rows go and the next attempt picks again. (The concurrent fill is simulated inside
    the attempt, so its rollback frees the seat again and the retry finds the same pack.)"""
    key = make_key(company, packs=[("WE", 1), ("WE", 1)])
    first, second = key.product_packs.order_by("pk")
    ums, _ = make_ums(company, packs=[first, second])
    real, claims = licenses_module.seats_claim, []

    def fill_then_claim(**kwargs):
        if not claims:  # a concurrent request takes the chosen pack's seat at this moment
            ProductPack.objects.filter(pk=kwargs["pack_id"]).update(seats_used=1)
        claims.append(kwargs["pack_id"])
        return real(**kwargs)

    monkeypatch.setattr(licenses_module, "seats_claim", fill_then_claim)
    [result] = issue(ums, "WE", "00E0C5000001")
    assert result.status == "issued"
    assert claims == [first.pk, first.pk] and result.license.pack_id == first.pk
    assert list(DeviceLicense.objects.values_list("unit_id", "pack_id")) == [
        ("00E0C5000001", first.pk)
    ]
    assert ProductPack.objects.get(pk=first.pk).seats_used == 1
    assert AuditEvent.objects.filter(action="license.issued").count() == 1


# --- PostgreSQL: locks, plans, many threads -------------------------------------------------


def _locked_elsewhere(pack_pks) -> set[int]:
    """The packs another connection cannot lock at once (NOWAIT): the rows this
    transaction holds."""
    held = set()
    other = connections.create_connection("default")
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            for pk in pack_pks:
                cursor.execute("SAVEPOINT probe")
                try:
                    cursor.execute(
                        "SELECT 1 FROM licensing_productpack WHERE id = %s FOR UPDATE NOWAIT", [pk]
                    )
                    cursor.execute("RELEASE SAVEPOINT probe")
                except Exception:
                    cursor.execute("ROLLBACK TO SAVEPOINT probe")
                    held.add(pk)
        other.rollback()
    finally:
        other.close()
    return held


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_single_device_issuance_locks_one_pack_row_of_many(company):
    """Flat in customer size: of a UMS's 40 packs of the product, an issuance holds the lock
    of the one it claims from (before: all 40, `SELECT … FOR UPDATE`, until the commit)."""
    key = make_key(company, packs=[("WE", 3)] * 40)
    packs = list(key.product_packs.order_by("pk"))
    ums, _ = make_ums(company, packs=packs)
    issue(ums, "WE", "00E0C5000001", "00E0C5000002")
    with transaction.atomic():  # hold what the issuance locked until this block ends
        [result] = issue(ums, "WE", "00E0C5000003")
        held = _locked_elsewhere([p.pk for p in packs])
    assert result.status == "issued"
    assert held == {result.license.pack_id}
    with transaction.atomic():  # a batch locks the few packs it claims from
        results = issue(ums, "WE", *(f"00E0C51000{i:02d}" for i in range(5)))
        held = _locked_elsewhere([p.pk for p in packs])
    assert held == {r.license.pack_id for r in results} and len(held) == 2


def _plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params) if params is not None else cursor.execute(
            "EXPLAIN " + sql
        )
        return "\n".join(row[0] for row in cursor.fetchall())


def _index_cond(plan: str, *indexes: str) -> str:
    """The index condition of the scan of one of `indexes` in an EXPLAIN text."""
    lines = plan.splitlines()
    for n, line in enumerate(lines):
        if any(f"using {name} on" in line for name in indexes):
            return next(c for c in lines[n + 1 :] if "Index Cond" in c)
    raise AssertionError(f"none of {indexes} in the plan:\n{plan}")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_hot_queries_use_their_index_with_all_its_columns(company):
    """Whatever the statistics (here: none, a fresh table), the existing-license probe uses
    the unique index on (company, product, unit ID) and the pack choice the claim index on
    (UMS, product) in claim order, without a sort."""
    key = make_key(company, packs=[("WE", 3)] * 5)
    ums, _ = make_ums(company, packs=list(key.product_packs.all()))
    issue(ums, "WE", *(f"00E0C5{i:06d}" for i in range(6)))
    licensee = Licensee.of(ums)

    with CaptureQueriesContext(connection) as probes:
        selectors.device_licenses_held(company_id=company.pk, sku="WE", unit_ids=["00E0C5000001"])
    plan = _plan(probes.captured_queries[0]["sql"], None)
    cond = _index_cond(plan, "one_active_license_per_device_product", "license_active_by_unit")
    assert all(col in cond for col in ("company_id", "product_id", "unit_id")), plan

    with CaptureQueriesContext(connection) as picks:
        picked = selectors.pack_pick_first(licensee=licensee, sku="WE", today=datetime.date.today())
    assert picked is not None and picked.subscription_key.key == key.key
    plan = _plan(picks.captured_queries[0]["sql"], None)
    cond = _index_cond(plan, "pack_claim_by_ums")
    assert "assigned_to" in cond and "product_id" in cond, plan
    assert "Sort" not in plan, plan


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_64_threads_on_one_pack_while_it_is_assigned_and_unassigned(company):
    """Seats exact under the worst contention: 64 threads ask for devices on one pack of 20
    seats while another thread unassigns and reassigns it (without force: refused while in
    use) and a third splits and merges another pack of the UMS."""
    key = make_key(company, packs=[("WE", 20), ("WE", 10)])
    pack, spare = key.product_packs.order_by("pk")
    ums, _ = make_ums(company, packs=[pack, spare])
    barrier = threading.Barrier(66)
    errors, statuses = [], []

    def ask(i):
        try:
            barrier.wait()
            for j in range(3):
                results = issue(ums, "WE", f"00E0C5{i:04d}{j:02d}")
                statuses.extend(r.status for r in results)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    def churn_assignment():
        try:
            barrier.wait()
            for _ in range(10):
                try:
                    pack_unassign(actor=SYSTEM, ums=ums, pack=pack)
                    pack_assign(actor=SYSTEM, ums=ums, pack=pack)
                except Exception as exc:  # in use: 409 pack_in_use
                    if getattr(exc, "code", None) != "pack_in_use":
                        raise
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    def churn_spare():
        try:
            barrier.wait()
            for _ in range(5):
                try:
                    _source, created = pack_split(actor=SYSTEM, pack=spare, seats=1)
                except Exception as exc:  # its seats are in use: 422 seats_in_use
                    if getattr(exc, "code", None) != "seats_in_use":
                        raise
                    continue
                pack_merge(actor=SYSTEM, packs=[spare, created])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(64)]
    threads += [threading.Thread(target=churn_assignment), threading.Thread(target=churn_spare)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert statuses.count("issued") == DeviceLicense.objects.filter(status="active").count()
    assert statuses.count("issued") <= 30
    for p in ProductPack.objects.all():
        active = DeviceLicense.objects.filter(pack=p, status="active").count()
        assert p.seats_used == active, p
        assert p.seats_used <= p.seats
        if active:
            assert p.assigned_to == ums.ums_id
    live_seats = sum(ProductPack.objects.filter(state="live").values_list("seats", flat=True))
    assert live_seats == 30
