"""License lifecycle (rules 21–24): leases, refresh, revocation list, exchange, demo licenses.

Time moves with the `clock` fixture (it replaces django.utils.timezone.now, which every
service and `timezone.localdate()` read).
"""

import datetime
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from ilp.audit.models import AuditEvent
from ilp.core.actors import Actor
from ilp.licensing.models import ProductPack
from ilp.rollout import files, services, signing
from ilp.rollout.models import DemoLicense, DeviceLicense
from ilp.web.management.commands.worker import Daily
from tests.conftest import ApiClient
from tests.licensing.factories import make_key
from tests.rollout.factories import issue, make_ums

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system()
DAY = 86400


class Clock:
    def __init__(self, monkeypatch):
        self.offset = datetime.timedelta()
        real = timezone.now
        monkeypatch.setattr(timezone, "now", lambda: real() + self.offset)

    def advance(self, **delta):
        self.offset += datetime.timedelta(**delta)

    def now(self):
        return timezone.now()


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def _claims(token):
    return signing.jws_verify(token, signing.jwks())[1]


def _verify(token, capsys, *extra):
    with pytest.raises(SystemExit) as exc:
        call_command("verify_license", token, *extra)
        raise SystemExit(0)
    out = capsys.readouterr()
    return exc.value.code, out.out + out.err


# --- leases ----------------------------------------------------------------------------------


def test_a_document_expires_after_the_lease(ums, pack):
    lic = issue(ums, "WE", "AAAAAA01")[0].license
    claims = _claims(lic.token)
    assert claims["exp"] == claims["iat"] + 30 * DAY
    assert claims["lease"] is True
    assert claims["entitled_until"] == signing.date_to_epoch(pack.expires_on)
    assert lic.document_expires_at.timestamp() == claims["exp"]


def test_a_document_expires_at_the_packs_end_when_that_comes_first(company):
    soon = datetime.date.today() + datetime.timedelta(days=10)
    pack = make_key(company, packs=[("WE", 2)], expires_on=soon).product_packs.get()
    ums, _ = make_ums(company, packs=[pack])
    claims = _claims(issue(ums, "WE", "AAAAAA01")[0].license.token)
    assert claims["exp"] == signing.date_to_epoch(soon) == claims["entitled_until"]


def test_a_ums_may_get_a_longer_lease_up_to_the_maximum(company, ums, admin_api, settings):
    url = f"/companies/{company.gaid}/ums/{ums.ums_id}"
    response = admin_api.patch(url, {"lease_days": 90})
    assert response.status_code == 200 and response.json()["lease_days"] == 90
    ums.refresh_from_db()
    claims = _claims(issue(ums, "WE", "AAAAAA01")[0].license.token)
    assert claims["exp"] == claims["iat"] + 90 * DAY
    too_long = admin_api.patch(url, {"lease_days": settings.ILP_LICENSE_LEASE_MAX_DAYS + 1})
    assert too_long.status_code == 422 and too_long.json()["code"] == "invalid_lease_days"
    assert admin_api.patch(url, {"lease_days": 0}).status_code == 422
    event = AuditEvent.objects.filter(action="ums.updated").latest("id")
    assert event.before["lease_days"] == 30 and event.after["lease_days"] == 90


def test_asking_again_refreshes_the_document_once_half_the_lease_is_gone(ums, clock):
    first = issue(ums, "WE", "AAAAAA01")[0].license
    again = issue(ums, "WE", "AAAAAA01")[0]
    assert again.status == "existing" and again.license.token == first.token
    clock.advance(days=14)
    assert issue(ums, "WE", "AAAAAA01")[0].license.token == first.token  # more than half left
    clock.advance(days=2)
    later = issue(ums, "WE", "AAAAAA01")[0]
    assert later.status == "existing" and later.license.license_id == first.license_id
    assert later.license.token != first.token
    claims = _claims(later.license.token)
    assert claims["exp"] == claims["iat"] + 30 * DAY
    stored = DeviceLicense.objects.get(pk=first.pk)
    assert stored.token == later.license.token
    assert stored.listed_until == stored.document_expires_at + datetime.timedelta(days=28)


def test_no_refresh_when_the_pack_ends_before_a_new_lease_would(company, clock):
    soon = datetime.date.today() + datetime.timedelta(days=6)
    pack = make_key(company, packs=[("WE", 2)], expires_on=soon).product_packs.get()
    ums, _ = make_ums(company, packs=[pack])
    first = issue(ums, "WE", "AAAAAA01")[0].license
    clock.advance(days=3)
    assert issue(ums, "WE", "AAAAAA01")[0].license.token == first.token


