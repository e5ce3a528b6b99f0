"""Browser journey: register a UMS, assign a pack, issue licenses via the API, find a
device, remove it."""

import pytest

from ilp.rollout.models import DeviceLicense
from tests.accounts.factories import PASSWORD, make_user
from tests.licensing.factories import make_key

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def _catalogue(db):
    import importlib

    from ilp.licensing.models import Product

    seed = importlib.import_module("ilp.licensing.migrations.0002_seed_products")
    for sku, name, prefix, multiple, term in seed.CATALOGUE:
        Product.objects.update_or_create(
            sku=sku,
            defaults={"name": name, "pack_prefix": prefix, "seat_multiple": multiple, "term": term},
        )


def test_rollout_journey(page, login, shot, company, _catalogue, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    make_user("admin@acme.test", company=company, role="administrator")
    pack = make_key(company, packs=[("WE", 3)]).product_packs.get()
    page.on("dialog", lambda dialog: dialog.accept())

    login("admin@acme.test", PASSWORD)
    page.wait_for_url(lambda url: "/login/" not in url)
    page.goto(f"/companies/{company.gaid}/ums/")
    shot("empty")

    page.get_by_label("Name").fill("UMS Headquarters")
    page.get_by_role("button", name="Register").click()
    credential = page.get_by_label("UMS credential").input_value()
    assert credential.startswith("ilpm_")
    shot("registered")

    # A UMS without packs offers its first pack in one step (the form under "No product
    # packs assigned yet").
    page.locator("form.first-assign").get_by_role("button", name="Assign").click()
    assert page.get_by_role("cell", name=pack.pack_id, exact=True).is_visible()
    shot("assigned")

    response = page.request.post(
        "/api/v1/ums/licenses",
        headers={"Authorization": f"Bearer {credential}"},
        data={"product": "WE", "unit_ids": ["00:E0:C5:12:34:56", "00E0C5123457"]},
    )
    assert response.status == 200
    assert [r["status"] for r in response.json()["results"]] == ["issued", "issued"]
    page.reload()
    shot("licenses-in-use")

    page.get_by_role("link", name="Search hardware").click()
    page.get_by_label("Unit ID or MAC address").fill("00-e0-c5-12-34-56")
    page.get_by_role("button", name="Search").click()
    assert page.get_by_role("heading", name="Device 00E0C5123456").is_visible()
    shot("device-found")

    page.get_by_role("button", name="Remove hardware").click()
    assert page.get_by_text("no active license").is_visible()
    shot("device-removed")
    assert DeviceLicense.objects.get(unit_id="00E0C5123456").status == "returned"
    pack.refresh_from_db()
    assert pack.seats_used == 1

    page.goto(f"/companies/{company.gaid}/ums/")
    page.get_by_text("Settings").click()
    page.get_by_label("Name", exact=True).last.fill("UMS Bremen")
    page.get_by_label("Assign new packs automatically").last.check()
    shot("settings")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("heading", name="UMS Bremen").is_visible()
    assert page.get_by_text("auto-assign", exact=True).is_visible()
    page.get_by_text("Settings").click()
    page.get_by_role("button", name="Rotate credential").click()
    rotated = page.get_by_label("UMS credential").input_value()
    assert rotated.startswith("ilpm_") and rotated != credential
    old = page.request.get(
        "/api/v1/ums/product-packs", headers={"Authorization": f"Bearer {credential}"}
    )
    assert old.status == 401

    page.get_by_role("button", name=f"Unassign {pack.pack_id}").click()
    assert page.get_by_text("1 device license revoked").is_visible()
    shot("unassigned-forced")
