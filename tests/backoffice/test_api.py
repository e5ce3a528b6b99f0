"""The back office's API (API.md, "Vendor back office (staff)"): staff users and tokens,
search, a company summed up, the order desk, the catalogue and the reports; each route's
role, and vendor staff reading every company route and changing nothing there."""

import csv
import datetime
import io

import pytest

from ilp.accounts.models import StaffMember, User
from ilp.core.authz import StaffRole, staff_role_allows
from ilp.licensing.models import Eula, Order, ProductPack
from ilp.notifications.models import OutboxMail
from tests.accounts.factories import (
    make_company,
    make_staff_user,
    make_user,
    make_user_token,
)
from tests.backoffice.conftest import order_body
from tests.conftest import ApiClient
from tests.licensing.factories import make_key
from tests.rollout.factories import issue, make_ums

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


# --- who may call what (support < operator < staff_admin) -----------------------------------

# The contract's minimum role of each back-office route (API.md); the routes' own `auth=`
# must say the same. tests/test_tenancy_matrix.py calls each route with every role.
CONTRACT_ROLES = {
    ("POST", "/orders"): StaffRole.OPERATOR,
    ("POST", "/delivery-tokens"): StaffRole.OPERATOR,
    ("GET", "/orders/{order_number}"): StaffRole.SUPPORT,
    ("GET", "/staff/users"): StaffRole.STAFF_ADMIN,
    ("POST", "/staff/users"): StaffRole.STAFF_ADMIN,
    ("PATCH", "/staff/users/{staff_member_id}"): StaffRole.STAFF_ADMIN,
    ("DELETE", "/staff/users/{staff_member_id}"): StaffRole.STAFF_ADMIN,
    ("GET", "/staff/tokens"): StaffRole.STAFF_ADMIN,
    ("POST", "/staff/tokens"): StaffRole.STAFF_ADMIN,
    ("DELETE", "/staff/tokens/{staff_token_id}"): StaffRole.STAFF_ADMIN,
    ("GET", "/staff/search"): StaffRole.SUPPORT,
    ("GET", "/staff/companies/{gaid}"): StaffRole.SUPPORT,
    ("GET", "/staff/orders"): StaffRole.SUPPORT,
    ("POST", "/staff/products"): StaffRole.STAFF_ADMIN,
    ("PATCH", "/staff/products/{sku}"): StaffRole.STAFF_ADMIN,
    ("POST", "/staff/eulas"): StaffRole.STAFF_ADMIN,
    ("GET", "/staff/reports/seats"): StaffRole.SUPPORT,
    ("GET", "/staff/reports/renewals"): StaffRole.SUPPORT,
}


def test_every_back_office_route_needs_the_contract_s_role():
    from tests.test_tenancy_matrix import STAFF_ROUTES

    declared = {(r.method, r.path): r.auth[0].role for r in STAFF_ROUTES}
    for route, role in CONTRACT_ROLES.items():
        assert declared.get(route) == role, f"{route}: {declared.get(route)} (contract: {role})"


@pytest.mark.parametrize("role", list(StaffRole))
def test_role_matrix_on_reads_and_writes(role, staff_as, company):
    client = staff_as(role)
    calls = {
        StaffRole.SUPPORT: [
            lambda: client.get("/staff/search?q=acme"),
            lambda: client.get(f"/staff/companies/{company.gaid}"),
            lambda: client.get("/staff/orders"),
            lambda: client.get("/staff/reports/seats"),
            lambda: client.get("/staff/reports/renewals"),
        ],
        StaffRole.OPERATOR: [lambda: client.post("/orders", order_body("M-1", gaid=company.gaid))],
        StaffRole.STAFF_ADMIN: [
            lambda: client.get("/staff/users"),
            lambda: client.post("/staff/tokens", {"name": "x", "role": "support"}),
            lambda: client.post(
                "/staff/products",
                {
                    "sku": "XP",
                    "name": "X",
                    "pack_prefix": "XP",
                    "seat_multiple": 1,
                    "term": "perpetual",
                },
            ),
        ],
    }
    for needed, requests in calls.items():
        for request in requests:
            response = request()
            if staff_role_allows(role, needed):
                assert response.status_code in (200, 201), (role, needed, response.content)
            else:
                assert response.status_code == 403, (role, needed, response.content)


# --- staff users and tokens -----------------------------------------------------------------


