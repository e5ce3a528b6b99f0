"""An order arrives → the UMS gets no license (its EULA waits) → the administrator accepts the
EULA on the order page → the UMS gets its licenses (rule 20). Screenshots: var/screenshots/."""

import datetime
import json

import pytest
from django.test import Client
from playwright.sync_api import expect

from tests.accounts.factories import PASSWORD, make_staff_token, make_user
from tests.rollout.factories import make_ums

pytestmark = pytest.mark.django_db(transaction=True)


def test_accepting_the_eula_on_the_order_page_lets_the_ums_license(
    page, login, shot, company, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    make_user("admin@acme.test", company=company, role="administrator")
    _ums, credential = make_ums(company, name="UMS Bremen", auto_assign=True)
    staff = make_staff_token()
    response = Client().post(
        "/api/v1/orders",
        data=json.dumps(
            {
                "order_number": "SO-EULA-1",
                "kind": "new",
                "invoice_date": datetime.date.today().isoformat(),
                "end_customer": {"gaid": company.gaid},
                "items": [{"product": "WE", "seats": 5, "term_months": 12}],
            }
        ),
        content_type="application/json",
        headers={"Authorization": f"Bearer {staff}"},
    )
    assert response.status_code == 201, response.content
    pack_id = response.json()["product_packs"][0]["id"]

    def ask_for_licenses():
        answer = page.request.post(
            "/api/v1/ums/licenses",
            headers={"Authorization": f"Bearer {credential}"},
            data={"product": "WE", "unit_ids": ["00:E0:C5:12:34:56", "00E0C5123457"]},
        )
        assert answer.status == 200
        return [r["status"] for r in answer.json()["results"]]

    # The pack is on the UMS (auto-assign), but its order's EULA waits.
    assert ask_for_licenses() == ["eula_not_accepted", "eula_not_accepted"]

    login("admin@acme.test", PASSWORD)
    page.wait_for_url(f"**/companies/{company.gaid}/")
    tile = page.get_by_role("link", name="1 order waits for EULA acceptance")
    expect(tile).to_be_visible()
    shot("dashboard")
    tile.click()
    page.wait_for_url("**/orders/?eula=pending")
    expect(page.get_by_role("link", name="SO-EULA-1")).to_be_visible()
    shot("orders-waiting")
    page.get_by_role("link", name="SO-EULA-1").click()

    expect(page.get_by_role("heading", name="The EULA waits for acceptance")).to_be_visible()
    expect(page.get_by_text("EULA pending")).to_be_visible()
    page.get_by_text("Read “End User License Agreement”").click()
    expect(page.get_by_text("SAMPLE END USER LICENSE AGREEMENT")).to_be_visible()
    shot("order-waiting")
    # The button alone does not accept: the browser asks for the tick first.
    page.get_by_role("button", name="Accept EULA").click()
    assert page.url.endswith("/orders/SO-EULA-1/")
    page.get_by_label("I have read the agreement and accept it for my company.").check()
    page.get_by_role("button", name="Accept EULA").click()
    expect(page.locator(".messages")).to_contain_text("EULA of order SO-EULA-1 accepted")
    expect(page.get_by_role("heading", name="The EULA waits for acceptance")).to_have_count(0)
    expect(page.get_by_text("EULA pending")).to_have_count(0)
    expect(page.locator(".facts")).to_contain_text("admin@acme.test")
    shot("order-accepted")

    assert ask_for_licenses() == ["issued", "issued"]
    page.goto(f"/companies/{company.gaid}/packs/{pack_id}/")
    expect(page.get_by_text("5 (2 in use, 3 free)")).to_be_visible()
    shot("pack-in-use")
