"""Staff roles (DESIGN.md rule 25): `support` < `operator` < `staff_admin` on staff tokens and
staff users; one check behind the API (`StaffAuth(role)`) and the pages (`staff_page(role)`);
two-factor sign-in required of staff users; the Django admin for superusers only; a staff
actor's reason in the company's own audit log."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from ilp.accounts.models import StaffToken
from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.authz import StaffRole, staff_role_allows
from ilp.core.ids import token_hash
from tests.accounts.factories import (
    make_company,
    make_staff_token,
    make_staff_user,
    make_user,
    make_user_token,
)
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def _order(number: str, gaid: str) -> dict:
    return {
        "order_number": number,
        "kind": "new",
        "invoice_date": datetime.date.today().isoformat(),
        "end_customer": {"gaid": gaid, "name": "Acme GmbH", "country": "DE"},
        "items": [{"product": "WE", "seats": 5, "term_months": 12}],
    }


def test_roles_are_ranked():
    ranked = [StaffRole.SUPPORT, StaffRole.OPERATOR, StaffRole.STAFF_ADMIN]
    for i, role in enumerate(ranked):
        for j, needed in enumerate(ranked):
            assert staff_role_allows(role, needed) is (i >= j), (role, needed)
    assert not staff_role_allows(None, StaffRole.SUPPORT)
    assert not staff_role_allows("customer", StaffRole.SUPPORT)


def test_create_staff_token_defaults_to_operator_and_takes_a_role():
    out = io.StringIO()
    call_command("create_staff_token", "erp-feed", stdout=out)
    token = out.getvalue().strip().splitlines()[-1]
    assert StaffToken.objects.get(token_hash=token_hash(token)).role == "operator"
    out = io.StringIO()
    call_command("create_staff_token", "helpdesk", "--role", "support", stdout=out)
    token = out.getvalue().strip().splitlines()[-1]
    assert StaffToken.objects.get(token_hash=token_hash(token)).role == "support"
    with pytest.raises(Exception):  # noqa: B017 - argparse refuses an unknown role
        call_command("create_staff_token", "x", "--role", "boss", stdout=io.StringIO())


def test_posting_orders_and_delivery_tokens_needs_operator():
    company = make_company(name="Acme GmbH")
    support = ApiClient(make_staff_token("helpdesk", role="support"))
    operator = ApiClient(make_staff_token("erp", role="operator"))
    response = support.post("/orders", _order("R-1", company.gaid))
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert operator.post("/orders", _order("R-1", company.gaid)).status_code == 201
    # A support token still reads the order.
    assert support.get("/orders/R-1").status_code == 200
    body = {
        "order_number": "LEGACY-1",
        "invoice_date": "2020-01-01",
        "items": [{"product": "WE", "seats": 5, "term_months": 12}],
    }
    assert support.post("/delivery-tokens", body).status_code == 403
    assert operator.post("/delivery-tokens", body).status_code == 201


def test_a_staff_user_acts_as_staff_only_with_two_factor_on():
    company = make_company(name="Acme GmbH")
    with_2fa = make_staff_user("op@vendor.test", role="operator")
    without = make_staff_user("new@vendor.test", role="operator", two_factor=False)
    assert (
        ApiClient(make_user_token(with_2fa))
        .post("/orders", _order("U-1", company.gaid))
        .status_code
        == 201
    )
    response = ApiClient(make_user_token(without)).post("/orders", _order("U-2", company.gaid))
    assert response.status_code == 403 and response.json()["code"] == "wrong_credential_kind"
    # A customer's token is no staff credential at all.
    customer = make_user("anna@acme.test", company=company, role="administrator")
    assert ApiClient(make_user_token(customer)).get("/orders/U-1").status_code == 403


def test_the_back_office_pages_need_staff_and_two_factor():
    client = Client()
    client.force_login(make_user("anna@acme.test", company=make_company()))
    assert client.get("/staff/").status_code == 404  # customers: no back office
    client.force_login(make_staff_user("new@vendor.test", two_factor=False))
    response = client.get("/staff/")
    assert response.status_code == 302 and response["Location"].startswith("/profile/two-factor/")
    client.force_login(make_staff_user("help@vendor.test", role="support"))
    response = client.get("/staff/")
    assert response.status_code == 200 and b"staff-search" in response.content


def test_a_staff_user_lands_in_the_back_office():
    client = Client()
    client.force_login(make_staff_user("help@vendor.test"))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/staff/"


def test_the_django_admin_is_for_superusers_only():
    client = Client()
    client.force_login(make_staff_user("op@vendor.test", role="staff_admin"))
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/staff/"
    superuser = make_user("root@vendor.test", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    assert client.get("/admin/").status_code == 200
    # A customer signed in is sent to their portal, not to the admin's login.
    client.force_login(make_user("anna@acme.test", company=make_company()))
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[0][1] == 302
    assert not response.redirect_chain[-1][0].startswith("/admin/")


def test_a_staff_correction_shows_in_the_company_s_log_with_its_reason():
    company = make_company(name="Acme GmbH")
    admin = make_user("anna@acme.test", company=company, role="administrator")
    staff = make_staff_user("op@vendor.test", role="operator")
    event_record(
        actor=Actor.for_staff(user=staff).with_reason("Customer asked by phone, ticket 4711"),
        action="order.cancelled",
        obj_type="order",
        obj_id="R-1",
        company=company,
    )
    item = ApiClient(make_user_token(admin)).get(f"/companies/{company.gaid}/events").json()
    event = item["items"][0]
    assert event["actor_kind"] == "staff" and event["actor"] == "staff:op@vendor.test"
    assert event["reason"] == "Customer asked by phone, ticket 4711"
    client = Client()
    client.force_login(admin)
    page = client.get(f"/companies/{company.gaid}/audit/").content.decode()
    assert "Vendor staff" in page and "Customer asked by phone, ticket 4711" in page


def test_a_staff_token_s_actor_is_named_by_the_token():
    staff = StaffToken(name="erp-feed", role="operator")
    actor = Actor.for_staff(staff).with_reason("  duplicate order  ")
    assert actor.label == "staff:erp-feed" and actor.reason == "duplicate order"
    assert actor.is_vendor_staff


@pytest.mark.django_db(transaction=True)
def test_staff_tokens_made_before_roles_become_operators():
    executor = MigrationExecutor(connection)
    before = [("accounts", "0007_merge_claims_two_factor")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    try:
        old.get_model("accounts", "StaffToken").objects.create(name="erp", token_hash="x" * 64)
        executor = MigrationExecutor(connection)
        executor.migrate([("accounts", "0008_staff_roles")])
        assert StaffToken.objects.get(name="erp").role == "operator"
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_staff_cannot_turn_two_factor_off():
    from ilp.accounts import otp
    from ilp.accounts.models import TwoFactor

    user = make_staff_user("op@vendor.test", role="operator")
    secret = TwoFactor.objects.get(user=user).secret
    client = ApiClient(make_user_token(user))
    response = client._send("delete", "/me/2fa", {"otp": otp.totp_code(secret)}, None)
    assert response.status_code == 409 and response.json()["code"] == "two_factor_required"
    assert TwoFactor.objects.get(user=user).is_active


def test_the_demo_s_staff_sign_in_to_the_back_office_with_the_printed_key(capsys):
    import pyotp

    from ilp.web import demo

    call_command("demo")
    out = capsys.readouterr().out
    assert demo.STAFF_TOTP_SECRET in out and "/staff/" in out
    client = Client()
    response = client.post("/login/", {"username": demo.STAFF_EMAIL, "password": demo.PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/login/verify/"
    code = pyotp.TOTP(demo.STAFF_TOTP_SECRET).now()
    response = client.post("/login/verify/", {"otp": code})
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 200