def test_adding_a_staff_user_mails_them_the_way_in(staff_as):
    client = staff_as("staff_admin")
    response = client.post("/staff/users", {"email": "Neu@Vendor.TEST", "role": "support"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "neu@vendor.test" and body["role"] == "support"
    assert body["registered"] is False and body["two_factor"] is False
    user = User.objects.get(email="neu@vendor.test")
    assert user.is_staff and not user.has_usable_password()
    mail = OutboxMail.objects.get(to="neu@vendor.test", template="staff_invitation")
    assert "/password-reset/ilpr_" in mail.body_text and "/staff/" in mail.body_text
    again = client.post("/staff/users", {"email": "neu@vendor.test", "role": "operator"})
    assert again.status_code == 409 and again.json()["code"] == "staff_member_exists"
    bad = client.post("/staff/users", {"email": "x@vendor.test", "role": "boss"})
    assert bad.status_code == 422


def test_an_existing_person_becomes_staff_without_a_password_link(staff_as):
    make_user("anna@vendor.test")
    response = staff_as().post("/staff/users", {"email": "anna@vendor.test", "role": "operator"})
    assert response.status_code == 201 and response.json()["registered"] is True
    mail = OutboxMail.objects.get(to="anna@vendor.test", template="staff_invitation")
    assert "password-reset" not in mail.body_text


def test_changing_and_removing_staff_keeps_a_staff_administrator(staff_as):
    client = staff_as()
    boss = make_staff_user("boss@vendor.test", role="staff_admin")
    helper = make_staff_user("help@vendor.test", role="support")
    boss_id, helper_id = boss.staff_member.pk, helper.staff_member.pk
    response = client.patch(f"/staff/users/{helper_id}", {"role": "operator"})
    assert response.status_code == 200 and response.json()["role"] == "operator"
    response = client.patch(f"/staff/users/{boss_id}", {"role": "support"})
    assert response.status_code == 409 and response.json()["code"] == "last_staff_admin"
    assert client.delete(f"/staff/users/{boss_id}").status_code == 409
    assert client.delete(f"/staff/users/{helper_id}").status_code == 204
    helper.refresh_from_db()
    assert not helper.is_staff and not StaffMember.objects.filter(user=helper).exists()
    # No longer staff: the person's token no longer reaches the back office.
    assert ApiClient(make_user_token(helper)).get("/staff/search?q=x").status_code == 403
    assert client.delete(f"/staff/users/{helper_id}").status_code == 404


def test_staff_tokens_are_made_listed_and_revoked(staff_as):
    client = staff_as()
    response = client.post(
        "/staff/tokens",
        {"name": "helpdesk-script", "role": "support"},
        headers={"Idempotency-Key": "k1"},
    )
    assert response.status_code == 201
    token = response.json()["token"]
    assert token.startswith("ilps_") and response.json()["role"] == "support"
    helpdesk = ApiClient(token)
    assert helpdesk.get("/staff/search?q=x").status_code == 200
    assert helpdesk.get("/staff/users").status_code == 403  # support only
    # A new secret is never replayed.
    replay = client.post(
        "/staff/tokens",
        {"name": "helpdesk-script", "role": "support"},
        headers={"Idempotency-Key": "k1"},
    )
    assert replay.status_code == 409 and replay.json()["code"] == "idempotency_not_replayable"
    listed = client.get("/staff/tokens").json()
    mine = [t for t in listed["items"] if t["name"] == "helpdesk-script"]
    assert len(mine) == 1 and "token" not in mine[0]
    assert client.delete(f"/staff/tokens/{mine[0]['id']}").status_code == 204
    assert helpdesk.get("/staff/search?q=x").status_code == 401


# --- search ---------------------------------------------------------------------------------


@pytest.fixture
def customer(db, staff_as):
    company = make_company(name="Müller Logistik GmbH", city="Bremen", customer_number="C-777")
    make_user("anna.admin@mueller.test", company=company, role="administrator")
    response = staff_as("operator").post("/orders", order_body("SO-2026-0042", gaid=company.gaid))
    assert response.status_code == 201, response.content
    pack = ProductPack.objects.get(company=company)
    ums, _ = make_ums(company, packs=[pack])
    Order.objects.filter(order_number="SO-2026-0042").update(
        eula_accepted_at=datetime.datetime.now(datetime.UTC)
    )
    ProductPack.objects.filter(pk=pack.pk)  # (the pack's EULA is the order's)
    issue(ums, "WE", "00E0C5A1B2C3")
    other = make_company(name="Mueller Bau AG")
    return company, pack, other


def _kinds(response, kind):
    assert response.status_code == 200, response.content
    return [i for i in response.json()["items"] if i["kind"] == kind]


@pytest.mark.parametrize(
    "typed",
    ["{gaid}", "{gaid_lower}", "C-777", "müller", "MULLER log", "Muller-Logistik", "mül"],
)
def test_search_finds_a_company(typed, customer, staff_as):
    company, _pack, _other = customer
    q = typed.format(gaid=company.gaid, gaid_lower=company.gaid.lower())
    hits = _kinds(staff_as("support").get("/staff/search", {"q": q}), "company")
    assert [h["gaid"] for h in hits] == [company.gaid], q
    assert hits[0]["id"] == company.gaid and "Müller Logistik GmbH" in hits[0]["label"]


def test_search_finds_key_pack_order_person_and_device_whatever_the_separators(customer, staff_as):
    company, pack, _other = customer
    client = staff_as("support")
    key = pack.subscription_key.key
    for typed in (key, key.lower(), key.replace("-", ""), key.replace("-", " ")):
        hits = _kinds(client.get("/staff/search", {"q": typed}), "subscription_key")
        assert [(h["id"], h["gaid"]) for h in hits] == [(key, company.gaid)], typed
    for typed in (pack.pack_id, pack.pack_id.lower(), pack.pack_id.replace("-", "")):
        hits = _kinds(client.get("/staff/search", {"q": typed}), "product_pack")
        assert [h["id"] for h in hits] == [pack.pack_id], typed
    hits = _kinds(client.get("/staff/search", {"q": "SO-2026-0042"}), "order")
    assert [(h["id"], h["gaid"]) for h in hits] == [("SO-2026-0042", company.gaid)]
    hits = _kinds(client.get("/staff/search", {"q": " Anna.Admin@Mueller.TEST "}), "user")
    assert [(h["id"], h["gaid"]) for h in hits] == [("anna.admin@mueller.test", company.gaid)]
    for typed in ("00:E0:C5:A1:B2:C3", "00-e0-c5-a1-b2-c3", "00e0.c5a1.b2c3", "00E0C5A1B2C3"):
        hits = _kinds(client.get("/staff/search", {"q": typed}), "device")
        assert [(h["id"], h["gaid"]) for h in hits] == [("00E0C5A1B2C3", company.gaid)], typed
        assert "WE" in hits[0]["label"]


def test_search_answers_nothing_for_nothing(customer, staff_as):
    client = staff_as("support")
    assert client.get("/staff/search", {"q": ""}).json() == {"items": [], "count": 0}
    assert client.get("/staff/search", {"q": "zzz-nobody"}).json()["count"] == 0
    # One letter is no name prefix (it would list half the customers).
    assert _kinds(client.get("/staff/search", {"q": "M"}), "company") == []


def test_a_renamed_company_is_found_by_its_new_name(staff_as):
    from ilp.accounts.services import company_update
    from ilp.core.actors import Actor

    company = make_company(name="Alt GmbH")
    company_update(actor=Actor.system(), company=company, name="Ørsted Nord ÄG")
    hits = _kinds(staff_as("support").get("/staff/search", {"q": "orsted nord ag"}), "company")
    assert [h["gaid"] for h in hits] == [company.gaid]


# --- a company, orders ----------------------------------------------------------------------


def test_staff_see_a_company_with_its_counts_and_orders(customer, staff_as):
    company, _pack, _other = customer
    response = staff_as("support").get(f"/staff/companies/{company.gaid.lower()}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Müller Logistik GmbH"
    assert body["counts"] == {
        "members": 1,
        "subscription_keys": 1,
        "product_packs": 1,
        "ums": 1,
        "licenses": 1,
    }
    assert [o["order_number"] for o in body["orders"]] == ["SO-2026-0042"]
    assert staff_as("support").get("/staff/companies/GA00000000").status_code == 404


def test_the_order_desk_lists_and_filters_orders(customer, staff_as):
    company, _pack, other = customer
    operator = staff_as("operator")
    old = (TODAY - datetime.timedelta(days=400)).isoformat()
    assert (
        operator.post(
            "/orders", order_body("SO-OLD", gaid=other.gaid, invoice_date=old)
        ).status_code
        == 201
    )
    client = staff_as("support")
    items = client.get("/staff/orders").json()["items"]
    assert [o["order_number"] for o in items] == ["SO-2026-0042", "SO-OLD"]
    first = items[0]
    assert first["gaid"] == company.gaid and first["contact_outcome"] is None
    assert first["items"] == [{"product": "WE", "seats": 10, "term_months": 12}]
    assert first["product_packs"][0]["seats"] == 10 and first["status"] == "fulfilled"
    since = (TODAY - datetime.timedelta(days=30)).isoformat()
    assert [
        o["order_number"] for o in client.get(f"/staff/orders?since={since}").json()["items"]
    ] == ["SO-2026-0042"]
    assert [
        o["order_number"] for o in client.get(f"/staff/orders?until={since}").json()["items"]
    ] == ["SO-OLD"]
    assert client.get("/staff/orders?q=mueller bau").json()["items"][0]["order_number"] == "SO-OLD"
    assert client.get("/staff/orders?q=SO-20").json()["count"] == 1
    assert client.get("/staff/orders?status=awaiting_redemption").json()["count"] == 0
    assert client.get("/staff/orders?since=yesterday").status_code == 422


def test_an_order_s_contact_mails_are_recorded_for_its_page(staff_as):
    company = make_company(name="Contact GmbH")
    contact = {"email": "c@contact.test", "first_name": "Cora", "last_name": "Contact"}
    assert (
        staff_as("operator")
        .post("/orders", order_body("SO-C", gaid=company.gaid, contact=contact))
        .status_code
        == 201
    )
    assert set(OutboxMail.objects.filter(about="order:SO-C").values_list("to", flat=True)) == {
        "c@contact.test"
    }
    order = staff_as("support").get("/staff/orders?q=SO-C").json()["items"][0]
    assert order["contact_outcome"] == "administrator_created"


# --- vendor staff read every company route and change nothing -------------------------------


def test_staff_read_a_company_that_requires_two_factor_and_write_nothing(staff_as):
    company = make_company(name="Strict GmbH", require_2fa=True)
    make_user("boss@strict.test", company=company, role="administrator")
    for client in (staff_as("support"), ApiClient(make_user_token(make_staff_user()))):
        response = client.get(f"/companies/{company.gaid}/members")
        assert response.status_code == 200 and response.json()["count"] == 1
        response = client.post(
            f"/companies/{company.gaid}/invitations", {"email": "x@strict.test", "role": "user"}
        )
        assert response.status_code == 403 and response.json()["code"] == "staff_read_only"
        assert client.patch(f"/companies/{company.gaid}", {"name": "Hacked"}).status_code == 403
    company.refresh_from_db()
    assert company.name == "Strict GmbH"
    # A staff user without two-factor sign-in is nobody here.
    nobody = ApiClient(make_user_token(make_staff_user(two_factor=False)))
    assert nobody.get(f"/companies/{company.gaid}/members").status_code == 404


def test_a_staff_user_who_is_a_member_acts_as_the_member(staff_as):
    company = make_company(name="Own GmbH")
    person = make_staff_user("both@vendor.test", role="support")
    from tests.accounts.factories import add_member

    add_member(person, company, "administrator")
    client = ApiClient(make_user_token(person))
    response = client.post(
        f"/companies/{company.gaid}/invitations", {"email": "x@own.test", "role": "user"}
    )
    assert response.status_code == 201


# --- catalogue ------------------------------------------------------------------------------


def test_staff_add_and_change_a_product_and_orders_use_it(staff_as, company):
    client = staff_as()
    body = {
        "sku": "kiosk",
        "name": "Kiosk Edition",
        "pack_prefix": "KI",
        "seat_multiple": 5,
        "term": "subscription",
    }
    response = client.post("/staff/products", body)
    assert response.status_code == 201 and response.json()["sku"] == "KIOSK"
    assert client.post("/staff/products", body).json()["code"] == "product_exists"
    clash = {**body, "sku": "OTHER", "pack_prefix": "WE"}
    assert client.post("/staff/products", clash).json()["code"] == "pack_prefix_taken"
    response = client.patch(
        "/staff/products/kiosk", {"name": "Kiosk Edition 2", "seat_multiple": 10}
    )
    assert response.status_code == 200 and response.json()["seat_multiple"] == 10
    assert client.patch("/staff/products/NOPE", {"name": "x"}).status_code == 404
    skus = [p["sku"] for p in client.get("/products").json()["items"]]
    assert "KIOSK" in skus
    order = order_body(
        "SO-K", gaid=company.gaid, items=[{"product": "KIOSK", "seats": 20, "term_months": 12}]
    )
    response = staff_as("operator").post("/orders", order)
    assert response.status_code == 201 and response.json()["product_packs"][0]["id"].startswith(
        "KI-"
    )


def test_a_published_vendor_eula_is_the_one_accepted_from_then_on(staff_as, company, admin_api):
    response = staff_as("operator").post("/orders", order_body("SO-E", gaid=company.gaid))
    assert response.status_code == 201
    published = staff_as().post(
        "/staff/eulas", {"kind": "vendor", "version": "2027-01", "text": "New terms."}
    )
    assert published.status_code == 201, published.content
    assert (
        published.json()["version"] == "2027-01"
        and published.json()["published_on"] == TODAY.isoformat()
    )
    again = staff_as().post("/staff/eulas", {"kind": "vendor", "version": "2027-01", "text": "x"})
    assert again.status_code == 409 and again.json()["code"] == "eula_version_exists"
    accepted = admin_api.post(f"/companies/{company.gaid}/orders/SO-E/eula", {})
    assert accepted.status_code == 200 and accepted.json()["eula_version"] == "2027-01"
    # A new order carries the vendor EULA, in force in that version.
    staff_as("operator").post("/orders", order_body("SO-E2", gaid=company.gaid))
    assert Order.objects.get(order_number="SO-E2").eula.kind == Eula.Kind.VENDOR


def test_a_third_party_eula_is_stamped_on_the_product_s_new_packs(staff_as, company):
    response = staff_as().post(
        "/staff/eulas",
        {"kind": "third_party", "product": "icg", "version": "v1", "text": "Gateway terms."},
    )
    assert response.status_code == 201 and response.json()["product"] == "ICG"
    assert (
        staff_as()
        .post("/staff/eulas", {"kind": "third_party", "version": "v1", "text": "x"})
        .status_code
        == 422
    )
    order = order_body(
        "SO-T", gaid=company.gaid, items=[{"product": "ICG", "seats": 10, "term_months": 12}]
    )
    assert staff_as("operator").post("/orders", order).status_code == 201
    pack = ProductPack.objects.get(order__order_number="SO-T")
    assert (
        pack.third_party_eula is not None and pack.third_party_eula.versions.get().version == "v1"
    )


# --- reports --------------------------------------------------------------------------------


def test_the_seats_report_counts_sold_running_used_and_companies(customer, staff_as):
    company, _pack, other = customer
    make_key(other, packs=[("WE", 5, 2), ("EMP", 3)])
    month = TODAY.strftime("%Y-%m")
    body = staff_as("support").get(f"/staff/reports/seats?month={month}").json()
    rows = {r["product"]: r for r in body["items"]}
    expected_sold = 10 if (TODAY - datetime.timedelta(days=3)).month == TODAY.month else 0
    assert rows["WE"] == {
        "product": "WE",
        "seats_sold": expected_sold,
        "seats_active": 15,
        "seats_used": 3,
        "companies": 2,
    }
    assert rows["EMP"]["seats_active"] == 3 and rows["EMP"]["companies"] == 1
    assert staff_as("support").get("/staff/reports/seats?month=2027-13").status_code == 422
    csv_response = staff_as("support").get(f"/staff/reports/seats?month={month}&format=csv")
    assert csv_response["Content-Type"].startswith("text/csv")
    lines = list(
        csv.reader(io.StringIO(b"".join(csv_response.streaming_content).decode("utf-8-sig")))
    )
    assert lines[0] == ["product", "seats_sold", "seats_active", "seats_used", "companies"]


def test_the_renewals_report_lists_seats_coming_due(staff_as):
    soon = make_company(name="=Soon GmbH")
    make_key(soon, packs=[("WE", 7), ("WE", 3)], expires_on=TODAY + datetime.timedelta(days=20))
    later = make_company(name="Later AG")
    make_key(later, packs=[("EMP", 4)], expires_on=TODAY + datetime.timedelta(days=200))
    client = staff_as("support")
    items = client.get("/staff/reports/renewals").json()["items"]
    assert [(i["gaid"], i["product"], i["seats"]) for i in items] == [(soon.gaid, "WE", 10)]
    assert items[0]["expires_on"] == (TODAY + datetime.timedelta(days=20)).isoformat()
    wide = client.get("/staff/reports/renewals?within_days=365").json()["items"]
    assert [i["company"] for i in wide] == ["=Soon GmbH", "Later AG"]
    assert client.get("/staff/reports/renewals?within_days=0").status_code == 422
    response = client.get("/staff/reports/renewals?format=csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["gaid", "company", "subscription_key", "product", "seats", "expires_on"]
    assert rows[1][1] == "'=Soon GmbH"  # a formula is never a formula in the export
