"""Rules 12–15: issuance policy, assignment, return, forced unassign, UMS life cycle."""

import datetime

import pytest

from ilp.audit.models import AuditEvent
from ilp.core.actors import Actor
from ilp.core.auth import principal_from_token
from ilp.core.errors import Conflict, Invalid, NotFound
from ilp.licensing.models import ProductPack
from ilp.rollout import selectors, services, signing
from ilp.rollout.models import DeviceLicense, PackAssignment, UmsInstance
from tests.accounts.factories import make_company
from tests.licensing.factories import make_key, make_pack
from tests.rollout.factories import assign, issue, make_ums

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system()


def today() -> datetime.date:
    """Today, read when a test runs (a module constant goes stale across midnight)."""
    return datetime.date.today()


def _refresh(*objs):
    for obj in objs:
        obj.refresh_from_db()


def _live_count(pack):
    return DeviceLicense.objects.filter(pack=pack, status="active").count()


# --- unit IDs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("00:e0:c5:12:34:56", "00E0C5123456"),
        ("00-E0-C5-12-34-56", "00E0C5123456"),
        ("abc123", "ABC123"),
        ("abc12", None),  # too short
        # One parser for upload, API and search (issue 13): spaces and dots separate too.
        ("00E0 C512", "00E0C512"),
        ("00e0.c5aa.0003", "00E0C5AA0003"),
        ("00_E0_C5_12", None),  # other punctuation is not a separator
        ("not valid", None),  # spaces and dots separate hex groups only
        ("ABC.DEFGHI", None),
        ("X" * 65, None),
        ("ÄÖÜ123", None),
    ],
)
def test_unit_id_normalize(raw, expected):
    assert services.unit_id_normalize(raw) == expected


def test_search_accepts_any_separator():
    assert services.unit_id_search_normalize("00e0.c512.3456") == "00E0C5123456"
    assert services.unit_id_search_normalize(" 00 e0 c5 12 34 56 ") == "00E0C5123456"


def test_unit_ids_parse_lines_and_csv():
    text = "unit_id,comment\n00:E0:C5:00:00:01,desk\n\n00E0C5000002;x\n  00e0c5000003  \n"
    assert services.unit_ids_parse(text) == ["00:E0:C5:00:00:01", "00E0C5000002", "00e0c5000003"]


# --- issuance policy -----------------------------------------------------------------------


def test_issue_prefers_most_used_pack_then_earliest(company):
    key = make_key(company, packs=[("WE", 5, 1), ("WE", 5, 3), ("WE", 5, 3)])
    first, busiest, tie = key.product_packs.order_by("created_at", "pk")
    ums, _ = make_ums(company, packs=[first, busiest, tie])
    results = issue(ums, "WE", "AAAAAA01", "AAAAAA02", "AAAAAA03")
    assert [r.status for r in results] == ["issued"] * 3
    # busiest (3 used, created before `tie`) fills up first: 2 seats; then tie (3 used).
    assert [r.license.pack_id for r in results] == [busiest.pk, busiest.pk, tie.pk]
    _refresh(first, busiest, tie)
    assert (first.seats_used, busiest.seats_used, tie.seats_used) == (1, 5, 4)


def test_licenses_spread_over_packs_each_keep_their_own_pack_and_state(company):
    """Planned licenses are clones of one prototype: each has its own pack, ID and state."""
    key = make_key(company, packs=[("WE", 2), ("WE", 2)])
    ums, _ = make_ums(company, packs=list(key.product_packs.all()))
    results = issue(ums, "WE", *(f"CLONE{n:03d}" for n in range(4)))
    licenses = [r.license for r in results]
    assert len({lic.pk for lic in licenses}) == len({lic.license_id for lic in licenses}) == 4
    for lic in licenses:
        stored = DeviceLicense.objects.get(pk=lic.pk)
        assert (stored.pack_id, stored.unit_id, stored.ums_id) == (lic.pack.pk, lic.unit_id, ums.pk)
        assert lic.pack_id == lic.pack.pk and not lic._state.adding
    assert len({lic.pack_id for lic in licenses}) == 2
    assert len({id(lic._state.fields_cache) for lic in licenses}) == 4


