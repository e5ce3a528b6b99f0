"""A staff member's corrections as they click them (issue 21): cancel half of an order's
seats, transfer a key to another company, merge a duplicate company — each with a reason,
on a desktop and at phone width."""

import time

from ilp.accounts import otp
from ilp.accounts.models import Company, TwoFactor
from ilp.licensing.models import Order, ProductPack, SubscriptionKey
from tests.accounts.factories import PASSWORD, make_company, make_staff_user, make_user
from tests.e2e.test_accessibility import _report, _violations
from tests.licensing.factories import make_license, seed_catalogue
from tests.rollout.corrections_factories import make_order


def _staff_login(page, login, email):
    secret = TwoFactor.objects.get(user__email=email).secret
    login(email, PASSWORD)
    page.get_by_label("Code or recovery code").fill(otp.totp_code(secret, time.time()))
    page.get_by_role("button", name="Verify and log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def test_staff_cancels_half_an_order_transfers_a_key_and_merges_a_duplicate(page, login, shot):
    seed_catalogue()
    acme = make_company(name="Harbour Freight GmbH", postal_code="20457", city="Hamburg")
    make_user("admin@harbour.test", company=acme, role="administrator")
    twin = make_company(name="Harbour Freight GmbH", postal_code="20457", city="Hamburg")
    buyer = make_company(name="Buyer AG")
    order = make_order(acme, packs=[("WE", 10)], number="SO-2026-0815")
    pack = order.product_packs.get()
    make_license(pack, "00E0C5000001")
    make_staff_user("desk@vendor.test", role="operator", first_name="Desk")
    _staff_login(page, login, "desk@vendor.test")

    # Find the order by its number, open it, cancel half of its seats.
    search = page.get_by_label("Search every company")
    search.fill(order.order_number)
    search.press("Enter")
    page.locator("table.staff-hits").get_by_role("link", name=order.order_number).first.click()
    shot("order-page")
    page.get_by_role("button", name="Cancel seats").click()
    page.get_by_label(f"Seats to take back from {pack.pack_id}").fill("5")
    page.get_by_label("Reason").fill("Credit note CN-4711")
    shot("cancel-form")
    page.get_by_role("button", name="Take the seats back").click()
    page.get_by_text("5 seats of order SO-2026-0815 taken back.").wait_for()
    shot("cancel-done")
    pack.refresh_from_db()
    assert (pack.seats, pack.seats_used) == (5, 1)
    assert Order.objects.get(pk=order.pk).status == "partly_cancelled"

    # Transfer the key to another company, from the order page.
    key = order.subscription_key
    page.goto(f"/staff/orders/{order.order_number}/")
    page.get_by_role("button", name="Transfer key").click()
    page.get_by_label("GAID of the company that gets the key").fill(buyer.gaid)
    page.get_by_label("Reason").fill("Acquired by Buyer AG")
    page.get_by_role("button", name="Transfer the key").click()
    page.get_by_text(f"Subscription key {key.key} now belongs to Buyer AG").wait_for()
    shot("transfer-done")
    assert SubscriptionKey.objects.get(pk=key.pk).company_id == buyer.pk
    assert ProductPack.objects.get(pk=pack.pk).seats_used == 0  # its license was revoked

    # Merge the duplicate: from the list, confirm, with a reason.
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Duplicates").click()
    shot("duplicates-phone")
    page.get_by_role("button", name=f"Merge into {acme.gaid}").click()
    page.get_by_label("Reason").fill("Created twice by an order without GAID")
    page.get_by_label(f"Yes, merge {twin.gaid} into {acme.gaid}").check()
    shot("merge-confirm-phone")
    no_sideways_scroll = page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"
    )
    assert no_sideways_scroll
    page.get_by_role("button", name="Merge", exact=True).click()
    page.get_by_text(f"{twin.gaid} was merged into Harbour Freight GmbH").wait_for()
    shot("merge-done-phone")
    assert Company.objects.get(pk=twin.pk).merged_into_id == acme.pk

    # The old GAID points to the new one.
    response = page.goto(f"/companies/{twin.gaid}/")
    assert response.status == 410
    page.get_by_role("link", name=f"Go to {acme.gaid}").click()
    page.wait_for_url(f"**/companies/{acme.gaid}/**")


def test_a_german_operator_on_a_phone_sees_the_devices_in_the_way(page, login, shot):
    seed_catalogue()
    acme = make_company(name="Hafenspedition GmbH")
    order = make_order(acme, packs=[("WE", 2)], number="SO-2026-0900")
    pack = order.product_packs.get()
    make_license(pack, "00E0C5000011")
    make_license(pack, "00E0C5000012")
    make_staff_user("desk@vendor.test", role="operator", language="de")
    page.set_viewport_size({"width": 390, "height": 844})
    _staff_login(page, login, "desk@vendor.test")
    page.goto(f"/staff/orders/{order.order_number}/cancel/")
    page.get_by_label(f"Zurückzunehmende Plätze von {pack.pack_id}").fill("1")
    page.get_by_label("Grund").fill("Gutschrift 4712")
    page.get_by_role("button", name="Plätze zurücknehmen").click()
    page.get_by_text("Im Weg stehende Geräte:").wait_for()
    shot("cancel-blocked-de-phone")
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"
    )
    page.get_by_label("Wo Plätze belegt sind, Lizenzen zurückgeben (neueste zuerst)").check()
    page.get_by_role("button", name="Plätze zurücknehmen").click()
    page.get_by_text("1 Gerätelizenz zurückgegeben: 00E0C5000012.").wait_for()
    shot("cancel-returned-de-phone")


def test_the_correction_pages_have_no_serious_axe_violations(browser, live_server):
    seed_catalogue()
    acme = make_company(name="Harbour Freight GmbH", postal_code="20457")
    twin = make_company(name="Harbour Freight GmbH", postal_code="20457")
    order = make_order(acme, packs=[("WE", 4)], number="SO-2026-0990")
    make_license(order.product_packs.get(), "00E0C5000021")
    make_staff_user("desk@vendor.test", role="operator")
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)

    def login(email, password):
        page.goto("/login/")
        page.get_by_label("E-mail").fill(email)
        page.get_by_role("button", name="Continue").click()  # the e-mail first
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()

    try:
        _staff_login(page, login, "desk@vendor.test")
        problems = []
        for url in (
            f"/staff/orders/{order.order_number}/cancel/",
            f"/staff/orders/{order.order_number}/resend-contact-mail/",
            f"/staff/subscription-keys/{order.subscription_key.key}/transfer/",
            "/staff/duplicates/",
            f"/staff/companies/{twin.gaid}/merge-into/{acme.gaid}/",
        ):
            response = page.goto(url)
            assert response is not None and response.status == 200, url
            found = _violations(page)
            if found:
                problems.append(_report(url, found))
        assert not problems, "\n".join(problems)
    finally:
        context.close()