def test_a_document_from_before_leases_is_replaced_on_the_next_refresh(ums, clock):
    lic = issue(ums, "WE", "AAAAAA01")[0].license
    # What the migration leaves for a license signed before leases: no signing time.
    DeviceLicense.objects.filter(pk=lic.pk).update(document_signed_at=None)
    clock.advance(seconds=2)
    again = issue(ums, "WE", "AAAAAA01")[0].license
    assert again.token != lic.token and _claims(again.token)["lease"] is True


def test_get_licenses_refreshes_due_documents_and_changed_since_lists_them(ums, ums_api, clock):
    issue(ums, "WE", "AAAAAA01", "AAAAAA02")
    mark = clock.now()
    clock.advance(seconds=1)
    listed = ums_api.get("/ums/licenses", {"changed_since": mark.isoformat()})
    assert listed.status_code == 200 and listed.json()["count"] == 0
    clock.advance(days=16)
    mark = clock.now()
    listed = ums_api.get("/ums/licenses", {"changed_since": mark.isoformat()}).json()
    assert listed["count"] == 2  # refreshed by this very request
    item = listed["items"][0]
    assert item["lease_expires_at"] and item["signed_at"] and item["demo"] is False
    assert _claims(item["token"])["iat"] >= int(mark.timestamp())
    assert AuditEvent.objects.filter(action="license.leases_refreshed").count() == 1
    ums.refresh_from_db()
    assert ums.last_refresh_at is not None
    bad = ums_api.get("/ums/licenses", {"changed_since": "yesterday"})
    assert bad.status_code == 422


# --- revocation -------------------------------------------------------------------------------


def test_a_returned_license_is_on_the_signed_revocation_list_at_once(company, ums, ums_api, api):
    kept, gone = (r.license for r in issue(ums, "WE", "AAAAAA01", "AAAAAA02"))
    assert ums_api.delete(f"/ums/licenses/{gone.license_id}").status_code == 204
    response = ums_api.get("/ums/revocations")
    assert response.status_code == 200
    token = response.json()["token"]
    keyset = api().get("/.well-known/jwks.json").json()
    header, claims = signing.jws_verify(token, keyset)
    assert header["typ"] == "ilp-revocations+jwt"
    assert claims["gaid"] == company.gaid and claims["revoked"] == [gone.license_id]
    assert claims["iss"] and claims["iat"]
    assert kept.license_id not in claims["revoked"]


def test_revoked_and_removed_licenses_are_listed_too(company, ums, pack, admin_api):
    lic = issue(ums, "WE", "AAAAAA01")[0].license
    other = issue(ums, "WE", "AAAAAA02")[0].license
    admin_api.delete(f"/companies/{company.gaid}/devices/AAAAAA01/licenses/{lic.license_id}")
    services.pack_unassign(actor=SYSTEM, ums=ums, pack=pack, force=True)
    claims = _claims(files.revocation_list_sign(ums=ums))
    assert sorted(claims["revoked"]) == sorted([lic.license_id, other.license_id])


def test_the_list_shrinks_once_the_last_document_can_no_longer_verify(company, ums, clock):
    lic = issue(ums, "WE", "AAAAAA01")[0].license
    services.license_return(actor=SYSTEM, license=lic)
    token = lic.token
    clock.advance(days=30 + 28, seconds=-5)
    assert _claims(files.revocation_list_sign(ums=ums))["revoked"] == [lic.license_id]
    assert signing.license_time_state(_claims(token), clock.now())[0] is True
    clock.advance(seconds=10)
    # The document no longer verifies (lease + grace days), so the list need not carry it.
    assert signing.license_time_state(_claims(token), clock.now())[0] is False
    assert _claims(files.revocation_list_sign(ums=ums))["revoked"] == []


def test_a_never_expiring_document_from_before_leases_stays_listed(company, ums, clock):
    lic = issue(ums, "WE", "AAAAAA01")[0].license
    DeviceLicense.objects.filter(pk=lic.pk).update(
        document_signed_at=None, document_expires_at=None, listed_until=None
    )
    services.license_return(actor=SYSTEM, license=lic)
    clock.advance(days=3650)
    assert _claims(files.revocation_list_sign(ums=ums))["revoked"] == [lic.license_id]