def test_a_license_returned_right_after_the_probe_is_answered_as_it_was(ums, pack, monkeypatch):
    """Which devices hold a license is one probe without locks; a license returned right
    after it is answered as `existing` (the request counts as before the return), and its
    seat stays free: seats_used always equals the live licenses."""
    first = issue(ums, "WE", "AAAAAA01")[0].license
    probe = selectors.device_licenses_held

    def probe_then_return(**kwargs):
        found = probe(**kwargs)
        services.license_return(actor=SYSTEM, license=first)  # a concurrent DELETE
        return found

    monkeypatch.setattr(selectors, "device_licenses_held", probe_then_return)
    again = issue(ums, "WE", "AAAAAA01")[0]
    assert again.status == "existing" and again.license.license_id == first.license_id
    pack.refresh_from_db()
    assert pack.seats_used == _live_count(pack) == 0
    monkeypatch.setattr(selectors, "device_licenses_held", probe)
    third = issue(ums, "WE", "AAAAAA01")[0]
    assert third.status == "issued" and third.license.license_id != first.license_id
    pack.refresh_from_db()
    assert pack.seats_used == _live_count(pack) == 1


def test_expired_and_not_yet_active_packs_never_issue(company):
    expired = make_key(
        company, starts_on=today() - datetime.timedelta(days=400), expires_on=today()
    ).product_packs.get()
    future = make_key(
        company,
        starts_on=today() + datetime.timedelta(days=1),
        expires_on=today() + datetime.timedelta(days=400),
    ).product_packs.get()
    ums, _ = make_ums(company, packs=[expired, future])
    [result] = issue(ums, "WE", "AAAAAA01")
    assert result.status == "no_free_seat" and result.license is None
    assert DeviceLicense.objects.count() == 0


def test_archived_and_unassigned_packs_never_issue(company):
    key = make_key(company, packs=[("WE", 5), ("WE", 5)])
    archived, unassigned = key.product_packs.all()
    ProductPack.objects.filter(pk=archived.pk).update(state="archived")
    ums, _ = make_ums(company, packs=[archived])
    # The company's other pack has free seats, on no pack this UMS may use.
    assert issue(ums, "WE", "AAAAAA01")[0].status == "not_assigned"
    assert _live_count(unassigned) == 0


def test_no_free_seat_is_per_device_and_the_batch_goes_on(company):
    pack = make_key(company, packs=[("WE", 2)]).product_packs.get()
    ums, _ = make_ums(company, packs=[pack])
    results = issue(ums, "WE", "AAAAAA01", "bad", "AAAAAA02", "AAAAAA03")
    assert [r.status for r in results] == ["issued", "invalid_unit_id", "issued", "no_free_seat"]
    assert results[1].unit_id == "bad"
    pack.refresh_from_db()
    assert pack.seats_used == 2 == _live_count(pack)


def test_repeat_and_duplicate_give_the_same_license(ums, pack):
    first = issue(ums, "WE", "00:e0:c5:12:34:56", "00E0C5123456")
    assert [r.status for r in first] == ["issued", "existing"]
    assert first[0].license.license_id == first[1].license.license_id
    again = issue(ums, "WE", "00-E0-C5-12-34-56")
    assert again[0].status == "existing"
    assert again[0].license.license_id == first[0].license.license_id
    pack.refresh_from_db()
    assert pack.seats_used == 1


def test_other_product_is_another_license(company, ums):
    emp = make_key(company, packs=[("EMP", 3)]).product_packs.get()
    assign(emp, ums)
    we = issue(ums, "WE", "AAAAAA01")[0].license
    emp_lic = issue(ums, "emp", "AAAAAA01")[0].license
    assert we.license_id != emp_lic.license_id and emp_lic.pack_id == emp.pk


def test_more_than_1000_is_invalid(ums):
    with pytest.raises(Invalid) as exc:
        issue(ums, "WE", *[f"AAAA{n:04d}" for n in range(1001)])
    assert exc.value.code == "too_many_unit_ids"


def test_unknown_product_is_invalid(ums):
    with pytest.raises(Invalid) as exc:
        issue(ums, "NOPE", "AAAAAA01")
    assert exc.value.code == "unknown_product"


def test_issue_writes_one_audit_event_per_license(ums):
    issue(ums, "WE", "AAAAAA01", "AAAAAA02")
    events = AuditEvent.objects.filter(action="license.issued")
    assert events.count() == 2
    assert {e.actor_label for e in events} == {f"ums:{ums.ums_id}"}


def test_a_1000_device_batch_runs_a_constant_number_of_queries(
    company, django_assert_max_num_queries
):
    packs = list(make_key(company, packs=[("WE", 600), ("WE", 600)]).product_packs.all())
    ums, _ = make_ums(company, packs=packs)
    issue(ums, "WE", "SEEDED01")  # registers the signing key
    ids = [f"00E0C5{n:06d}" for n in range(1000)]
    with django_assert_max_num_queries(20):
        results = issue(ums, "WE", *ids)
    assert sum(r.status == "issued" for r in results) == 1000
    assert sum(p.seats_used for p in ProductPack.objects.filter(pk__in=[p.pk for p in packs])) == (
        1001
    )


# --- re-signing after a renewal moved the expiry --------------------------------------------


