"""Webhook pages in a browser: an administrator adds an endpoint with event checkboxes, copies
the secret shown once, sends a test event that a real receiver verifies, reads the delivery
log and the event types; at 390 px nothing scrolls sideways, in English and German."""

import re

import pytest

from ilp.webhooks.services import deliveries_send_due
from tests.accounts.factories import PASSWORD, make_user
from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver(settings):
    settings.ILP_WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
    with Receiver() as r:
        yield r


def _overflow(page) -> bool:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    return width > inner


def test_add_an_endpoint_test_it_and_read_the_log(page, login, shot, company, receiver):
    make_user("admin@acme.test", company=company, role="administrator")
    login("admin@acme.test", PASSWORD)
    page.wait_for_url(lambda url: "/login/" not in url)
    page.goto(f"/companies/{company.gaid}/manage/")
    page.get_by_role("button", name="Manage webhooks").click()
    page.get_by_label("URL").fill(receiver.url)
    page.get_by_label("Description").fill("ERP")
    page.get_by_label("license.issued").check()
    page.get_by_label("webhook.test").check()
    shot("add")
    page.get_by_role("button", name="Add endpoint").click()
    secret = page.get_by_role("textbox", name="Signing secret").input_value()
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/=]+", secret)
    receiver.secrets.append(secret)
    shot("secret-once")
    page.get_by_role("button", name="Send test event").click()
    assert page.locator("td", has_text="webhook.test").is_visible()
    deliveries_send_due()
    page.reload()
    assert page.locator("td .badge", has_text="succeeded").is_visible()
    assert [r["type"] for r in receiver.accepted()] == ["webhook.test"]
    assert not page.get_by_role("textbox", name="Signing secret").count()  # shown once
    shot("log")
    page.get_by_role("link", name="Webhooks").first.click()
    page.get_by_role("link", name="Event types and sample payloads").click()
    page.get_by_text("Sample payload").first.click()
    assert page.get_by_text('"type": "license.issued"').is_visible()
    shot("events")


@pytest.mark.parametrize("language", ["en", "de"])
def test_webhook_pages_fit_a_phone(browser, live_server, company, receiver, language):
    from ilp.core.actors import Actor
    from ilp.webhooks.services import endpoint_create, endpoint_test

    make_user("admin@acme.test", company=company, role="administrator")
    endpoint, _secret = endpoint_create(
        actor=Actor.system(),
        company=company,
        url=receiver.url + "/a/rather/long/path/that/must/wrap/on/a/phone?token=abcdef",
        events=["license.issued", "member.added"],
    )
    endpoint_test(actor=Actor.system(), endpoint=endpoint)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 800})
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    phone = context.new_page()
    phone.goto("/login/")
    phone.locator("input[name=username], input[type=email]").first.fill("admin@acme.test")
    phone.locator("main form button[type=submit]").first.click()  # the e-mail first
    phone.locator("input[type=password]").fill(PASSWORD)
    phone.locator("main form button[type=submit]").first.click()
    phone.wait_for_url(lambda url: "/login/" not in url)
    base = f"/companies/{company.gaid}/manage/webhooks/"
    for path in (base, f"{base}{endpoint.endpoint_id}/", f"{base}events/"):
        phone.goto(path)
        assert phone.locator("html").get_attribute("lang") == language
        assert not _overflow(phone), path
        phone.screenshot(
            path=f"var/screenshots/webhooks-phone-{language}-{path.rstrip('/').split('/')[-1]}.png",
            full_page=True,
        )
    context.close()