def test_the_license_file_carries_the_revocation_list_and_when_to_fetch_the_next(
    company, ums, ums_api
):
    kept, gone = (r.license for r in issue(ums, "WE", "AAAAAA01", "AAAAAA02"))
    ums_api.delete(f"/ums/licenses/{gone.license_id}")
    claims = _claims(ums_api.get("/ums/license-file").content.decode())
    assert [item["id"] for item in claims["licenses"]] == [kept.license_id]
    assert _claims(claims["revocations"])["revoked"] == [gone.license_id]
    assert claims["lease_days"] == 30
    assert claims["refresh_by"] == pytest.approx(claims["iat"] + 15 * DAY, abs=2)


def test_verify_license_fails_a_revoked_license(company, ums, ums_api, tmp_path, capsys):
    kept, gone = (r.license for r in issue(ums, "WE", "AAAAAA01", "AAAAAA02"))
    ums_api.delete(f"/ums/licenses/{gone.license_id}")
    answer = tmp_path / "revocations.json"
    answer.write_text(json.dumps(ums_api.get("/ums/revocations").json()))
    code, out = _verify(gone.token, capsys, "--revocations", str(answer))
    assert code == 1 and "revoked" in out
    assert _verify(gone.token, capsys)[0] == 0  # without the list it still verifies
    assert _verify(kept.token, capsys, "--revocations", str(answer))[0] == 0
    # The bare JWS and a license file work as the list too.
    bare = tmp_path / "revocations.jwt"
    bare.write_text(ums_api.get("/ums/revocations").json()["token"])
    assert _verify(gone.token, capsys, "--revocations", str(bare))[0] == 1
    license_file = tmp_path / "file.jwt"
    license_file.write_text(ums_api.get("/ums/license-file").content.decode())
    assert _verify(gone.token, capsys, "--revocations", str(license_file))[0] == 1
    assert _verify(str(license_file), capsys)[0] == 0


def test_verify_license_refuses_a_forged_revocation_list(ums, tmp_path, capsys):
    lic = issue(ums, "WE", "AAAAAA01")[0].license
    forged = tmp_path / "forged.jwt"
    forged.write_text(lic.token)  # signed, but not a revocation list
    code, out = _verify(lic.token, capsys, "--revocations", str(forged))
    assert code == 1 and "revocation list" in out


def test_done_when_a_returned_document_stops_verifying_within_lease_plus_grace(ums, ums_api, clock):
    lic = issue(ums, "WE", "AAAAAA01")[0].license
    clock.advance(days=16)
    fresh = issue(ums, "WE", "AAAAAA01")[0].license  # the latest document handed out
    ums_api.delete(f"/ums/licenses/{lic.license_id}")
    clock.advance(days=30 + 28, seconds=1)
    for token in (lic.token, fresh.token):
        assert signing.license_time_state(_claims(token), clock.now())[0] is False


# --- automatic exchange -----------------------------------------------------------------------


@pytest.fixture
def expiring(company):
    """UMS with an old pack expiring in 5 days (3 licenses) and a later one (4 seats)."""
    today = datetime.date.today()
    old = make_key(company, packs=[("WE", 3)], expires_on=today + datetime.timedelta(days=5))
    new = make_key(company, packs=[("WE", 4)], expires_on=today + datetime.timedelta(days=370))
    old_pack, new_pack = old.product_packs.get(), new.product_packs.get()
    ums, credential = make_ums(company, name="Fleet", packs=[old_pack])
    licenses = [r.license for r in issue(ums, "WE", "AAAAAA01", "AAAAAA02", "AAAAAA03")]
    services.pack_assign(actor=SYSTEM, ums=ums, pack=new_pack)
    return ums, credential, old_pack, new_pack, licenses


def _run_exchange(capsys, *args):
    call_command("exchange_licenses", *args)
    return capsys.readouterr().out.strip()


def test_exchange_moves_licenses_to_a_later_pack_with_seats_conserved(expiring, capsys):
    ums, _credential, old_pack, new_pack, licenses = expiring
    assert _run_exchange(capsys) == "exchanged 3 licenses"
    old_pack.refresh_from_db()
    new_pack.refresh_from_db()
    assert (old_pack.seats_used, new_pack.seats_used) == (0, 3)
    moved = DeviceLicense.objects.filter(status="active").order_by("pk")
    assert [m.license_id for m in moved] == [lic.license_id for lic in licenses]
    assert {m.pack_id for m in moved} == {new_pack.pk}
    assert {_claims(m.token)["pack"] for m in moved} == {new_pack.pack_id}
    events = AuditEvent.objects.filter(action="license.exchanged")
    assert events.count() == 3
    assert {(e.before["pack"], e.after["pack"]) for e in events} == {
        (old_pack.pack_id, new_pack.pack_id)
    }
    assert _run_exchange(capsys) == "exchanged 0 licenses"  # idempotent