def _move_expiry(pack, days=365):
    ProductPack.objects.filter(pk=pack.pk).update(
        expires_on=pack.expires_on + datetime.timedelta(days=days)
    )
    pack.refresh_from_db()


def test_issuing_again_re_signs_a_stale_license_without_an_audit_event(ums, pack):
    lic = issue(ums, "WE", "AAAAAA01")[0].license
    _move_expiry(pack)
    again = issue(ums, "WE", "AAAAAA01")[0]
    assert again.status == "existing" and again.license.license_id == lic.license_id
    lic.refresh_from_db()
    assert lic.expires_on == pack.expires_on and lic.token == again.license.token
    _h, claims = signing.jws_verify(lic.token, signing.jwks())
    assert claims["entitled_until"] == signing.date_to_epoch(pack.expires_on)
    assert not AuditEvent.objects.filter(action="license.resigned").exists()


def test_licenses_resign_re_signs_only_stale_licenses_and_audits_each(company, ums, pack):
    stale = issue(ums, "WE", "AAAAAA01", "AAAAAA02")
    _move_expiry(pack)
    assert services.licenses_resign(actor=SYSTEM, pack_ids=[pack.pk], batch=1) == 2
    events = AuditEvent.objects.filter(action="license.resigned")
    assert {e.object_id for e in events} == {r.license.license_id for r in stale}
    assert {e.after["expires_on"] for e in events} == {str(pack.expires_on)}
    assert services.licenses_resign(actor=SYSTEM, pack_ids=[pack.pk]) == 0  # nothing stale now
    assert events.count() == 2


# --- returning and removing hardware -------------------------------------------------------


def test_return_frees_the_seat_and_a_second_return_changes_nothing(ums, pack):
    lic = issue(ums, "WE", "AAAAAA01")[0].license
    assert services.license_return(actor=SYSTEM, license=lic) is True
    assert services.license_return(actor=SYSTEM, license=lic) is False
    pack.refresh_from_db()
    lic.refresh_from_db()
    assert pack.seats_used == 0 and lic.status == "returned" and lic.ended_at
    assert AuditEvent.objects.filter(action="license.returned").count() == 1
    # The device can be licensed again afterwards: a new license.
    again = issue(ums, "WE", "AAAAAA01")[0]
    assert again.status == "issued" and again.license.license_id != lic.license_id


# --- assignment ----------------------------------------------------------------------------


def test_assign_is_idempotent_and_exclusive(company, pack):
    a, _ = make_ums(company, name="A")
    b, _ = make_ums(company, name="B")
    assert services.pack_assign(actor=SYSTEM, ums=a, pack=pack) is True
    assert services.pack_assign(actor=SYSTEM, ums=a, pack=pack) is False
    with pytest.raises(Conflict) as exc:
        services.pack_assign(actor=SYSTEM, ums=b, pack=pack)
    assert exc.value.code == "pack_assigned_elsewhere"


def test_merged_or_archived_packs_cannot_be_assigned(company, pack):
    ums, _ = make_ums(company)
    ProductPack.objects.filter(pk=pack.pk).update(state="archived")
    pack.refresh_from_db()
    with pytest.raises(Conflict) as exc:
        services.pack_assign(actor=SYSTEM, ums=ums, pack=pack)
    assert exc.value.code == "pack_not_assignable"


def test_another_companys_pack_cannot_be_assigned(company):
    ums, _ = make_ums(company)
    foreign = make_key(make_company()).product_packs.get()
    with pytest.raises(NotFound):
        services.pack_assign(actor=SYSTEM, ums=ums, pack=foreign)


def test_unassign_in_use_needs_force_and_forced_revokes_each_in_the_audit_log(ums, pack):
    lics = [r.license for r in issue(ums, "WE", "AAAAAA01", "AAAAAA02", "AAAAAA03")]
    with pytest.raises(Conflict) as exc:
        services.pack_unassign(actor=SYSTEM, ums=ums, pack=pack)
    assert exc.value.code == "pack_in_use"
    assert services.pack_unassign(actor=SYSTEM, ums=ums, pack=pack, force=True) == 3
    pack.refresh_from_db()
    assert pack.seats_used == 0
    assert not PackAssignment.objects.filter(pack=pack).exists()
    assert set(DeviceLicense.objects.values_list("status", flat=True)) == {"revoked"}
    revoked = AuditEvent.objects.filter(action="license.revoked")
    assert sorted(revoked.values_list("object_id", flat=True)) == sorted(
        lic.license_id for lic in lics
    )


def test_unassign_unused_pack_needs_no_force(ums, pack):
    assert services.pack_unassign(actor=SYSTEM, ums=ums, pack=pack) == 0
    with pytest.raises(NotFound):
        services.pack_unassign(actor=SYSTEM, ums=ums, pack=pack)


