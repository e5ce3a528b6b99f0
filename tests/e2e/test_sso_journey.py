"""Single sign-on as people click it, through the local OpenID provider (node's
oidc-provider): an administrator sets the company up (provider, a domain verified by DNS,
just-in-time membership, require SSO); a colleague signs in with the e-mail first, becomes a
member, and sees the company; a colleague who signs in with a password gets the readable 403.
Screenshots in English and German, wide and at 390 px."""

import pytest
from django.test import override_settings

from ilp.accounts.models import Membership
from ilp.sso.models import CompanyDomain
from tests.accounts.factories import PASSWORD, make_company, make_user
from tests.sso.idp import TestIdp


@pytest.fixture
def e2e_idp(live_server):
    callback = f"{live_server.url}/sso/callback"
    provider = TestIdp(
        [{"client_id": "acme", "client_secret": "acme-secret", "redirect_uris": [callback]}]
    )
    with override_settings(ILP_BASE_URL=live_server.url):
        yield provider
    provider.stop()


def _provider_sign_in(page, login: str):
    page.wait_for_url(lambda url: "/interaction/" in url)
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("anything")
    page.locator("button[type=submit]").click()


def test_sso_set_up_and_sign_in(page, live_server, e2e_idp, test_dns, shot, login):
    company = make_company(name="Acme GmbH")
    make_user("boss@acme.test", company=company, role="administrator")
    make_user("pat@acme.test", company=company, role="user")

    # The administrator (password; administrators keep it) sets single sign-on up.
    login("boss@acme.test", PASSWORD)
    page.wait_for_url(lambda url: "/login/" not in url)
    page.goto(f"/companies/{company.gaid}/manage/")
    page.get_by_role("link", name="Single sign-on and e-mail domains").click()
    page.get_by_label("Issuer URL").fill(e2e_idp.issuer)
    page.get_by_label("Client ID").fill("acme")
    page.get_by_label("Client secret").fill("acme-secret")
    page.get_by_label("New people at a verified domain").select_option("user")
    page.get_by_label("Members at a verified domain must sign in through single sign-on").check()
    page.get_by_role("button", name="Save single sign-on").click()
    page.get_by_text("Single sign-on is saved.").wait_for()
    page.get_by_label("Domain", exact=True).fill("acme.test")
    page.get_by_role("button", name="Add domain").click()
    value = page.locator("code.txt-value").last.inner_text().strip()
    assert value.startswith("ilp-domain-verification=")
    shot("settings-domain-waiting")
    test_dns.records["acme.test"] = [value]
    page.get_by_role("button", name="Verify").click()
    page.get_by_text("acme.test is verified.").wait_for()
    assert CompanyDomain.objects.get(domain="acme.test").verified
    shot("settings-verified")
    page.set_viewport_size({"width": 390, "height": 844})
    shot("settings-390")
    page.set_viewport_size({"width": 1360, "height": 900})
    page.get_by_role("button", name="Log out").click()

    # A new colleague: e-mail first, on to the provider, back as a just-in-time member.
    context = page.context.browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}
    )
    newcomer = context.new_page()
    newcomer.goto("/login/")
    newcomer.get_by_label("E-mail").fill("new.colleague@acme.test")
    newcomer.get_by_role("button", name="Continue").click()
    _provider_sign_in(newcomer, "new.colleague@acme.test")
    newcomer.wait_for_url(lambda url: company.gaid in url)
    assert Membership.objects.get(user__email="new.colleague@acme.test").role == "user"
    newcomer.screenshot(path="var/screenshots/test_sso_set_up_and_sign_in-newcomer-390.png")
    newcomer.goto("/profile/sessions/")
    assert newcomer.get_by_text("This browser").is_visible()
    newcomer.screenshot(
        path="var/screenshots/test_sso_set_up_and_sign_in-sessions-390.png", full_page=True
    )
    context.close()

    # A member at the verified domain who signs in with a password: require_sso says no.
    other = page.context.browser.new_context(base_url=live_server.url, locale="de-DE")
    member = other.new_page()
    member.goto("/login/?password=1")
    member.get_by_label("E-Mail").fill("pat@acme.test")
    member.get_by_label("Passwort").fill(PASSWORD)
    member.get_by_role("button", name="Anmelden").click()
    member.wait_for_url(lambda url: "/login/" not in url)
    member.goto(f"/companies/{company.gaid}/manage/")
    assert "Single Sign-on" in member.content()
    member.screenshot(path="var/screenshots/test_sso_set_up_and_sign_in-sso-required-de.png")
    # The same person through the provider gets in.
    member.get_by_role("button", name="Abmelden").click()
    member.goto("/login/")
    member.get_by_label("E-Mail").fill("pat@acme.test")
    member.get_by_role("button", name="Weiter").click()
    _provider_sign_in(member, "pat@acme.test")
    member.wait_for_url(lambda url: company.gaid in url)
    member.goto(f"/companies/{company.gaid}/manage/")
    assert member.get_by_role("heading", name="Firma verwalten").is_visible()
    other.close()


def test_login_asks_for_the_e_mail_first(page, live_server, shot):
    make_user("ann@plain.test", company=make_company(name="Plain"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login/")
    assert page.get_by_label("Password").count() == 0
    shot("email-step-390")
    page.get_by_label("E-mail").fill("ann@plain.test")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password").fill(PASSWORD)
    shot("password-step-390")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    page.goto("/help/single-sign-on/")
    page.get_by_role("heading", name="Microsoft Entra ID").wait_for()
    shot("help-390")


def test_login_e_mail_first_in_german(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="de-DE", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    page.goto("/login/")
    page.get_by_role("button", name="Weiter").wait_for()
    assert page.get_by_text("Stattdessen mit Passwort anmelden").is_visible()
    page.screenshot(path="var/screenshots/test_login_e_mail_first_in_german-390.png")
    context.close()
