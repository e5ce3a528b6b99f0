"""The outbound URL rule (core/outbound.py): https only, public addresses only, checked when
the URL is saved and again at each delivery, connecting to the address it checked, following
no redirect; ILP_WEBHOOK_ALLOW_HOSTS lifts it for named hosts."""

import ipaddress

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from ilp.core import outbound
from ilp.core.actors import Actor
from ilp.webhooks.models import WebhookDelivery, WebhookEndpoint
from ilp.webhooks.services import deliveries_send_due, endpoint_test
from tests.webhooks.receiver import Receiver

PUBLIC = "93.184.215.14"


@pytest.fixture(autouse=True)
def _no_allowed_hosts(settings):
    # tests/conftest.py allows loopback for every test (the SSO tests' provider): not here.
    settings.ILP_WEBHOOK_ALLOW_HOSTS = []


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",
        "fe80::1",
        "fc00::5",
        "224.0.0.1",
        "239.1.2.3",
        "ff02::1",
        "100.64.0.1",
        "100.127.255.254",
        "0.0.0.0",
        "::",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:100.64.1.1",
        "64:ff9b::7f00:1",
        "2002:7f00:1::",
        "192.0.2.1",
        "240.0.0.1",
        "not an address",
    ],
)
def test_not_public(address):
    assert outbound.address_public(address) is False


@pytest.mark.parametrize("address", [PUBLIC, "8.8.8.8", "2606:4700:4700::1111", "100.128.0.1"])
def test_public(address):
    assert outbound.address_public(address) is True


@pytest.fixture
def resolve(monkeypatch):
    """`resolve[name] = [addresses]`: what the resolver answers from now on."""
    table: dict[str, list[str]] = {}

    def fake(host, port):
        if host not in table:
            raise OSError("no such name")
        return table[host]

    monkeypatch.setattr(outbound, "host_resolve", fake)
    return table


@pytest.mark.parametrize(
    "url,addresses",
    [
        ("https://loop.example/hook", ["127.0.0.1"]),
        ("https://intranet.example/hook", ["10.0.0.7"]),
        ("https://meta.example/hook", ["169.254.169.254"]),
        ("https://mapped.example/hook", ["::ffff:127.0.0.1"]),
        ("https://cgnat.example/hook", ["100.64.3.4"]),
        ("https://mixed.example/hook", [PUBLIC, "192.168.0.1"]),
        ("http://public.example/hook", [PUBLIC]),
        ("ftp://public.example/hook", [PUBLIC]),
        ("https://user:pw@public.example/hook", [PUBLIC]),
        ("https://127.0.0.1/hook", None),
        ("https://[::1]/hook", None),
    ],
)
def test_refused_at_creation(resolve, admin_api, company, url, addresses, monkeypatch):
    if addresses is not None:
        resolve[url.split("//")[1].split("/")[0].split("@")[-1]] = addresses
    else:
        monkeypatch.undo()  # literal addresses and unknown names: the real resolver
        monkeypatch.setattr(
            outbound,
            "host_resolve",
            lambda host, port: [host] if host[0].isdigit() or ":" in host else [],
        )
    response = admin_api.post(
        f"/companies/{company.gaid}/webhooks", {"url": url, "events": ["member.added"]}
    )
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "webhook_url_not_allowed"
    assert not WebhookEndpoint.objects.exists()


def test_a_public_https_url_is_accepted_and_a_change_is_checked_too(resolve, admin_api, company):
    resolve["hooks.example"] = [PUBLIC]
    resolve["inside.example"] = ["10.9.8.7"]
    base = f"/companies/{company.gaid}/webhooks"
    created = admin_api.post(base, {"url": "https://hooks.example/in", "events": ["member.added"]})
    assert created.status_code == 201
    changed = admin_api.patch(f"{base}/{created.json()['id']}", {"url": "https://inside.example/"})
    assert changed.status_code == 422
    assert changed.json()["code"] == "webhook_url_not_allowed"


def test_a_rebinding_name_is_refused_at_delivery(resolve, admin_api, company, settings):
    """Public when saved, loopback when delivered: nothing is sent."""
    with Receiver() as receiver:
        port = receiver.server.server_address[1]
        resolve["rebind.example"] = [PUBLIC]
        created = admin_api.post(
            f"/companies/{company.gaid}/webhooks",
            {"url": f"https://rebind.example:{port}/hook", "events": ["webhook.test"]},
        )
        assert created.status_code == 201
        resolve["rebind.example"] = ["127.0.0.1"]
        endpoint = WebhookEndpoint.objects.get()
        endpoint_test(actor=Actor.system(), endpoint=endpoint)
        deliveries_send_due()
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == "pending" and delivery.attempts == 1
        assert delivery.last_error.startswith("URL not allowed")
        assert "127.0.0.1" in delivery.last_error
        assert receiver.received == []


def test_the_delivery_connects_to_the_checked_address_with_the_name_as_host(
    resolve, settings, company
):
    """An allowed host's name resolves (here) to the receiver's loopback address: the
    request goes to that address and says the name in Host."""
    settings.ILP_WEBHOOK_ALLOW_HOSTS = ["hooks.internal"]
    resolve["hooks.internal"] = ["127.0.0.1"]
    with Receiver() as receiver:
        port = receiver.server.server_address[1]
        endpoint = WebhookEndpoint.objects.create(
            endpoint_id="we_PIN",
            company=company,
            url=f"http://hooks.internal:{port}/hook",
            events=["webhook.test"],
            secret=(secret := "whsec_" + "A" * 43 + "="),
        )
        receiver.secrets.append(secret)
        endpoint_test(actor=Actor.system(), endpoint=endpoint)
        deliveries_send_due()
        assert [r["host"] for r in receiver.accepted()] == [f"hooks.internal:{port}"]


