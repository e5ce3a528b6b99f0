"""Browser journeys of the license lifecycle: a UMS's lease, the revocation list, the ALD
token on a subscription key's page, a pack's licenses, demo licenses on Search hardware —
at desktop (1366 px) and phone (390 px) widths."""

import datetime
import importlib

import pytest

from ilp.core.actors import Actor
from ilp.licensing.models import Product
from ilp.rollout.models import AldToken
from ilp.rollout.services import license_return, licenses_issue
from tests.accounts.factories import PASSWORD, make_user
from tests.licensing.factories import make_key
from tests.rollout.factories import make_ums

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def _catalogue(db):
    seed = importlib.import_module("ilp.licensing.migrations.0002_seed_products")
    for sku, name, prefix, multiple, term in seed.CATALOGUE:
        Product.objects.update_or_create(
            sku=sku,
            defaults={"name": name, "pack_prefix": prefix, "seat_multiple": multiple, "term": term},
        )


@pytest.fixture
def fleet(company, _catalogue, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    make_user("admin@acme.test", company=company, role="administrator")
    soon = datetime.date.today() + datetime.timedelta(days=20)
    key = make_key(company, packs=[("WE", 5)], expires_on=soon)
    pack = key.product_packs.get()
    ums, credential = make_ums(company, name="UMS Headquarters", packs=[pack])
    system = Actor.system()
    results = licenses_issue(
        actor=system, ums=ums, product="WE", unit_ids=["00E0C5000001", "00E0C5000002"]
    )
    license_return(actor=system, license=results[1].license)
    licenses_issue(actor=system, ums=ums, product="EMP", unit_ids=["00E0C5000001"], demo=True)
    return key, pack, ums, credential


def _login(page, login):
    login("admin@acme.test", PASSWORD)
    page.wait_for_url(lambda url: "/login/" not in url)


def test_ums_page_shows_leases_and_the_revocation_list(page, login, shot, company, fleet):
    _key, _pack, ums, _credential = fleet
    page.on("dialog", lambda dialog: dialog.accept())
    _login(page, login)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/companies/{company.gaid}/ums/")
    assert page.get_by_text("Earliest lease expiry").is_visible()
    assert page.get_by_role("heading", name="Revoked licenses").is_visible()
    page.get_by_text("1 license on the revocation list").click()
    assert page.get_by_role("cell", name="00E0C5000002").is_visible()
    shot("desktop")

    # A longer lease for a rarely-online site; the page says what it costs.
    page.get_by_text("Settings").click()
    assert page.get_by_text("up to the lease plus 28 grace days").is_visible()
    page.get_by_label("Lease (days)").fill("90")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_text("longer than usual").is_visible()
    ums.refresh_from_db()
    assert ums.lease_days == 90
    page.set_viewport_size({"width": 390, "height": 844})
    shot("phone")


def test_key_page_generates_an_ald_token_once(page, login, shot, company, fleet):
    key, _pack, _ums, _credential = fleet
    page.on("dialog", lambda dialog: dialog.accept())
    _login(page, login)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/companies/{company.gaid}/subscription-keys/{key.key}/")
    page.get_by_text("No ALD token").wait_for()  # the fragment loads after the page (htmx)
    page.get_by_role("button", name="Generate ALD token").click()
    token = page.get_by_role("textbox", name="ALD token").input_value()
    assert token.startswith("ilpa_")
    shot("generated")
    response = page.request.get(
        "/api/v1/ums/product-packs", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 200 and response.json()["count"] == 1
    page.reload()
    page.get_by_text("Last used").wait_for()
    assert not page.get_by_role("textbox", name="ALD token").count()  # shown only once
    page.set_viewport_size({"width": 390, "height": 844})
    shot("phone")
    page.get_by_role("button", name="Revoke").click()
    page.get_by_text("No ALD token").wait_for()
    assert not AldToken.objects.exists()


def test_pack_and_hardware_pages_show_leases_and_demos(page, login, shot, company, fleet):
    _key, pack, _ums, _credential = fleet
    _login(page, login)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/companies/{company.gaid}/packs/{pack.pack_id}/")
    page.get_by_role("heading", name="Device licenses").wait_for()
    assert page.get_by_role("columnheader", name="Lease expires").is_visible()
    assert page.get_by_role("cell", name="00E0C5000001").is_visible()
    shot("pack")
    page.goto(f"/companies/{company.gaid}/hardware/?q=00E0C5000001")
    assert page.get_by_role("heading", name="Demo licenses").is_visible()
    assert page.get_by_role("columnheader", name="Last refresh").first.is_visible()
    shot("hardware")
    page.set_viewport_size({"width": 390, "height": 844})
    shot("hardware-phone")
