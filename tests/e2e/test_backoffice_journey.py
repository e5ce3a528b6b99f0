"""The vendor's back office as a staff member clicks it (issue 21): signing in with password
and two-factor, finding a customer by any identifier, seeing their portal as they see it
(under the "viewing as vendor staff" banner, nothing to change), publishing a new EULA version
and downloading the renewals report. Screenshots: var/screenshots/."""

import csv
import datetime
import io
import re

import pyotp
import pytest
from django.test import Client
from playwright.sync_api import expect

from ilp.accounts.models import TwoFactor
from ilp.licensing.models import Eula
from tests.accounts.factories import (
    PASSWORD,
    make_company,
    make_staff_token,
    make_staff_user,
    make_user,
)
from tests.backoffice.conftest import order_body
from tests.conftest import ApiClient
from tests.licensing.factories import make_key
from tests.rollout.factories import issue, make_ums

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff_login(page):
    """Sign a staff member in: password, then the code of their authenticator (RFC 6238, as
    pyotp computes it)."""

    def do(user):
        secret = TwoFactor.objects.get(user=user).secret
        page.goto("/login/")
        page.get_by_label("E-mail").fill(user.email)
        page.get_by_role("button", name="Continue").click()  # the e-mail first
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_label("Code or recovery code").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Verify and log in").click()
        expect(page).to_have_url(re.compile(r"/staff/$"))

    return do


@pytest.fixture
def customer():
    company = make_company(name="Harbour Freight GmbH", city="Hamburg")
    make_user("hanna@harbour.test", company=company, role="administrator")
    operator = ApiClient(make_staff_token("erp", role="operator"))
    response = operator.post("/orders", order_body("SO-2026-7001", gaid=company.gaid))
    assert response.status_code == 201, response.content
    pack_id = response.json()["product_packs"][0]["id"]
    key = response.json()["subscription_key"]
    from ilp.licensing.models import Order

    Order.objects.filter(order_number="SO-2026-7001").update(
        eula_accepted_at=datetime.datetime.now(datetime.UTC), eula_accepted_by="hanna@harbour.test"
    )
    ums, _credential = make_ums(company, name="UMS Hamburg")
    from ilp.licensing.models import ProductPack
    from tests.rollout.factories import assign

    assign(ProductPack.objects.get(pack_id=pack_id), ums)
    issue(ums, "WE", "00E0C5A1B2C3")
    return company, key, pack_id


def test_finding_a_customer_by_any_identifier_and_seeing_their_portal(
    page, staff_login, shot, customer
):
    company, key, pack_id = customer
    staff_login(make_staff_user("sam@vendor.test", role="support"))
    search = page.get_by_placeholder(
        "GAID, key, pack ID, order number, e-mail, unit ID or company name"
    )
    for typed, found in (
        ("harbour fr", company.gaid),
        (company.gaid.lower(), company.gaid),
        (key.replace("-", " ").lower(), key),
        (pack_id.replace("-", "").lower(), pack_id),
        ("SO-2026-7001", "SO-2026-7001"),
        ("HANNA@harbour.test", "hanna@harbour.test"),
        ("00:e0:c5:a1:b2:c3", "00E0C5A1B2C3"),
    ):
        search.fill(typed)
        search.press("Enter")
        expect(page.locator("table.staff-hits")).to_contain_text(found)
    shot("search-by-unit-id")
    search.fill("harbour")
    search.press("Enter")
    page.locator("table.staff-hits").get_by_role("link", name=company.gaid).first.click()
    expect(page.get_by_role("heading", name="Harbour Freight GmbH")).to_be_visible()
    expect(page.locator(".staff-counts")).to_contain_text("Active licenses")
    shot("company")
    page.get_by_role("button", name="See the portal as its people see it").click()
    banner = page.locator(".staff-banner")
    expect(banner).to_contain_text("Viewing as vendor staff")
    shot("portal-as-staff")
    # The packs page as the customer sees it, without any way to change it.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Product packs").click()
    expect(page.locator("table.packs")).to_contain_text(pack_id)
    expect(page.locator('table.packs input[type="checkbox"]')).to_have_count(0)
    page.goto(f"/companies/{company.gaid}/manage/")
    expect(page.locator(".staff-banner")).to_be_visible()
    expect(page.locator("#invite-email")).to_have_count(0)
    expect(page.get_by_role("link", name="Delivery token")).to_have_count(0)
    # A change would be refused anyway.
    response = page.request.post(f"/companies/{company.gaid}/manage/", form={"name": "x"})
    assert response.status == 403
    shot("manage-as-staff")


def test_publishing_a_new_eula_version(page, staff_login, shot):
    staff_login(make_staff_user("ada@vendor.test", role="staff_admin"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalogue").click()
    page.get_by_text("Publish a new EULA version").click()
    page.get_by_label("Which EULA").select_option("vendor")
    page.get_by_label("Version", exact=True).fill("2027-01")
    page.get_by_label("Text").fill("END USER LICENSE AGREEMENT 2027 — the new terms.")
    shot("eula-form")
    page.get_by_role("button", name="Publish: in force from now on").click()
    expect(page.locator(".messages")).to_contain_text("version 2027-01 is in force from now on")
    expect(page.locator(".eula-in-force").first).to_contain_text("2027-01")
    shot("eula-published")
    assert Eula.objects.get(kind="vendor").version_current().version == "2027-01"


def test_downloading_the_renewals_report(page, staff_login, shot):
    soon = make_company(name="Nordwind Kliniken")
    make_key(
        soon, packs=[("WE", 25)], expires_on=datetime.date.today() + datetime.timedelta(days=40)
    )
    later = make_company(name="Später AG")
    make_key(
        later, packs=[("EMP", 5)], expires_on=datetime.date.today() + datetime.timedelta(days=300)
    )
    staff_login(make_staff_user("rita@vendor.test", role="support"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.get_by_label("Ending within").select_option("90")
    page.locator("#renewals-title ~ form button").click()
    expect(page.locator("#renewals-title ~ .table-wrap")).to_contain_text("Nordwind Kliniken")
    expect(page.locator("#renewals-title ~ .table-wrap")).not_to_contain_text("Später AG")
    shot("reports")
    with page.expect_download() as info:
        page.locator("a.renewals-csv").click()
    download = info.value
    assert download.suggested_filename.startswith("renewals-90d-")
    rows = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8-sig").read())))
    assert rows[0] == ["gaid", "company", "subscription_key", "product", "seats", "expires_on"]
    assert [(r[1], r[3], r[4]) for r in rows[1:]] == [("Nordwind Kliniken", "WE", "25")]


def test_the_back_office_fits_a_phone(browser, live_server, shot, customer):
    company, _key, _pack = customer
    user = make_staff_user("pia@vendor.test", role="staff_admin")
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    phone = context.new_page()
    for url in (
        "/staff/?q=harbour",
        f"/staff/companies/{company.gaid}/",
        "/staff/orders/",
        "/staff/orders/SO-2026-7001/",
        "/staff/catalogue/",
        "/staff/reports/",
        "/staff/staff/",
    ):
        phone.goto(url)
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{url} is {overflow}px wider than a phone"
        name = url.strip("/").replace("/", "-").replace("?", "-").replace("=", "-") or "home"
        phone.screenshot(path=f"var/screenshots/backoffice-phone-{name}.png", full_page=True)
    context.close()