def test_auto_assign_goes_to_the_one_auto_assign_ums(company):
    a, _ = make_ums(company, name="A", auto_assign=True)
    b, _ = make_ums(company, name="B", auto_assign=True)  # takes over
    a.refresh_from_db()
    assert (a.auto_assign, b.auto_assign) == (False, True)
    key = make_key(company, packs=[("WE", 3), ("EMP", 2)])
    packs = list(key.product_packs.all())
    # It answers what it assigned (an order shows it without reading the packs back).
    assert services.packs_auto_assign(actor=SYSTEM, packs=packs) == {p.pk: b.ums_id for p in packs}
    assert services.packs_auto_assign(actor=SYSTEM, packs=packs) == {}  # twice is harmless
    assert set(PackAssignment.objects.values_list("ums_id", flat=True)) == {b.pk}
    assert PackAssignment.objects.count() == 2


def test_auto_assign_without_auto_ums_does_nothing(company, pack):
    make_ums(company)
    services.packs_auto_assign(actor=SYSTEM, packs=[pack])
    assert not PackAssignment.objects.exists()


def test_every_assignment_is_audited_with_why(company):
    ums, _ = make_ums(company, auto_assign=True)
    key = make_key(company, packs=[("WE", 10), ("WE", 5), ("WE", 4), ("WE", 3)])
    by_hand, split_me, target, merge_me = key.product_packs.order_by("pk")
    PackAssignment.objects.all().delete()  # the auto-assign UMS took them all
    services.pack_assign(actor=SYSTEM, ums=ums, pack=by_hand)
    services.packs_auto_assign(actor=SYSTEM, packs=[split_me])
    _source, created = services.pack_split(actor=SYSTEM, pack=split_me, seats=2)
    assign(merge_me, ums)
    services.pack_merge(actor=SYSTEM, packs=[target, merge_me])
    after = {
        e.object_id: e.after
        for e in AuditEvent.objects.filter(action="pack.assigned").order_by("id")
    }
    assert after[by_hand.pack_id] == {"ums_id": ums.ums_id}
    assert after[split_me.pack_id] == {"ums_id": ums.ums_id, "auto_assign": True}
    assert after[created.pack_id] == {"ums_id": ums.ums_id, "split_from": split_me.pack_id}
    assert after[target.pack_id] == {"ums_id": ums.ums_id, "merged_from": [merge_me.pack_id]}


# --- UMS instances -------------------------------------------------------------------------


def test_register_stores_only_the_hash_and_the_credential_authenticates(company):
    ums, credential = make_ums(company)
    assert credential.startswith("ilpm_")
    assert credential not in ums.credential_hash
    assert ums.ums_id.startswith("UMS-") and len(ums.ums_id) == 10
    assert principal_from_token(credential).ums == ums


def test_rotation_stops_the_old_credential_at_once(company):
    ums, old = make_ums(company)
    new = services.ums_credential_rotate(actor=SYSTEM, ums=ums)
    assert principal_from_token(old) is None
    assert principal_from_token(new).ums == ums


def test_rename_and_blank_name(ums):
    services.ums_update(actor=SYSTEM, ums=ums, name="  Hamburg  ")
    ums.refresh_from_db()
    assert ums.name == "Hamburg"
    with pytest.raises(Invalid):
        services.ums_update(actor=SYSTEM, ums=ums, name="   ")


def test_delete_in_use_needs_force(ums, pack):
    issue(ums, "WE", "AAAAAA01")
    with pytest.raises(Conflict) as exc:
        services.ums_delete(actor=SYSTEM, ums=ums)
    assert exc.value.code == "ums_in_use"
    assert services.ums_delete(actor=SYSTEM, ums=ums, force=True) == 1
    pack.refresh_from_db()
    assert pack.seats_used == 0 and not UmsInstance.objects.exists()
    assert DeviceLicense.objects.get().status == "revoked"


# --- licenses_move (used by split and merge) -----------------------------------------------


def test_licenses_move_rebinds_and_resigns_keeping_ids(company, ums, pack):
    other_key = make_key(company, expires_on=today() + datetime.timedelta(days=700))
    target = make_pack(other_key, "WE", 5)
    lic = issue(ums, "WE", "AAAAAA01")[0].license
    old_token = lic.token
    services.licenses_move(actor=SYSTEM, licenses=[lic], target_pack=target)
    lic.refresh_from_db()
    assert lic.pack_id == target.pk and lic.license_id == lic.license_id
    assert lic.token != old_token and lic.expires_on == target.expires_on
    _h, claims = signing.jws_verify(lic.token, signing.jwks())
    assert claims["pack"] == target.pack_id and claims["subscription_key"] == other_key.key
