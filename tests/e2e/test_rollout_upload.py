"""Browser: an air-gapped UMS — upload a file of unit IDs, see results per device, download the
signed license file; a read-only user sees the UMS page without management controls."""

import pytest

from ilp.rollout.models import DeviceLicense
from tests.accounts.factories import PASSWORD, make_user
from tests.licensing.factories import make_key
from tests.rollout.factories import make_ums

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


def test_upload_unit_ids_and_download_the_license_file(
    page, login, shot, company, _catalogue, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    make_user("admin@acme.test", company=company, role="administrator")
    pack = make_key(company, packs=[("WE", 3)]).product_packs.get()
    ums, _ = make_ums(company, name="UMS Warehouse (offline)", packs=[pack])
    units = tmp_path / "units.csv"
    units.write_text(
        "unit_id\n00:E0:C5:00:00:01\n00-E0-C5-00-00-02\nnot valid\n00E0C5000003\n00E0C5000004\n"
    )

    login("admin@acme.test", PASSWORD)
    page.wait_for_url(lambda url: "/login/" not in url)
    page.goto(f"/companies/{company.gaid}/ums/")
    page.get_by_role("button", name="Upload unit IDs").click()
    page.get_by_label("File of unit IDs").set_input_files(str(units))
    page.get_by_role("button", name="Issue licenses").click()
    assert page.get_by_text("3 issued", exact=True).is_visible()
    assert page.get_by_text("1 without a free seat", exact=True).is_visible()
    assert page.get_by_text("1 invalid", exact=True).is_visible()
    shot("results")
    assert DeviceLicense.objects.filter(ums=ums, status="active").count() == 3

    with page.expect_download() as info:
        page.get_by_role("button", name="Download license file").click()
    download = info.value
    assert download.suggested_filename.startswith(f"ilp-licenses-{ums.ums_id}")
    assert download.path().read_text().count(".") == 2


def test_read_only_user_sees_no_management_controls(
    page, login, shot, company, _catalogue, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    make_user("reader@acme.test", company=company, role="user")
    pack = make_key(company, packs=[("WE", 3)]).product_packs.get()
    make_ums(company, name="UMS Headquarters", packs=[pack])
    login("reader@acme.test", PASSWORD)
    page.wait_for_url(lambda url: "/login/" not in url)
    page.goto(f"/companies/{company.gaid}/ums/")
    assert page.get_by_role("heading", name="UMS Headquarters").is_visible()
    assert page.get_by_text("Register a UMS").count() == 0
    assert page.get_by_text("Rotate credential").count() == 0
    assert page.get_by_role("button", name="Upload unit IDs").count() == 0
    shot("read-only")
