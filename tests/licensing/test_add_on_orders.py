"""Add-on orders (rule 19, FAQ Q4): a `new` order naming an existing key of its company."""

import datetime

import pytest

from ilp.audit.models import AuditEvent
from ilp.licensing.models import Order, ProductPack, SubscriptionKey
from ilp.notifications.models import OutboxMail
from tests.accounts.factories import make_company

pytestmark = pytest.mark.django_db


def add_on_body(company, key, number="ADD-1", *, items=None, gaid=True):
    customer = {"name": company.name, "country": "DE"}
    if gaid:
        customer["gaid"] = company.gaid
    return {
        "order_number": number,
        "kind": "new",
        "invoice_date": "2026-11-01",
        "end_customer": customer,
        "subscription_key": key,
        "items": items or [{"product": "WE", "seats": 20, "term_months": 12}],
    }


@pytest.fixture
def first(staff_api, company, admin_user):
    """The company's first order: a key with one WE pack of 10 seats."""
    response = staff_api.post(
        "/orders",
        {
            "order_number": "SO-1",
            "kind": "new",
            "invoice_date": "2026-05-01",
            "end_customer": {"gaid": company.gaid, "name": company.name},
            "items": [{"product": "WE", "seats": 10, "term_months": 12}],
        },
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_add_on_lands_under_the_same_key(staff_api, admin_api, company, first):
    key = first["subscription_key"]
    response = staff_api.post("/orders", add_on_body(company, key.lower()))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["subscription_key"] == key and body["gaid"] == company.gaid
    assert body["kind"] == "new" and body["status"] == "fulfilled"
    assert body["company_created"] is False
    (pack,) = body["product_packs"]
    assert pack["subscription_key"] == key and pack["seats"] == 20
    assert (pack["starts_on"], pack["expires_on"]) == ("2026-11-01", "2027-11-01")
    assert pack["id"] != first["product_packs"][0]["id"]
    assert SubscriptionKey.objects.count() == 1
    # The key's expiry is the latest of its packs' now.
    assert SubscriptionKey.objects.get(key=key).expires_on == datetime.date(2027, 11, 1)
    seen = admin_api.get(f"/companies/{company.gaid}/subscription-keys/{key}").json()
    assert sorted(p["seats"] for p in seen["product_packs"]) == [10, 20]
    order = Order.objects.get(order_number="ADD-1")
    assert order.subscription_key.key == key and order.eula_pending
    assert ProductPack.objects.get(pack_id=pack["id"]).order == order
    event = AuditEvent.objects.get(action="order.received", object_id="ADD-1")
    assert event.after["add_on"] is True and event.after["subscription_key"] == key
    # The administrators hear of the new packs (not of a new key), and that the EULA waits.
    mail = OutboxMail.objects.get(template="packs_added")
    assert mail.to == "admin@acme.test" and key in mail.subject
    assert pack["id"] in mail.body_text
    assert "waits for acceptance" in mail.body_text
    assert f"/companies/{company.gaid}/orders/ADD-1/" in mail.body_text


def test_add_on_replays_like_any_order(staff_api, company, first):
    body = add_on_body(company, first["subscription_key"])
    created = staff_api.post("/orders", body)
    replay = staff_api.post("/orders", body)
    assert replay.status_code == 200 and replay.json() == created.json()
    assert ProductPack.objects.filter(order__order_number="ADD-1").count() == 1
    other = staff_api.post("/orders", {**body, "items": [{"product": "WE", "seats": 5}]})
    assert other.status_code == 409 and other.json()["code"] == "order_conflict"


def test_a_key_of_another_company_is_422_and_creates_nothing(staff_api, company, first):
    other = make_company(name="Other Corp")
    response = staff_api.post("/orders", add_on_body(other, first["subscription_key"]))
    assert response.status_code == 422, response.content
    problem = response.json()
    assert problem["code"] == "subscription_key_not_on_company"
    assert problem["errors"][0]["loc"] == ["body", "subscription_key"]
    assert not Order.objects.filter(order_number="ADD-1").exists()
    assert ProductPack.objects.count() == 1


def test_a_key_alone_names_its_company(staff_api, company, first):
    response = staff_api.post(
        "/orders", add_on_body(company, first["subscription_key"], gaid=False)
    )
    assert response.status_code == 201, response.content
    assert response.json()["gaid"] == company.gaid
    assert response.json()["company_created"] is False


def test_an_unknown_key_is_422(staff_api, company, first):
    response = staff_api.post("/orders", add_on_body(company, "SK-AAAA-BBBB-CCCC"))
    assert response.status_code == 422 and response.json()["code"] == "unknown_subscription_key"
