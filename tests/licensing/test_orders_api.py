"""POST /orders and GET /orders/{n}: rules 1–5 through the staff API."""

import datetime

import pytest

from ilp.accounts.models import AccessRequest, Company, Membership
from ilp.audit.models import AuditEvent
from ilp.licensing.models import Order, ProductPack, SubscriptionKey
from ilp.notifications.models import OutboxMail
from tests.accounts.factories import make_company, make_user

pytestmark = pytest.mark.django_db

KEY_RE = r"^SK-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$"


def order_body(number="SO-1", *, items=None, **fields):
    body = {
        "order_number": number,
        "kind": "new",
        "invoice_date": "2026-11-01",
        "end_customer": {"name": "Neue Firma AG", "city": "Bremen", "country": "DE"},
        "items": items or [{"product": "WE", "seats": 10, "term_months": 12}],
    }
    body.update(fields)
    return body


def test_new_order_creates_company_key_and_packs(staff_api):
    response = staff_api.post(
        "/orders",
        order_body(
            items=[
                {"product": "WE", "seats": 10, "term_months": 12},
                {"product": "EMP", "seats": 5, "term_months": 24},
            ]
        ),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {
        "order_number",
        "kind",
        "gaid",
        "company_created",
        "subscription_key",
        "status",
        "product_packs",
        "contact_outcome",
        "eula_accepted",
        "eula_version",
        "eula_accepted_at",
        "eula_accepted_by",
    }
    # Every delivered order carries the vendor EULA, which waits for the customer (rule 20).
    assert body["eula_accepted"] is False and body["eula_version"] is None
    assert all(p["eula_accepted"] is False for p in body["product_packs"])
    assert body["company_created"] is True
    assert body["status"] == "fulfilled" and body["kind"] == "new"
    assert body["contact_outcome"] is None
    import re

    assert re.match(KEY_RE, body["subscription_key"])
    company = Company.objects.get(gaid=body["gaid"])
    assert company.name == "Neue Firma AG" and company.city == "Bremen"
    we, emp = body["product_packs"]
    assert re.match(r"^WE-[0-9A-HJKMNP-TV-Z]{5}$", we["id"])
    assert emp["id"].startswith("EMP-")
    assert (we["seats"], we["starts_on"], we["expires_on"]) == (10, "2026-11-01", "2027-11-01")
    assert (emp["seats"], emp["expires_on"]) == (5, "2028-11-01")
    assert we["subscription_key"] == body["subscription_key"]
    key = SubscriptionKey.objects.get(key=body["subscription_key"])
    assert key.company == company and key.expires_on == datetime.date(2028, 11, 1)
    assert AuditEvent.objects.filter(action="order.received", object_id="SO-1").exists()


def test_get_order_returns_the_same_object(staff_api):
    first = staff_api.post("/orders", order_body()).json()
    response = staff_api.get("/orders/SO-1")
    assert response.status_code == 200
    assert response.json() == first
    assert staff_api.get("/orders/NOPE").status_code == 404


def test_month_end_is_clamped(staff_api):
    body = staff_api.post(
        "/orders",
        order_body(
            invoice_date="2026-01-31", items=[{"product": "WE", "seats": 1, "term_months": 1}]
        ),
    ).json()
    assert body["product_packs"][0]["expires_on"] == "2026-02-28"
    body = staff_api.post(
        "/orders",
        order_body(
            "SO-2",
            invoice_date="2027-12-31",
            items=[{"product": "WE", "seats": 1, "term_months": 2}],
        ),
    ).json()
    assert body["product_packs"][0]["expires_on"] == "2028-02-29"  # leap year


def test_perpetual_pack_has_no_expiry_and_key_takes_max_of_dated(staff_api):
    body = staff_api.post(
        "/orders",
        order_body(
            items=[
                {"product": "WE-P", "seats": 3, "term_months": 0},
            ]
        ),
    ).json()
    pack = body["product_packs"][0]
    assert pack["id"].startswith("WEP-") and pack["expires_on"] is None
    assert SubscriptionKey.objects.get(key=body["subscription_key"]).expires_on is None
    body = staff_api.post(
        "/orders",
        order_body(
            "SO-2",
            items=[
                {"product": "WE-P", "seats": 3},
                {"product": "WE", "seats": 3, "term_months": 6},
            ],
        ),
    ).json()
    assert SubscriptionKey.objects.get(key=body["subscription_key"]).expires_on == datetime.date(
        2027, 5, 1
    )


def test_matches_by_gaid(staff_api, company):
    body = staff_api.post(
        "/orders", order_body(end_customer={"gaid": company.gaid.lower(), "name": "x"})
    ).json()
    assert body["gaid"] == company.gaid and body["company_created"] is False
    assert Company.objects.count() == 1


def test_unknown_gaid_is_422(staff_api, db):
    response = staff_api.post(
        "/orders", order_body(end_customer={"gaid": "GA00000000", "name": "x"})
    )
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_gaid"
    assert response.json()["errors"][0]["loc"] == ["body", "end_customer", "gaid"]
    assert not Order.objects.exists()


def test_gaid_wins_over_customer_number(staff_api, company):
    other = make_company(name="Other", customer_number="C-9")
    body = staff_api.post(
        "/orders",
        order_body(end_customer={"gaid": company.gaid, "customer_number": "C-9", "name": "x"}),
    ).json()
    assert body["gaid"] == company.gaid != other.gaid


def test_matches_by_customer_number(staff_api, db):
    known = make_company(name="Known", customer_number="C-77")
    body = staff_api.post(
        "/orders", order_body(end_customer={"customer_number": "C-77", "name": "Whatever"})
    ).json()
    assert body["gaid"] == known.gaid and body["company_created"] is False


def test_unknown_customer_number_creates_company_with_it(staff_api, db):
    body = staff_api.post(
        "/orders",
        order_body(end_customer={"customer_number": "C-NEW", "name": "Fresh Ltd", "country": "gb"}),
    ).json()
    assert body["company_created"] is True
    company = Company.objects.get(gaid=body["gaid"])
    assert company.customer_number == "C-NEW" and company.country == "GB"
    # The next order with that number lands in the same company.
    again = staff_api.post(
        "/orders",
        order_body("SO-2", end_customer={"customer_number": "C-NEW", "name": "Fresh Ltd"}),
    ).json()
    assert again["gaid"] == company.gaid and again["company_created"] is False


def test_identical_replay_is_200_with_the_same_json_and_creates_nothing(staff_api):
    first = staff_api.post("/orders", order_body())
    # Key order and spacing don't matter: the hash is over the canonical body.
    body = order_body()
    replay = staff_api.post("/orders", dict(reversed(list(body.items()))))
    assert first.status_code == 201 and replay.status_code == 200
    assert replay.content == first.content
    assert Order.objects.count() == 1 and ProductPack.objects.count() == 1
    assert Company.objects.count() == 1 and SubscriptionKey.objects.count() == 1
    assert OutboxMail.objects.count() == 0  # nobody to mail yet; a replay mails nothing either


def test_replay_with_different_body_is_409(staff_api):
    staff_api.post("/orders", order_body())
    response = staff_api.post(
        "/orders", order_body(items=[{"product": "WE", "seats": 11, "term_months": 12}])
    )
    assert response.status_code == 409
    assert response.json()["code"] == "order_conflict"
    assert ProductPack.objects.count() == 1


@pytest.mark.parametrize(
    "item, loc_end",
    [
        ({"product": "NOPE", "seats": 1, "term_months": 12}, "product"),
        ({"product": "WE", "seats": 0, "term_months": 12}, "seats"),
        ({"product": "WE", "seats": -5, "term_months": 12}, "seats"),
        ({"product": "ICG", "seats": 15, "term_months": 12}, "seats"),
        ({"product": "WE", "seats": 5, "term_months": 0}, "term_months"),
        ({"product": "WE", "seats": 5}, "term_months"),
    ],
)
def test_invalid_items_are_422_with_errors(staff_api, item, loc_end):
    response = staff_api.post(
        "/orders", order_body(items=[{"product": "WE", "seats": 1, "term_months": 1}, item])
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid_items"
    assert body["errors"][0]["loc"] == ["body", "items", 1, loc_end]
    assert not Order.objects.exists() and not Company.objects.exists()


def test_icg_in_multiples_of_ten_is_fine(staff_api):
    response = staff_api.post(
        "/orders", order_body(items=[{"product": "icg", "seats": 20, "term_months": 12}])
    )
    assert response.status_code == 201
    assert response.json()["product_packs"][0]["id"].startswith("ICG-")


def test_malformed_orders(staff_api, db):
    assert staff_api.post("/orders", "{not json").status_code == 400
    assert staff_api.post("/orders", {"order_number": "X"}).status_code == 422
    response = staff_api.post("/orders", order_body(kind="upgrade"))
    assert response.status_code == 422 and response.json()["code"] == "invalid_kind"
    response = staff_api.post("/orders", order_body(end_customer={"name": " "}))
    assert response.status_code == 422
    # A new order may name a key (an add-on, tests/licensing/test_add_on_orders.py); an
    # unknown one is a 422.
    response = staff_api.post("/orders", order_body(subscription_key="SK-AAAA-BBBB-CCCC"))
    assert response.status_code == 422 and response.json()["code"] == "unknown_subscription_key"


def test_order_endpoints_need_a_staff_token(api, admin_api, db):
    assert api().post("/orders", order_body()).status_code == 401
    assert admin_api.post("/orders", order_body()).status_code == 403
    assert admin_api.get("/orders/SO-1").status_code == 403
    assert not Order.objects.exists()


def test_products_for_any_token(api, admin_api, staff_api):
    assert api().get("/products").status_code == 401
    for client in (admin_api, staff_api):
        body = client.get("/products").json()
        skus = {p["sku"]: p for p in body["items"]}
        assert set(skus) >= {"WE", "EMP", "ICG", "WE-P"}
        assert skus["ICG"]["seat_multiple"] == 10 and skus["WE-P"]["term"] == "perpetual"
        assert skus["WE-P"]["pack_prefix"] == "WEP"


# --- renewal orders: validated here, applied by the renewals service -----------------------


def test_renewal_needs_a_subscription_key(staff_api, company):
    response = staff_api.post(
        "/orders", order_body(kind="renewal", end_customer={"gaid": company.gaid})
    )
    assert response.status_code == 422
    assert response.json()["code"] == "subscription_key_required"


def test_renewal_with_unknown_key_or_other_companys_key_is_422(staff_api, company):
    from tests.licensing.factories import make_key

    other_key = make_key(make_company(name="Other"))
    response = staff_api.post(
        "/orders",
        order_body(
            kind="renewal",
            end_customer={"gaid": company.gaid},
            subscription_key="SK-0000-0000-0000",
        ),
    )
    assert response.json()["code"] == "unknown_subscription_key"
    response = staff_api.post(
        "/orders",
        order_body(
            kind="renewal", end_customer={"gaid": company.gaid}, subscription_key=other_key.key
        ),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "subscription_key_mismatch"
    assert not Order.objects.exists()


def test_renewal_is_handed_to_the_renewal_service(staff_api, company, monkeypatch):
    from ilp.licensing.services import renewals
    from tests.licensing.factories import make_key

    key = make_key(company, packs=[("WE", 10)])
    seen = {}

    def fake_apply(*, actor, order, subscription_key, items):
        seen.update(
            order=order, key=subscription_key, items=[(i.product.sku, i.seats) for i in items]
        )
        return "awaiting_redemption", []

    monkeypatch.setattr(renewals, "renewal_order_apply", fake_apply)
    response = staff_api.post(
        "/orders",
        order_body(kind="renewal", end_customer={"name": "x"}, subscription_key=key.key.lower()),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "awaiting_redemption" and body["product_packs"] == []
    assert body["gaid"] == company.gaid and body["subscription_key"] == key.key
    assert seen["key"] == key and seen["items"] == [("WE", 10)]
    assert Order.objects.get().kind == "renewal"


# --- contact person (rule 4), each outcome through the API --------------------------------


CONTACT = {"email": "Carla.Contact@Example.test", "first_name": "Carla", "last_name": "Contact"}


def test_contact_of_new_company_becomes_administrator(staff_api):
    body = staff_api.post("/orders", order_body(contact=CONTACT)).json()
    assert body["contact_outcome"] == "administrator_created"
    m = Membership.objects.get(company__gaid=body["gaid"])
    assert m.role == "administrator" and m.user.email == "carla.contact@example.test"
    mail = OutboxMail.objects.get(to="carla.contact@example.test")
    assert "/invitations/" in mail.body_text


def test_registered_contact_is_assigned_administrator(staff_api, db):
    make_user("carla.contact@example.test")
    body = staff_api.post("/orders", order_body(contact=CONTACT)).json()
    assert body["contact_outcome"] == "administrator_assigned"
    assert Membership.objects.get(company__gaid=body["gaid"]).role == "administrator"


def test_company_with_administrator_gets_access_request(staff_api, company, admin_user):
    body = staff_api.post(
        "/orders", order_body(end_customer={"gaid": company.gaid}, contact=CONTACT)
    ).json()
    assert body["contact_outcome"] == "administrators_notified"
    assert AccessRequest.objects.filter(
        company=company, email="carla.contact@example.test"
    ).exists()
    assert OutboxMail.objects.filter(to=admin_user.email).count() == 2  # new key + access request
    assert not Membership.objects.filter(
        company=company, user__email="carla.contact@example.test"
    ).exists()


def test_contact_already_member_changes_nothing(staff_api, company, admin_user):
    contact = {"email": "ADMIN@acme.test", "first_name": "A", "last_name": "B"}
    body = staff_api.post(
        "/orders", order_body(end_customer={"gaid": company.gaid}, contact=contact)
    ).json()
    assert body["contact_outcome"] == "already_member"
    assert not AccessRequest.objects.exists()


# --- mails ---------------------------------------------------------------------------------


def test_new_key_mail_goes_to_administrators_and_opted_in_members(staff_api, company, admin_user):
    make_user("quiet@acme.test", company=company, role="user")
    keen = make_user("keen@acme.test", company=company, role="user")
    Membership.objects.filter(user=keen).update(
        notify_new_key=True
    )  # the "new subscription key" opt-in
    make_user("sp@acme.test", company=company, role="service_provider")
    body = staff_api.post("/orders", order_body(end_customer={"gaid": company.gaid})).json()
    mails = OutboxMail.objects.filter(template="new_subscription_key")
    assert sorted(m.to for m in mails) == ["admin@acme.test", "keen@acme.test"]
    mail = mails.get(to="admin@acme.test")
    assert body["subscription_key"] in mail.subject
    assert body["product_packs"][0]["id"] in mail.body_text
    assert (
        f"/companies/{company.gaid}/subscription-keys/{body['subscription_key']}/" in mail.body_text
    )


@pytest.mark.parametrize(
    "change, code",
    [
        ({"order_number": "X" * 65}, "validation_error"),
        ({"invoice_date": "9999-12-31"}, "invalid_invoice_date"),
        ({"items": [{"product": "WE", "seats": 10**12, "term_months": 12}]}, "invalid_items"),
        ({"items": [{"product": "WE", "seats": 1, "term_months": 10**9}]}, "invalid_items"),
        ({"end_customer": {"name": "N" * 201}}, "validation_error"),
        ({"end_customer": {"name": "Firma", "country": "Germany"}}, "validation_error"),
        ({"end_customer": {"name": "Firma", "country": "D1"}}, "invalid_country"),
    ],
)
def test_out_of_range_values_are_422_never_500(staff_api, db, change, code):
    response = staff_api.post("/orders", order_body(**change))
    assert response.status_code == 422, response.content
    assert response.json()["code"] == code
    assert not Order.objects.exists() and not Company.objects.exists()