def test_exchange_by_date_and_only_within_the_window(expiring, capsys):
    _ums, _c, old_pack, new_pack, _l = expiring
    early = (old_pack.expires_on - datetime.timedelta(days=8)).isoformat()
    assert _run_exchange(capsys, "--date", early) == "exchanged 0 licenses"
    due = (old_pack.expires_on - datetime.timedelta(days=7)).isoformat()
    assert _run_exchange(capsys, "--date", due) == "exchanged 3 licenses"


def test_exchange_fills_only_free_seats_and_leaves_the_rest(company, capsys):
    today = datetime.date.today()
    old = make_key(company, packs=[("WE", 3)], expires_on=today + datetime.timedelta(days=2))
    new = make_key(company, packs=[("WE", 2)], expires_on=today + datetime.timedelta(days=300))
    ums, _ = make_ums(company, packs=[old.product_packs.get(), new.product_packs.get()])
    issue(ums, "WE", "AAAAAA09")  # the fuller old pack goes first: it takes this seat
    issue(ums, "WE", "AAAAAA01", "AAAAAA02")
    new_pack = new.product_packs.get()
    assert new_pack.seats_used == 0
    assert _run_exchange(capsys) == "exchanged 2 licenses"
    assert ProductPack.objects.get(pk=old.product_packs.get().pk).seats_used == 1
    assert ProductPack.objects.get(pk=new_pack.pk).seats_used == 2


def test_exchange_stays_on_the_same_ums_and_respects_its_switch(expiring, company, capsys):
    ums, _c, old_pack, new_pack, _l = expiring
    services.pack_unassign(actor=SYSTEM, ums=ums, pack=new_pack)
    make_ums(company, name="Other", packs=[new_pack])
    assert _run_exchange(capsys) == "exchanged 0 licenses"  # the later pack is elsewhere
    services.pack_unassign(actor=SYSTEM, ums=new_pack.assignment.ums, pack=new_pack)
    services.pack_assign(actor=SYSTEM, ums=ums, pack=new_pack)
    services.ums_update(actor=SYSTEM, ums=ums, auto_exchange=False)
    assert _run_exchange(capsys) == "exchanged 0 licenses"
    services.ums_update(actor=SYSTEM, ums=ums, auto_exchange=True)
    assert _run_exchange(capsys) == "exchanged 3 licenses"


def test_exchange_skips_a_later_pack_that_itself_expires_within_the_window(company, capsys):
    today = datetime.date.today()
    old = make_key(company, packs=[("WE", 2)], expires_on=today + datetime.timedelta(days=2))
    near = make_key(company, packs=[("WE", 2)], expires_on=today + datetime.timedelta(days=6))
    ums, _ = make_ums(company, packs=[old.product_packs.get()])
    issue(ums, "WE", "AAAAAA01")
    services.pack_assign(actor=SYSTEM, ums=ums, pack=near.product_packs.get())
    assert _run_exchange(capsys) == "exchanged 0 licenses"


def test_a_ums_script_keeps_its_fleet_licensed_across_a_packs_expiry(expiring, clock, capsys):
    """Done when: a UMS using only the documented API stays licensed through the exchange."""
    _ums, credential, old_pack, new_pack, licenses = expiring
    script = ApiClient(credential)
    mark = clock.now()
    clock.advance(seconds=1)
    # The worker's daily run (`ilp worker` calls the same service).
    assert _run_exchange(capsys) == "exchanged 3 licenses"
    changed = script.get("/ums/licenses", {"changed_since": mark.isoformat()}).json()
    assert changed["count"] == 3
    assert {item["pack_id"] for item in changed["items"]} == {new_pack.pack_id}
    # Past the old pack's end plus its grace days, every device's document still verifies.
    clock.advance(days=20)
    tokens = {
        item["unit_id"]: item["token"] for item in script.get("/ums/licenses").json()["items"]
    }
    assert len(tokens) == 3
    for token in tokens.values():
        claims = _claims(token)
        assert claims["pack"] == new_pack.pack_id
        assert signing.license_time_state(claims, clock.now())[0] is True
        assert claims["exp"] > signing.date_to_epoch(old_pack.expires_on) + 28 * DAY


# --- demo licenses ----------------------------------------------------------------------------


