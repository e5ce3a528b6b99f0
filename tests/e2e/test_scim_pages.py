"""The "User provisioning (SCIM)" page and the scoped-token form, as an administrator on a
phone (390 px), in English and German: the token is shown once, nothing scrolls sideways."""

import pytest

from ilp.accounts.models import ApiToken
from ilp.scim.models import ScimToken
from ilp.web import demo
from tests.e2e.conftest import SHOTS

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = {
    "en": {
        "setup": "Set up provisioning",
        "create": "Create token",
        "shown_once": "it is shown only once",
        "revoke": "Revoke token",
        "read_only": "Read only",
        "create_api": "Create token",
    },
    "de": {
        "setup": "Provisionierung einrichten",
        "create": "Token erstellen",
        "shown_once": "nur einmal angezeigt",
        "revoke": "Token widerrufen",
        "read_only": "Nur lesen",
        "create_api": "Token erstellen",
    },
}


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("dialog", lambda dialog: dialog.accept())
    yield page
    context.close()


def _fits(page) -> None:
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width, f"{page.url}: {scroll_width}px wide at {inner_width}"


@pytest.mark.parametrize("language", ["en", "de"])
def test_scim_page_and_scoped_token_form_on_a_phone(phone, live_server, language):
    demo.load()
    text = TEXT[language]
    phone.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    phone.goto("/login/")
    phone.locator("input[name=username], input[type=email]").first.fill("admin@acme.example")
    phone.locator("main form button[type=submit]").first.click()  # the e-mail first
    phone.locator("input[type=password]").first.fill(demo.PASSWORD)
    phone.locator("main form button[type=submit]").first.click()
    phone.wait_for_url(lambda url: "/login/" not in url)
    gaid = phone.evaluate("location.pathname").split("/")[2]

    phone.goto(f"/companies/{gaid}/manage/")
    _fits(phone)
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone.locator("section[aria-labelledby=scim-title]").screenshot(
        path=str(SHOTS / f"manage-scim-card-{language}.png")
    )
    phone.get_by_role("button", name=text["setup"]).click()
    phone.wait_for_url(f"**/companies/{gaid}/manage/scim/")
    assert f"/scim/v2/{gaid}/" in phone.locator("#scim-base-url").inner_text()
    _fits(phone)
    phone.get_by_role("button", name=text["create"]).click()
    shown = phone.locator("#new-scim-token").inner_text()
    assert shown.startswith("ilpscim_")
    assert text["shown_once"] in phone.locator(".new-token").inner_text()
    _fits(phone)
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SHOTS / f"scim-settings-{language}.png"), full_page=True)
    phone.reload()
    assert phone.locator("#new-scim-token").count() == 0  # shown once
    assert ScimToken.objects.filter(company__gaid=gaid).exists()
    phone.get_by_role("button", name=text["revoke"]).click()
    phone.wait_for_load_state()
    assert not ScimToken.objects.filter(company__gaid=gaid).exists()

    phone.goto("/profile/")
    phone.locator("#id_scopes").select_option("read")
    phone.locator(f"input[name=companies][value={gaid}]").check()
    phone.locator("#tokens form.invite-form button[type=submit]").click()
    phone.locator("#new-token").wait_for()
    token = ApiToken.objects.filter(user__email="admin@acme.example").latest("pk")
    assert token.scopes == ["read"] and token.companies == [gaid]
    row = phone.locator("#tokens tbody tr").first
    assert text["read_only"] in row.inner_text() and gaid in row.inner_text()
    _fits(phone)
    phone.locator("#tokens").screenshot(path=str(SHOTS / f"profile-tokens-{language}.png"))
