"""The webhook pages: add an endpoint with event checkboxes, the secret shown once, rotate,
test, retry, delete; the event types with a sample each; administrators only; German."""

import re

import pytest
from django.test import Client

from ilp.core import outbound
from ilp.webhooks.events import EVENT_TYPES
from ilp.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.accounts.factories import make_user

PUBLIC = "93.184.215.14"


@pytest.fixture(autouse=True)
def _resolver(monkeypatch):
    monkeypatch.setattr(
        outbound,
        "host_resolve",
        lambda host, port: {"hooks.example": [PUBLIC], "inside.example": ["10.0.0.1"]}[host],
    )


@pytest.fixture
def browser(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def _base(company):
    return f"/companies/{company.gaid}/manage/webhooks/"


def test_add_show_secret_once_rotate_test_retry_delete(browser, company):
    page = browser.get(_base(company))
    assert page.status_code == 200
    for event_type in EVENT_TYPES:
        assert f'value="{event_type}"' in page.text
    added = browser.post(
        _base(company),
        {"url": "https://hooks.example/in", "events": ["license.issued", "member.added"]},
    )
    endpoint = WebhookEndpoint.objects.get()
    assert added.status_code == 302 and added.url.endswith(f"/{endpoint.endpoint_id}/")
    assert endpoint.events == ["license.issued", "member.added"]
    shown = browser.get(added.url)
    secret = re.search(r'value="(whsec_[^"]+)"', shown.text).group(1)
    assert secret == endpoint.secret
    assert secret not in browser.get(added.url).text  # once
    rotated = browser.post(f"{added.url}rotate/")
    new = re.search(r'value="(whsec_[^"]+)"', browser.get(rotated.url).text).group(1)
    assert new != secret
    browser.post(f"{added.url}test/")
    delivery = WebhookDelivery.objects.get()
    log = browser.get(added.url).text
    assert delivery.message_id in log and "webhook.test" in log
    WebhookDelivery.objects.update(status="failed", next_attempt_at=None)
    assert "Retry" in browser.get(added.url).text
    browser.post(f"{added.url}deliveries/{delivery.message_id}/retry/")
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    browser.post(f"{added.url}delete/")
    assert not WebhookEndpoint.objects.exists()


def test_a_refused_url_reads_as_a_message(browser, company):
    page = browser.post(
        _base(company), {"url": "https://inside.example/", "events": ["member.added"]}
    )
    assert page.status_code == 422
    assert "not allowed" in page.text
    assert not WebhookEndpoint.objects.exists()


def test_settings_change_and_disable(browser, company):
    browser.post(_base(company), {"url": "https://hooks.example/in", "events": ["member.added"]})
    endpoint = WebhookEndpoint.objects.get()
    url = f"{_base(company)}{endpoint.endpoint_id}/"
    browser.post(url, {"url": "https://hooks.example/v2", "events": ["ums.created"]})
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events, endpoint.enabled) == (
        "https://hooks.example/v2",
        ["ums.created"],
        False,
    )


def test_event_types_show_a_sample_each(browser, company):
    page = browser.get(f"{_base(company)}events/")
    assert page.status_code == 200
    for event_type in EVENT_TYPES:
        assert f"&quot;type&quot;: &quot;{event_type}&quot;" in page.text


def test_only_administrators(company):
    for role in ("service_provider", "user"):
        client = Client()
        client.force_login(make_user(f"{role}@acme.test", company=company, role=role))
        assert client.get(_base(company)).status_code == 403


def test_german(browser, company):
    page = browser.get(_base(company), headers={"accept-language": "de"})
    assert "Endpunkt hinzufügen" in page.text
