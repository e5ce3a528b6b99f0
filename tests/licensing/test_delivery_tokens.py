"""Legacy delivery tokens: staff issue, a company registers once."""

import re

import pytest

from ilp.audit.models import AuditEvent
from ilp.core.ids import token_hash
from ilp.licensing.models import DeliveryToken, ProductPack, SubscriptionKey
from ilp.licensing.services.delivery_tokens import token_normalize
from ilp.notifications.models import OutboxMail
from tests.accounts.factories import make_company, make_user, make_user_token

pytestmark = pytest.mark.django_db

ISSUE = {
    "order_number": "LEGACY-2019-17",
    "invoice_date": "2020-03-31",
    "items": [
        {"product": "WE", "seats": 25, "term_months": 60},
        {"product": "WE-P", "seats": 5, "term_months": 0},
    ],
}


def issue(staff_api, body=ISSUE):
    response = staff_api.post("/delivery-tokens", body)
    assert response.status_code == 201, response.content
    return response.json()["token"]


def test_staff_issue_a_typeable_token_stored_hashed(staff_api):
    token = issue(staff_api)
    assert re.fullmatch(r"DT(-[0-9A-HJKMNP-TV-Z]{5}){5}", token)
    row = DeliveryToken.objects.get()
    assert row.token_hash == token_hash(token_normalize(token))
    assert token not in str(row.__dict__)
    assert row.items[0] == {"product": "WE", "seats": 25, "term_months": 60}


def test_issue_validates_items_and_needs_staff(staff_api, admin_api):
    bad = {**ISSUE, "items": [{"product": "ICG", "seats": 5, "term_months": 12}]}
    response = staff_api.post("/delivery-tokens", bad)
    assert response.status_code == 422 and response.json()["code"] == "invalid_items"
    assert admin_api.post("/delivery-tokens", ISSUE).status_code == 403
    assert not DeliveryToken.objects.exists()


def test_register_lands_packs_in_the_company(staff_api, sp_api, company, admin_user):
    token = issue(staff_api)
    # Typed sloppily: lower case, spaces instead of dashes, O for 0 and l for 1.
    typed = token.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    url = f"/companies/{company.gaid}/delivery-tokens"
    response = sp_api.post(url, {"token": typed, "accept_eula": True})
    assert response.status_code == 201, response.content
    body = response.json()
    key = SubscriptionKey.objects.get(key=body["subscription_key"])
    assert key.company == company
    we, wep = sorted(body["product_packs"], key=lambda p: p["product"])
    assert (we["seats"], we["starts_on"], we["expires_on"]) == (25, "2020-03-31", "2025-03-31")
    assert we["status"] == "expired"
    assert (wep["product"], wep["expires_on"], wep["status"]) == ("WE-P", None, "active")
    assert ProductPack.objects.filter(company=company).count() == 2
    assert OutboxMail.objects.filter(to=admin_user.email, template="new_subscription_key").exists()
    row = DeliveryToken.objects.get()
    assert row.registered_at and row.company == company and row.subscription_key == key


def test_used_token_is_409_unknown_404(staff_api, admin_api, company):
    token = issue(staff_api)
    url = f"/companies/{company.gaid}/delivery-tokens"
    assert admin_api.post(url, {"token": token, "accept_eula": True}).status_code == 201
    response = admin_api.post(url, {"token": token, "accept_eula": True})
    assert response.status_code == 409 and response.json()["code"] == "delivery_token_used"
    other = make_company(name="Other")
    other_api_token = make_user_token(
        make_user("x@other.test", company=other, role="administrator")
    )
    from tests.conftest import ApiClient

    response = ApiClient(other_api_token).post(
        f"/companies/{other.gaid}/delivery-tokens", {"token": token, "accept_eula": True}
    )
    assert response.status_code == 409
    response = admin_api.post(
        url, {"token": "DT-00000-00000-00000-00000-00000", "accept_eula": True}
    )
    assert response.status_code == 404 and response.json()["code"] == "delivery_token_not_found"
    assert SubscriptionKey.objects.count() == 1


def test_user_role_cannot_register(staff_api, user_api, company):
    token = issue(staff_api)
    assert (
        user_api.post(f"/companies/{company.gaid}/delivery-tokens", {"token": token}).status_code
        == 403
    )
    assert DeliveryToken.objects.get().registered_at is None


def test_registering_without_accepting_the_eula_is_422_and_changes_nothing(
    staff_api, admin_api, company
):
    token = issue(staff_api)
    url = f"/companies/{company.gaid}/delivery-tokens"
    for body in ({"token": token}, {"token": token, "accept_eula": False}):
        response = admin_api.post(url, body)
        assert response.status_code == 422, response.content
        assert response.json()["code"] == "eula_not_accepted"
        assert response.json()["errors"][0]["loc"] == ["body", "accept_eula"]
    assert DeliveryToken.objects.get().registered_at is None
    assert not SubscriptionKey.objects.exists()

    response = admin_api.post(url, {"token": token, "accept_eula": True})
    assert response.status_code == 201, response.content
    # Its packs have no order and accepted the vendor EULA with the tick: they issue at once.
    assert all(p["eula_accepted"] for p in response.json()["product_packs"])
    row = DeliveryToken.objects.get()
    assert row.eula_version.version == "sample-1" and row.eula_accepted_by == "admin@acme.test"
    event = AuditEvent.objects.get(action="eula.accepted")
    assert (event.object_type, event.object_id) == ("delivery_token", row.order_number)
    assert event.after["eula_version"] == "sample-1" and event.actor_label == "admin@acme.test"
