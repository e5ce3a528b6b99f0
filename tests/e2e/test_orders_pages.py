"""The licensing pages as a person sees them (screenshots in var/screenshots/)."""

import datetime

import pytest
from playwright.sync_api import expect

from ilp.core.actors import Actor
from ilp.licensing.services.delivery_tokens import delivery_token_issue
from ilp.licensing.services.orders import order_create
from ilp.licensing.services.packs import add_months
from tests.accounts.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def _orders(company):
    today = datetime.date.today()
    day = datetime.timedelta(days=1)
    specs = [
        ("SO-1", today - 40 * day, [("WE", 250, 36), ("EMP", 50, 36)]),
        ("SO-2", add_months(today + 18 * day, -12), [("WE", 40, 12)]),
        ("SO-3", add_months(today + 64 * day, -12), [("EMP", 25, 12)]),
        ("SO-4", add_months(today - 45 * day, -12), [("WE", 30, 12)]),
        ("SO-5", today - 700 * day, [("WE-P", 20, 0), ("ICG", 30, 24)]),
    ]
    for number, invoice_date, items in specs:
        order_create(
            actor=Actor.system(),
            order_number=number,
            kind="new",
            invoice_date=invoice_date,
            end_customer={"gaid": company.gaid},
            items=[{"product": s, "seats": n, "term_months": m} for s, n, m in items],
        )


def test_licensing_pages(page, login, shot, company):
    make_user("admin@acme.test", company=company, role="administrator")
    _orders(company)
    login("admin@acme.test", PASSWORD)
    page.wait_for_url(f"**/companies/{company.gaid}/")
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    assert page.locator(".quick.expired strong").inner_text() == "1"
    shot("dashboard")

    page.get_by_role("link", name="expiring within 30 days").click()
    page.wait_for_url("**/packs/?status=active*")
    rows = page.locator("#pack-results tbody tr")
    assert rows.count() == 2  # SO-2's WE pack and SO-5's 24-month ICG pack
    shot("packs-expiring-30")

    page.get_by_role("link", name="Product packs", exact=True).click()
    page.get_by_label("Product", exact=True).select_option("WE")  # htmx swaps the results
    page.wait_for_url("**product=WE*")
    expect(page.locator("#pack-results tbody tr")).to_have_count(3)
    page.get_by_role("link", name="Seats").click()
    page.wait_for_url("**sort=seats*")
    shot("packs-we-by-seats")

    page.locator("#pack-results tbody tr a.mono, #pack-results tbody td.mono a").first.click()
    page.get_by_role("textbox", name="Comment").fill("Bremen warehouse")
    page.get_by_role("button", name="Save comment").click()
    expect(page.get_by_text("Comment saved.")).to_be_visible()
    shot("pack-detail")

    page.get_by_role("link", name="Subscription keys").click()
    shot("keys")
    page.get_by_role("link", name="Orders").click()
    page.get_by_role("link", name="SO-5").click()
    expect(page.get_by_text("Cloud Gateway")).to_be_visible()
    shot("order-detail")


def test_register_delivery_token(page, login, shot, company):
    make_user("sp@partner.test", company=company, role="service_provider")
    _row, token = delivery_token_issue(
        actor=Actor.system(),
        order_number="LEGACY-1",
        invoice_date=datetime.date(2021, 6, 30),
        items=[{"product": "WE", "seats": 15, "term_months": 120}],
    )
    login("sp@partner.test", PASSWORD)
    page.get_by_role("link", name="Delivery token").click()
    page.get_by_label("Delivery token").fill(token)
    # Registering accepts the EULA: without the tick the page asks for it.
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("alert")).to_contain_text("End User License Agreement")
    shot("eula-not-ticked")
    page.get_by_label("Delivery token").fill("DT-00000-00000")
    page.get_by_label("I accept the End User License Agreement").check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("alert")).to_contain_text("unknown")
    shot("unknown-token")
    page.get_by_label("Delivery token").fill(token.lower().replace("-", " "))
    page.get_by_label("I accept the End User License Agreement").check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("Delivery token registered")).to_be_visible()
    assert page.get_by_text("2031-06-30").first.is_visible()
    shot("registered")
