"""Phone width (390 px): no page scrolls sideways, the navigation is a menu, a skip link."""

import pytest

from ilp.web import demo

pytestmark = pytest.mark.django_db(transaction=True)

WIDE_PAGES = ("renewals", "ums", "manage", "audit", "packs", "orders")


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _login(page, email):
    page.goto("/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_role("button", name="Continue").click()  # the e-mail first
    page.get_by_label("Password").fill(demo.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def _overflow(page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


@pytest.mark.parametrize(
    ("email", "language"),
    [
        ("admin@acme.example", "en"),
        ("partner@itservice.example", "en"),
        # A read-only user reaches fewer pages, some of them in other shapes (no actions).
        ("user@acme.example", "en"),
        # German labels are longer (Subskriptionsschlüssel in a breadcrumb widened a page).
        ("admin@acme.example", "de"),
    ],
)
def test_no_page_scrolls_sideways_at_390(phone, live_server, email, language):
    demo.load()
    _login(phone, email)
    if language != "en":
        phone.context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
        phone.goto("/")
        assert phone.locator("html").get_attribute("lang") == language
    if phone.url.endswith("/overview/"):  # several companies: the overview, then one of them
        phone.goto(phone.locator("main a[href^='/companies/']").first.get_attribute("href"))
    # The navigation is hidden behind the menu button until opened.
    nav = phone.locator("nav.sidenav")
    assert not nav.is_visible()
    toggle = phone.locator("button.nav-toggle")
    toggle.click()
    assert nav.is_visible()
    assert toggle.get_attribute("aria-expanded") == "true"
    hrefs = [a.get_attribute("href") for a in nav.locator("a").all()]
    assert len(hrefs) >= 5
    # Every navigation entry, plus the detail pages linked from the first rows.
    extra = []
    for href in hrefs:
        response = phone.goto(href)
        assert response is not None and response.status == 200, href
        scroll_width, inner_width = _overflow(phone)
        assert scroll_width <= inner_width, f"{href}: {scroll_width}px wide at {inner_width}"
        extra += [
            a.get_attribute("href")
            for a in phone.locator("main table a[href^='/companies/']").all()[:2]
        ]
    for href in dict.fromkeys(extra):
        if "sort=" in href or "download" in href or "file" in href:
            continue
        response = phone.goto(href)
        assert response is not None and response.status == 200, href
        scroll_width, inner_width = _overflow(phone)
        assert scroll_width <= inner_width, f"{href}: {scroll_width}px wide at {inner_width}"


def test_skip_link_moves_focus_to_main(phone):
    demo.load()
    _login(phone, "admin@acme.example")
    phone.keyboard.press("Tab")
    skip = phone.get_by_role("link", name="Skip to content")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.is_visible()
    phone.keyboard.press("Enter")
    assert phone.evaluate("document.activeElement.id") == "main"


def test_desktop_shows_navigation_without_menu(page):
    demo.load()
    _login(page, "admin@acme.example")
    assert page.locator("nav.sidenav").is_visible()
    assert not page.get_by_role("button", name="Menu").is_visible()


def test_overview_and_everything_it_links_fit_a_phone(phone):
    """`/overview/`, the start page of a person in several companies, and every page it links
    (each company's dashboard, its packs expiring soon, orders waiting, renewals) at 390 px."""
    demo.load()
    _login(phone, "partner@itservice.example")
    response = phone.goto("/overview/")
    assert response is not None and response.status == 200
    assert phone.locator("main section.card").count() == 2  # Acme and Northwind
    scroll_width, inner_width = _overflow(phone)
    assert scroll_width <= inner_width, f"/overview/: {scroll_width}px wide at {inner_width}"
    hrefs = list(
        dict.fromkeys(a.get_attribute("href") for a in phone.locator("main a[href]").all())
    )
    assert len(hrefs) >= 4, hrefs
    for href in hrefs:
        response = phone.goto(href)
        assert response is not None and response.status == 200, href
        scroll_width, inner_width = _overflow(phone)
        assert scroll_width <= inner_width, f"{href}: {scroll_width}px wide at {inner_width}"


def test_audit_events_show_what_and_changes_within_a_phone_width(phone):
    # The scrolled table hid the event and its changes to the right of "When" and "Who".
    demo.load()
    _login(phone, "admin@acme.example")
    gaid = phone.url.split("/companies/")[1].split("/")[0]
    phone.goto(f"/companies/{gaid}/audit/")
    row = phone.locator("table.audit tbody tr").first
    for cell in row.locator("td").all():
        box = cell.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, cell.inner_text()
    assert _overflow(phone)[0] <= 390
    phone.screenshot(path="var/screenshots/phone-audit.png", full_page=False)


def test_suspicious_unit_ids_show_their_reason_within_a_phone_width(phone):
    # The held IDs' table scrolled sideways with the reason ("Why") out of sight.
    demo.load()
    _login(phone, "admin@acme.example")
    gaid = phone.url.split("/companies/")[1].split("/")[0]
    phone.goto(f"/companies/{gaid}/ums/")
    phone.get_by_role("button", name="Upload unit IDs").first.click()
    phone.get_by_label("…or paste them").fill("ZZZZZZZZZZZZ")
    phone.get_by_role("button", name="Issue licenses").click()
    reason = phone.locator(".suspicious tbody td[data-label=Why]").first
    box = reason.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert "repeated" in reason.inner_text()
    assert _overflow(phone)[0] <= 390
    reason.scroll_into_view_if_needed()
    phone.screenshot(path="var/screenshots/phone-upload-suspicious.png")


def test_merge_and_split_pages_fit_a_phone(phone):
    # Their tables sit in a <fieldset>, which grew to the table's width: 787 px at 390.
    demo.load()
    _login(phone, "admin@acme.example")
    gaid = phone.url.split("/companies/")[1].split("/")[0]
    phone.goto(f"/companies/{gaid}/packs/")
    used_pack = None
    for row in phone.locator("main table.packs tbody tr").all():
        cells = row.locator("td")
        if cells.nth(5).inner_text().strip() != "0":  # select, ID, product, key, seats, used
            used_pack = cells.nth(1).locator("a").get_attribute("href")
            break
    assert used_pack, "the demo has a pack with licensed devices"
    for href in (f"/companies/{gaid}/packs/merge/", f"{used_pack}split/"):
        response = phone.goto(href)
        assert response is not None and response.status == 200, href
        scroll_width, inner_width = _overflow(phone)
        assert scroll_width <= inner_width, f"{href}: {scroll_width}px wide at {inner_width}"
    assert phone.locator("main fieldset table tbody tr").count() >= 1


def test_a_table_wider_than_the_phone_says_so(phone, page):
    # At 390 px the pack list showed ID, product and half a key; seats, expiry and status were
    # off to the right with nothing to tell. A desktop, where it fits, shows no such line.
    demo.load()
    _login(phone, "admin@acme.example")
    gaid = phone.url.split("/companies/")[1].split("/")[0]
    phone.goto(f"/companies/{gaid}/packs/")
    hint = phone.locator("main .scroll-hint")
    assert hint.count() == 1
    assert hint.is_visible()
    assert "Scroll sideways" in hint.inner_text()
    _login(page, "admin@acme.example")
    page.goto(f"/companies/{gaid}/packs/")
    assert page.locator("main table.packs").is_visible()
    assert page.locator("main .scroll-hint").count() == 0
