"""Browser journeys: split a pack (with a licensed device), merge packs from the list, and
redeem a decreased renewal after splitting a pack to fit. Screenshots: var/screenshots/."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from ilp.licensing.models import ProductPack, Renewal
from tests.accounts.factories import PASSWORD, make_staff_token, make_user
from tests.conftest import ApiClient
from tests.licensing.factories import make_key, make_license

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin(company, page, login):
    make_user("admin@acme.test", company=company, role="administrator")
    login("admin@acme.test", PASSWORD)
    page.wait_for_url(lambda url: "/login/" not in url)


def test_split_a_pack_moving_a_licensed_device(page, shot, company, admin):
    pack = make_key(company, packs=[("WE", 10)]).product_packs.get()
    make_license(pack, "00E0C5AAAA01")
    make_license(pack, "00E0C5AAAA02")
    page.goto(f"/companies/{company.gaid}/packs/{pack.pack_id}/")
    page.get_by_role("button", name="Split…").click()
    expect(page.get_by_role("heading", name=f"Split pack {pack.pack_id}")).to_be_visible()
    # 9 seats would leave 1 seat for 2 devices in use: the page explains instead of splitting.
    page.get_by_label("Seats for the new pack").fill("9")
    shot("split-form")
    page.get_by_role("button", name="Split pack").click()
    expect(page.get_by_role("alert")).to_contain_text("2 are in use")
    shot("split-error")
    page.get_by_label("Seats for the new pack").fill("4")
    page.get_by_label("00E0C5AAAA02").check()
    page.get_by_role("button", name="Split pack").click()
    expect(page.locator(".messages")).to_contain_text("4 seats moved from")
    shot("split-done")
    created = ProductPack.objects.exclude(pk=pack.pk).get()
    assert (created.seats, created.seats_used) == (4, 1)
    pack.refresh_from_db()
    assert (pack.seats, pack.seats_used) == (6, 1)


def test_merge_packs_from_the_pack_list(page, shot, company, admin):
    key = make_key(company, packs=[("WE", 10), ("WE", 5)])
    make_key(company, packs=[("EMP", 3)])
    a, b = key.product_packs.order_by("pk")
    emp = ProductPack.objects.get(product__sku="EMP")
    page.goto(f"/companies/{company.gaid}/packs/")
    merge_button = page.locator("#pack-list-actions button")
    expect(merge_button).to_be_disabled()
    page.get_by_label(f"Select {a.pack_id}").check()
    page.get_by_label(f"Select {emp.pack_id}").check()
    expect(page.locator("#merge-hint")).to_contain_text("different")
    expect(merge_button).to_be_disabled()
    shot("merge-disabled-reason")
    page.get_by_label(f"Select {emp.pack_id}").uncheck()
    page.get_by_label(f"Select {b.pack_id}").check()
    expect(page.locator("#pack-list-actions button")).to_be_enabled()
    expect(page.locator("#pack-list-actions button")).to_contain_text("Merge 2 packs")
    shot("merge-enabled")
    page.locator("#pack-list-actions button").click()
    expect(page.get_by_role("heading", name="Merge packs")).to_be_visible()
    page.get_by_label(f"Merge into {b.pack_id}").check()
    shot("merge-confirm")
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(f"merged into {b.pack_id}")
    expect(page.locator("h1")).to_contain_text(b.pack_id)
    shot("merge-done")
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.state == "merged" and a.merged_into_id == b.pk and b.seats == 15


def test_redeem_a_decreased_renewal_after_a_split(page, shot, company, admin):
    key = make_key(company, packs=[("WE", 10), ("WE", 5)])
    ten, five = key.product_packs.order_by("pk")
    response = ApiClient(make_staff_token()).post(
        "/orders",
        {
            "order_number": "R-2027-0042",
            "kind": "renewal",
            "invoice_date": datetime.date.today().isoformat(),
            "end_customer": {"gaid": company.gaid, "name": company.name, "country": "DE"},
            "subscription_key": key.key,
            "items": [{"product": "WE", "seats": 12, "term_months": 12}],
        },
    )
    assert response.status_code == 201 and response.json()["status"] == "awaiting_redemption"

    page.goto(f"/companies/{company.gaid}/subscription-keys/{key.key}/")
    shot("key-with-waiting-renewal")
    page.get_by_role("button", name="Redeem renewal").click()
    expect(page.get_by_role("heading", name="Redeem renewal")).to_be_visible()
    expect(page.locator("#redeem-submit")).to_be_disabled()
    page.get_by_role("checkbox", name=ten.pack_id).check()
    expect(page.locator("#seat-sum")).to_have_text("10")
    shot("redeem-no-fit")
    # No set of whole packs adds up to 12: split 3 seats off the 5-seat pack, in place.
    page.get_by_label(f"Seats to split off {five.pack_id}").fill("3")
    page.get_by_role("group", name=f"Split {five.pack_id}").get_by_role(
        "button", name="Split off"
    ).click()
    expect(page.locator("#redeem-packs")).to_contain_text("split")
    created = ProductPack.objects.get(split_from=five)
    page.get_by_role("checkbox", name=ten.pack_id).check()
    page.get_by_role("checkbox", name=five.pack_id, exact=True).check()
    expect(page.locator("#seat-sum")).to_have_text("12")
    expect(page.locator("#redeem-submit")).to_be_enabled()
    shot("redeem-fits")
    page.locator("#redeem-submit").click()
    expect(page.locator(".messages")).to_contain_text("Renewal R-2027-0042 redeemed")
    shot("redeemed")
    renewal = Renewal.objects.get()
    assert renewal.status == "redeemed"
    for p in (ten, five, created):
        p.refresh_from_db()
    assert ten.expires_on == five.expires_on == renewal.expires_on
    assert created.expires_on == renewal.old_expires_on and created.seats == 3
    assert re.search(r"/subscription-keys/", page.url)
    page.get_by_role("link", name="Renewals").click()
    expect(page.get_by_role("heading", name="Renewals")).to_be_visible()
    expect(page.locator("main table")).to_contain_text("R-2027-0042")
    shot("renewal-list")
