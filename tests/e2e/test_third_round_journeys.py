"""Issue 24 in a browser: "Accept all" EULAs, devices removed in bulk, the split page's device
search, the company search, time zones, the two-factor switch's error, where a person in
several companies lands and the switcher keeping the page. Each page touched is shot at 1280
and 390 px in English and German (var/screenshots/test_third_round-*.png) and must not
scroll sideways at 390."""

import re

import pytest
from playwright.sync_api import expect

from ilp.licensing.models import Order, ProductPack
from ilp.rollout.models import DeviceLicense
from ilp.web import demo
from tests.e2e.conftest import SHOTS

pytestmark = pytest.mark.django_db(transaction=True)


def _login(page, email):
    page.goto("/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_role("button", name="Continue").click()  # the e-mail first
    page.get_by_label("Password").fill(demo.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def test_accept_all_from_the_dashboard(page):
    ctx = demo.load()
    gaid = ctx.companies["acme"].gaid
    _login(page, "admin@acme.example")
    card = page.locator("#eula-card")
    expect(card).to_contain_text("These 2 product packs issue no device licenses until then")
    expect(card).to_contain_text("also those extended by a renewal, keeps issuing")
    card.get_by_role("button", name="Accept all…").click()
    page.wait_for_url(f"**/companies/{gaid}/eula/accept-all/")
    main = page.locator("main")
    expect(main).to_contain_text("SO-2026-1150")  # the order, and the ICG pack's own EULA
    icg = ProductPack.objects.get(order__order_number="SO-2026-1150", product__sku="ICG")
    expect(main).to_contain_text(icg.pack_id)
    page.get_by_label("I have read the agreement and accept it for my company.").check()
    page.get_by_role("button", name="Accept all", exact=True).click()
    page.wait_for_url(f"**/companies/{gaid}/")
    expect(page.locator(".messages")).to_contain_text("EULAs accepted. Orders: SO-2026-1150.")
    expect(page.locator("#eula-card")).to_have_count(0)
    assert not Order.objects.filter(eula__isnull=False, eula_accepted_at__isnull=True).exists()


def test_devices_ticked_and_removed_together(page):
    ctx = demo.load()
    gaid = ctx.companies["acme"].gaid
    _login(page, "admin@acme.example")
    page.goto(f"/companies/{gaid}/devices/")
    boxes = page.locator("#devices-form input[name=unit_id]")
    picked = [boxes.nth(0).get_attribute("value"), boxes.nth(1).get_attribute("value")]
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_role("button", name="Remove ticked devices…").click()
    expect(page.get_by_role("heading", name="Remove devices")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Remove these 2 devices?")
    page.get_by_role("button", name="Remove 2 devices").click()
    page.wait_for_url(f"**/companies/{gaid}/devices/")
    expect(page.locator(".messages")).to_contain_text("2 devices removed")
    assert not DeviceLicense.objects.filter(unit_id__in=picked, status="active").exists()


def test_the_split_page_searches_its_devices_and_keeps_the_ticked(page):
    ctx = demo.load()
    gaid = ctx.companies["acme"].gaid
    pack = (
        ProductPack.objects.filter(company=ctx.companies["acme"], seats_used__gte=3)
        .order_by("-seats_used")
        .first()
    )
    units = list(
        DeviceLicense.objects.filter(pack=pack, status="active")
        .order_by("unit_id")
        .values_list("unit_id", flat=True)
    )
    _login(page, "admin@acme.example")
    page.goto(f"/companies/{gaid}/packs/{pack.pack_id}/split/")
    page.locator(f"#unit-{units[0]}").check()
    search = page.get_by_label("Search devices")
    # Typed with colons: the server normalises it.
    target = units[-1]
    search.fill(":".join(re.findall("..?", target)).lower())
    rows = page.locator("#split-devices tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(target)
    expect(page.locator(f"#unit-{units[0]}")).to_have_count(0)
    # The ticked device is kept while it is not shown.
    expect(page.locator(f"#split-devices input[type=hidden][value='{units[0]}']")).to_have_count(1)
    expect(page.locator("#split-devices")).to_contain_text("1 ticked")
    search.fill("")
    expect(page.locator(f"#unit-{units[0]}")).to_be_checked()


def test_company_search_from_the_navigation(page):
    ctx = demo.load()
    gaid = ctx.companies["acme"].gaid
    _login(page, "admin@acme.example")
    box = page.get_by_label("Search this company")
    box.fill("so20261150")
    box.press("Enter")
    page.wait_for_url(f"**/companies/{gaid}/search/?q=so20261150")
    page.get_by_role("link", name=re.compile("SO-2026-1150")).click()
    page.wait_for_url(f"**/companies/{gaid}/orders/SO-2026-1150/")


def test_a_time_zone_shows_every_time_in_it(page):
    ctx = demo.load()
    gaid = ctx.companies["acme"].gaid
    _login(page, "admin@acme.example")
    page.goto(f"/companies/{gaid}/audit/")
    expect(page.locator("table.audit tbody tr").first).to_contain_text("UTC")
    page.goto("/profile/")
    page.get_by_label("Time zone").fill("Asia/Tokyo")
    page.get_by_role("button", name="Save").first.click()
    expect(page.locator(".messages")).to_contain_text("Your profile is saved.")
    page.goto(f"/companies/{gaid}/audit/")
    expect(page.locator("table.audit tbody tr").first).to_contain_text("JST")


def test_the_two_factor_switch_says_its_error_beside_it_with_the_focus(page):
    ctx = demo.load()
    gaid = ctx.companies["acme"].gaid
    _login(page, "admin@acme.example")
    page.goto(f"/companies/{gaid}/manage/")
    page.locator("#require-2fa").check()
    page.locator("#require-2fa").locator("xpath=ancestor::form").get_by_role(
        "button", name="Save"
    ).click()
    error = page.locator("#require-2fa-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Turn on two-factor sign-in for yourself first")
    assert page.evaluate("document.activeElement.id") == "require-2fa"
    box = error.bounding_box()
    assert box and 0 <= box["y"] <= page.viewport_size["height"], box  # in sight
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "test_third_round-two-factor-error.png"))


def test_a_service_provider_lands_on_the_overview_and_switches_to_the_same_page(page):
    ctx = demo.load()
    acme, north = ctx.companies["acme"].gaid, ctx.companies["north"].gaid
    _login(page, "partner@itservice.example")
    assert page.url.endswith("/overview/")
    page.goto(f"/companies/{acme}/packs/")
    page.locator("#company-switcher").select_option(north)
    page.wait_for_url(f"**/companies/{north}/packs/")


# --- every page touched, at 1280 and 390 px, in English and German -------------------------


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("width", [1280, 390])
def test_shots_of_the_touched_pages(browser, live_server, language, width):
    ctx = demo.load()
    acme = ctx.companies["acme"]
    gaid = acme.gaid
    user = ctx.users["admin"]
    user.language = language
    user.time_zone = "Europe/Berlin"
    user.save(update_fields=["language", "time_zone"])
    pack = ProductPack.objects.filter(company=acme, seats_used__gte=2).order_by("pk").first()
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    ums_id = acme.ums_instances.order_by("pk").first().ums_id
    pages = {
        "dashboard": f"/companies/{gaid}/",
        "orders-waiting": f"/companies/{gaid}/orders/?eula=pending",
        "accept-all": f"/companies/{gaid}/eula/accept-all/",
        "keys": f"/companies/{gaid}/subscription-keys/",
        "devices": f"/companies/{gaid}/devices/",
        "split": f"/companies/{gaid}/packs/{pack.pack_id}/split/",
        "search": f"/companies/{gaid}/search/?q=we",
        "ums": f"/companies/{gaid}/ums/",
        "ums-packs": f"/companies/{gaid}/ums/{ums_id}/packs/",
        "audit": f"/companies/{gaid}/audit/",
        "manage": f"/companies/{gaid}/manage/",
        "profile": "/profile/",
    }
    try:
        _login(page, "admin@acme.example")
        assert page.locator("html").get_attribute("lang") == language
        SHOTS.mkdir(parents=True, exist_ok=True)
        for name, url in pages.items():
            response = page.goto(url)
            assert response is not None and response.status == 200, url
            width_now, inner = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            assert width_now <= inner, f"{url}: {width_now}px wide at {inner}"
            page.screenshot(
                path=str(SHOTS / f"test_third_round-{name}-{width}-{language}.png"),
                full_page=True,
            )
        # The devices removal's confirmation and an upload's explanations.
        page.goto(f"/companies/{gaid}/devices/")
        page.locator("#devices-form input[name=unit_id]").first.check()
        page.locator("#devices-form button[type=submit]").click()
        page.wait_for_load_state()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(
            path=str(SHOTS / f"test_third_round-remove-confirm-{width}-{language}.png"),
            full_page=True,
        )
    finally:
        context.close()
