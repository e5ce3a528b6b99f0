"""Smoke: each demo login visits every entry of its navigation; no page may be an error.

Screenshots land in var/screenshots/test_portal_smoke-*.png, one per role and page.
"""

import re

import pytest

from ilp.web import demo

pytestmark = pytest.mark.django_db(transaction=True)

LOGINS = {
    "administrator": ("admin@acme.example", ["acme"]),
    "service_provider": ("partner@itservice.example", ["acme", "north"]),
    "user": ("user@acme.example", ["acme"]),
    "north_administrator": ("admin@northwind.example", ["north"]),
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@pytest.mark.parametrize("who", list(LOGINS))
def test_every_nav_entry_renders(who, page, login, shot):
    ctx = demo.load()
    email, companies = LOGINS[who]
    login(email, demo.PASSWORD)
    page.wait_for_url(lambda url: "/login/" not in url)
    visited = 0
    for company_key in companies:
        gaid = ctx.companies[company_key].gaid
        response = page.goto(f"/switch/?gaid={gaid}")
        assert response is not None and response.status == 200, f"{who}: switch to {gaid}"
        assert gaid in page.locator("header").inner_text()
        nav = page.locator("nav.sidenav a")
        entries = [
            (nav.nth(i).inner_text(), nav.nth(i).get_attribute("href")) for i in range(nav.count())
        ]
        assert len(entries) >= 3, f"{who}: navigation has only {entries}"
        for label, href in entries:
            response = page.goto(href)
            assert response is not None, href
            assert response.status == 200, f"{who} → {label} ({href}): HTTP {response.status}"
            main = page.locator("main")
            assert main.is_visible()
            assert page.locator("h1").count() >= 1, f"{who} → {label}: no heading"
            text = main.inner_text()
            for marker in ("Traceback", "Something went wrong", "Not found", "Server Error"):
                assert marker not in text, f"{who} → {label}: {marker!r} on the page"
            current = page.locator('nav.sidenav a[aria-current="page"]')
            assert current.count() == 1 and current.inner_text() == label, label
            shot(f"{company_key}-{_slug(label)}")
            visited += 1
    assert visited >= 3


def test_german_browser_gets_german_pages(browser, live_server, request):
    from tests.e2e.conftest import SHOTS

    ctx = demo.load()
    # After login the profile language applies (web.views.LoginView), so the person chose German.
    ctx.users["admin"].language = "de"
    ctx.users["admin"].save(update_fields=["language"])
    context = browser.new_context(
        base_url=live_server.url, locale="de-DE", viewport={"width": 1360, "height": 900}
    )
    page = context.new_page()
    try:
        page.goto("/login/")
        page.get_by_label("E-Mail").fill("admin@acme.example")
        page.get_by_role("button", name="Weiter").click()  # the e-mail first
        page.get_by_label("Passwort").fill(demo.PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        nav = page.locator("nav.sidenav")
        for label in ("Produktpakete", "Subskriptionsschlüssel", "Bestellungen", "Firma verwalten"):
            assert nav.get_by_role("link", name=label).is_visible(), label
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{request.node.name}-dashboard.png"), full_page=True)
        nav.get_by_role("link", name="Produktpakete").click()
        assert page.get_by_role("heading", name="Produktpakete").is_visible()
        page.screenshot(path=str(SHOTS / f"{request.node.name}-packs.png"), full_page=True)
    finally:
        context.close()