def test_a_demo_license_once_per_device_and_product_without_a_seat(ums, ums_api, pack):
    body = {"product": "EMP", "unit_ids": ["AAAAAA01", "bad"], "demo": True}
    first = ums_api.post("/ums/licenses", body).json()["results"]
    assert [r["status"] for r in first] == ["demo_issued", "invalid_unit_id"]
    lic = first[0]["license"]
    assert lic["demo"] is True and lic["pack_id"] is None
    claims = _claims(lic["token"])
    assert claims["demo"] is True and claims["grace_days"] == 0
    assert claims["exp"] == claims["iat"] + 30 * DAY
    again = ums_api.post("/ums/licenses", body).json()["results"][0]
    assert again["status"] == "demo_used"
    assert DemoLicense.objects.count() == 1
    pack.refresh_from_db()
    assert pack.seats_used == 0
    assert AuditEvent.objects.filter(action="license.demo_issued").count() == 1


def test_a_licensed_device_gets_its_license_not_a_demo(ums, ums_api):
    lic = issue(ums, "WE", "AAAAAA01")[0].license
    result = ums_api.post(
        "/ums/licenses", {"product": "WE", "unit_ids": ["AAAAAA01"], "demo": True}
    ).json()["results"][0]
    assert result["status"] == "existing" and result["license"]["id"] == lic.license_id
    assert not DemoLicense.objects.exists()


def test_a_demo_is_once_ever_even_after_it_ran_out(ums, ums_api, clock):
    body = {"product": "WE", "unit_ids": ["AAAAAA01"], "demo": True}
    assert ums_api.post("/ums/licenses", body).json()["results"][0]["status"] == "demo_issued"
    clock.advance(days=400)
    used = ums_api.post("/ums/licenses", body).json()["results"][0]
    assert used["status"] == "demo_used" and used["license"] is None
    # Another product is another demo.
    body["product"] = "EMP"
    assert ums_api.post("/ums/licenses", body).json()["results"][0]["status"] == "demo_issued"


# --- query counts, the migration ----------------------------------------------------------------


def test_refreshing_and_listing_a_fleet_costs_a_constant_number_of_queries(
    ums, ums_api, pack, clock, django_assert_max_num_queries
):
    pack.seats = 40
    pack.save()
    issue(ums, "WE", *[f"00E0C5{i:06d}" for i in range(30)])
    clock.advance(days=16)
    with django_assert_max_num_queries(14):
        listed = ums_api.get("/ums/licenses", {"limit": 500}).json()
    assert listed["count"] == 30
    with django_assert_max_num_queries(6):
        assert ums_api.get("/ums/revocations").status_code == 200


def test_the_ums_page_costs_a_constant_number_of_queries(
    company, ums, admin_user, client, django_assert_max_num_queries
):
    lic = issue(ums, "WE", "AAAAAA01", "AAAAAA02")[0].license
    services.license_return(actor=SYSTEM, license=lic)
    client.force_login(admin_user)
    with django_assert_max_num_queries(20):
        page = client.get(f"/companies/{company.gaid}/ums/")
    assert page.status_code == 200 and lic.license_id.encode() in page.content


def test_the_migration_reads_old_documents_exp_into_the_lease_fields(ums):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("ilp.rollout.migrations.0003_license_lifecycle")
    dated, forever = (r.license for r in issue(ums, "WE", "AAAAAA01", "AAAAAA02"))
    old_exp = _claims(dated.token)["exp"]
    DeviceLicense.objects.filter(pk=forever.pk).update(
        token=signing.jws_sign({"jti": forever.license_id}, pair=signing.signing_key_current())
    )
    DeviceLicense.objects.update(
        document_signed_at=None, document_expires_at=None, listed_until=None
    )
    migration.documents_from_tokens(apps, None)
    dated.refresh_from_db()
    forever.refresh_from_db()
    assert dated.document_expires_at.timestamp() == old_exp
    assert dated.listed_until == dated.document_expires_at + datetime.timedelta(days=28)
    assert forever.document_expires_at is None and forever.listed_until is None


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_exchange_once_a_day(expiring, capsys):
    # Transactional: the worker closes stale connections between runs, which would close the
    # connection a plain (atomic-wrapped) test is still using on PostgreSQL.
    daily = Daily()
    assert daily.run_if_due()["exchange-licenses"] == "exchanged 3 licenses"
    assert daily.run_if_due() is None  # the same day: not again
    call_command("worker", "--once")
    # Another worker finds today's runs done (core/daily.py): nothing runs twice.
    assert "none due (already run today)" in capsys.readouterr().out
    call_command("exchange_licenses")  # by hand it still runs: idempotent
    assert "exchanged 0 licenses" in capsys.readouterr().out