def test_redirects_are_not_followed(settings, company):
    settings.ILP_WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
    with Receiver() as target, Receiver() as receiver:
        target.secrets.append("whsec_" + "A" * 43 + "=")
        receiver.secrets.append("whsec_" + "A" * 43 + "=")
        receiver.mode = "redirect"
        receiver.redirect_to = target.url
        endpoint = WebhookEndpoint.objects.create(
            endpoint_id="we_REDIR",
            company=company,
            url=receiver.url,
            events=["webhook.test"],
            secret=receiver.secrets[0],
        )
        endpoint_test(actor=Actor.system(), endpoint=endpoint)
        deliveries_send_due()
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.last_status_code) == ("pending", 302)
        assert target.received == []


def test_http_needs_an_allowed_host(resolve, settings, admin_api, company):
    resolve["erp.local"] = ["10.0.0.5"]
    body = {"url": "http://erp.local/hook", "events": ["member.added"]}
    url = f"/companies/{company.gaid}/webhooks"
    assert admin_api.post(url, body).status_code == 422
    settings.ILP_WEBHOOK_ALLOW_HOSTS = ["erp.local"]
    assert admin_api.post(url, body).status_code == 201


def test_the_secret_is_encrypted_at_rest_and_shown_once(resolve, admin_api, company):
    resolve["hooks.example"] = [PUBLIC]
    created = admin_api.post(
        f"/companies/{company.gaid}/webhooks",
        {"url": "https://hooks.example/in", "events": ["member.added"]},
    ).json()
    secret = created["secret"]
    assert secret.startswith("whsec_")
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhooks_webhookendpoint")
        (stored,) = cursor.fetchone()
    assert secret not in stored and stored.startswith("gAAAAA")
    shown = admin_api.get(f"/companies/{company.gaid}/webhooks/{created['id']}").json()
    assert "secret" not in shown
    listed = admin_api.get(f"/companies/{company.gaid}/webhooks").json()
    assert listed["count"] == 1 and "secret" not in listed["items"][0]


def test_roles_and_tenancy(resolve, admin_api, sp_api, user_api, outsider_api, company):
    resolve["hooks.example"] = [PUBLIC]
    url = f"/companies/{company.gaid}/webhooks"
    body = {"url": "https://hooks.example/in", "events": ["member.added"]}
    assert sp_api.post(url, body).status_code == 403
    assert user_api.get(url).status_code == 403
    assert outsider_api.get(url).status_code == 404
    made = admin_api.post(url, body).json()
    assert outsider_api.get(f"{url}/{made['id']}").status_code == 404
    assert admin_api.delete(f"{url}/{made['id']}").status_code == 204
    assert admin_api.get(f"{url}/{made['id']}").status_code == 404


def test_unknown_event_types_are_refused(resolve, admin_api, staff_api, staff_admin_api, company):
    resolve["hooks.example"] = [PUBLIC]
    url = f"/companies/{company.gaid}/webhooks"
    bad = admin_api.post(url, {"url": "https://hooks.example/", "events": ["license.eaten"]})
    assert bad.status_code == 422
    empty = admin_api.post(url, {"url": "https://hooks.example/", "events": []})
    assert empty.status_code == 422
    # Vendor endpoints take order.* only.
    vendor = staff_admin_api.post(
        "/staff/webhooks", {"url": "https://hooks.example/", "events": ["member.added"]}
    )
    assert vendor.status_code == 422
    ok = staff_admin_api.post(
        "/staff/webhooks", {"url": "https://hooks.example/", "events": ["order.eula_pending"]}
    )
    assert ok.status_code == 201
    assert admin_api.post("/staff/webhooks", {"url": "https://x/", "events": []}).status_code == 403
    # An operator token may place orders but not manage the vendor's webhooks.
    assert staff_api.get("/staff/webhooks").status_code == 403
    assert staff_admin_api.get("/staff/webhooks").json()["count"] == 1


def test_a_name_not_in_dns_is_stored_and_checked_at_each_delivery(resolve, admin_api, company):
    created = admin_api.post(
        f"/companies/{company.gaid}/webhooks",
        {"url": "https://soon.example/hook", "events": ["webhook.test"]},
    )
    assert created.status_code == 201, created.content
    admin_api.post(f"/companies/{company.gaid}/webhooks/{created.json()['id']}/test")
    deliveries_send_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_error == "URL not allowed: soon.example does not resolve"
    # Once it resolves to a private address, the delivery still refuses it.
    resolve["soon.example"] = ["192.168.7.7"]
    WebhookDelivery.objects.update(next_attempt_at=delivery.created_at)
    deliveries_send_due()
    delivery.refresh_from_db()
    assert "non-public" in delivery.last_error and delivery.attempts == 2


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_an_ipv4_address_and_its_ipv6_forms_get_the_same_answer(n):
    """Whatever the IPv4 address, its IPv4-mapped, 6to4 and NAT64 forms are allowed exactly
    when it is (a private address does not become public by being written as IPv6)."""
    v4 = ipaddress.IPv4Address(n)
    answer = outbound.address_public(str(v4))
    mapped = ipaddress.IPv6Address((0xFFFF << 32) | n)
    sixtofour = ipaddress.IPv6Address((0x2002 << 112) | (n << 80))
    nat64 = ipaddress.IPv6Address((0x64FF9B << 96) | n)
    for form in (mapped, sixtofour, nat64):
        assert outbound.address_public(str(form)) is answer, form
