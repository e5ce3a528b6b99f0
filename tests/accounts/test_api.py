"""The accounts part of the HTTP contract (API.md), endpoint by endpoint."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from ilp.accounts import services
from ilp.accounts.models import AccessRequest, ApiToken, Invitation, Membership, User
from ilp.core.actors import Actor
from ilp.notifications.models import OutboxMail
from tests.accounts.factories import PASSWORD, make_company, make_user, make_user_token
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "a-long enough passphrase 42"


def _problem(response, status, code=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and {"type", "title", "detail"} <= body.keys()
    if code:
        assert body["code"] == code
    return body


def _token_from_outbox(email):
    mail = OutboxMail.objects.filter(to=email).latest("pk")
    return re.search(r"/invitations/(\S+)", mail.body_text).group(1)


# --- auth/tokens and me --------------------------------------------------------------------


def test_token_for_right_password_works_and_401_alike_otherwise(api, admin_user, company):
    r = api().post("/auth/tokens", {"email": "ADMIN@acme.test", "password": PASSWORD, "otp": "1"})
    assert r.status_code == 201
    token = r.json()["token"]
    assert token.startswith("ilpu_")
    assert api(token).get("/me").json()["email"] == "admin@acme.test"
    wrong = api().post("/auth/tokens", {"email": "admin@acme.test", "password": "nope"})
    unknown = api().post("/auth/tokens", {"email": "ghost@acme.test", "password": "nope"})
    assert _problem(wrong, 401)["detail"] == _problem(unknown, 401)["detail"]
    assert wrong.json()["code"] == unknown.json()["code"] == "invalid_credentials"


def test_token_creation_is_throttled(api, admin_user, settings):
    settings.ILP_THROTTLE_LOGIN = "3/m"
    for _ in range(3):
        api().post("/auth/tokens", {"email": "admin@acme.test", "password": "wrong"})
    r = api().post("/auth/tokens", {"email": "admin@acme.test", "password": PASSWORD})
    _problem(r, 429, "throttled")


def test_token_body_is_validated(api, db):
    _problem(api().post("/auth/tokens", {"email": "x@y.test"}), 422, "validation_error")
    _problem(api().post("/auth/tokens", "{not json"), 400)


def test_revoke_current_token(api, admin_user):
    token = make_user_token(admin_user)
    assert api(token).delete("/auth/tokens/current").status_code == 204
    _problem(api(token).get("/me"), 401)
    assert ApiToken.objects.get().revoked_at is not None


def test_revoke_current_token_needs_a_token(admin_user):
    session = Client()
    session.force_login(admin_user)
    _problem(ApiClient(client=session).delete("/auth/tokens/current"), 400, "not_token_auth")


def test_lists_and_numeric_ids_answer_the_declared_422(admin_api, company):
    base = f"/companies/{company.gaid}"
    for path in ("members", "invitations", "access-requests"):
        _problem(admin_api.get(f"{base}/{path}", {"limit": "many"}), 422, "validation_error")
    _problem(admin_api.delete(f"{base}/invitations/first"), 422, "validation_error")
    _problem(admin_api.delete(f"{base}/access-requests/first"), 422, "validation_error")


def test_me_lists_companies_with_roles(api, admin_user, company):
    other = make_company(name="Zeta AG")
    Membership.objects.create(user=admin_user, company=other, role="service_provider")
    body = api(make_user_token(admin_user)).get("/me").json()
    assert body["first_name"] == "Admin" and body["last_name"] == "Tester"
    assert body["companies"] == [
        {"gaid": company.gaid, "name": "Acme GmbH", "role": "administrator"},
        {"gaid": other.gaid, "name": "Zeta AG", "role": "service_provider"},
    ]
    _problem(api().get("/me"), 401)


# --- company -------------------------------------------------------------------------------


def test_company_get_and_patch(admin_api, user_api, outsider_api, company):
    r = user_api.get(f"/companies/{company.gaid}")
    assert r.status_code == 200 and r.json()["gaid"] == company.gaid
    _problem(outsider_api.get(f"/companies/{company.gaid}"), 404)
    _problem(user_api.patch(f"/companies/{company.gaid}", {"name": "X"}), 403)
    r = admin_api.patch(
        f"/companies/{company.gaid}", {"name": "Acme AG", "city": "Köln", "gaid": "GAHACKED00"}
    )
    assert r.status_code == 200
    assert r.json()["name"] == "Acme AG" and r.json()["gaid"] == company.gaid
    company.refresh_from_db()
    assert company.city == "Köln" and company.gaid == r.json()["gaid"]
    _problem(admin_api.patch(f"/companies/{company.gaid}", {"name": " "}), 422)
    _problem(admin_api.patch(f"/companies/{company.gaid}", {"country": "Germany"}), 422)


# --- members -------------------------------------------------------------------------------


def test_member_list_constant_queries(admin_api, company, django_assert_max_num_queries):
    for n in range(15):
        make_user(f"m{n}@acme.test", company=company)
    with django_assert_max_num_queries(8):
        r = admin_api.get(f"/companies/{company.gaid}/members", {"limit": 500})
    assert r.json()["count"] == 16
    assert {"email", "first_name", "last_name", "role"} <= r.json()["items"][0].keys()


def test_role_change_and_remove(admin_api, user_api, company):
    make_user("u2@acme.test", company=company)
    path = f"/companies/{company.gaid}/members/U2@acme.test"
    _problem(user_api.patch(path, {"role": "administrator"}), 403)
    r = admin_api.patch(path, {"role": "service_provider"})
    assert r.status_code == 200 and r.json()["role"] == "service_provider"
    _problem(admin_api.patch(path, {"role": "owner"}), 422)
    assert admin_api.delete(path).status_code == 204
    _problem(admin_api.delete(path), 404, "member_not_found")


def test_last_administrator_can_be_neither_demoted_nor_removed(admin_api, admin_user, company):
    path = f"/companies/{company.gaid}/members/admin@acme.test"
    _problem(admin_api.patch(path, {"role": "user"}), 409, "last_administrator")
    _problem(admin_api.delete(path), 409, "last_administrator")
    make_user("second@acme.test", company=company, role="administrator")
    assert admin_api.patch(path, {"role": "user"}).status_code == 200


# --- invitations ---------------------------------------------------------------------------


def test_invite_list_withdraw(admin_api, sp_api, company):
    base = f"/companies/{company.gaid}/invitations"
    _problem(sp_api.post(base, {"email": "new@x.test", "role": "user"}), 403)
    r = admin_api.post(base, {"email": "New@X.test", "role": "user"})
    assert r.status_code == 201
    body = r.json()
    assert body["email"] == "new@x.test" and body["role"] == "user"
    assert {"id", "expires_at"} <= body.keys()
    _problem(admin_api.post(base, {"email": "not-an-email", "role": "user"}), 422)
    _problem(admin_api.post(base, {"email": "a@x.test", "role": "boss"}), 422)
    _problem(admin_api.post(base, {"email": "admin@acme.test", "role": "user"}), 409)
    assert admin_api.get(base).json()["count"] == 1
    assert admin_api.delete(f"{base}/{body['id']}").status_code == 204
    assert admin_api.get(base).json()["count"] == 0
    _problem(admin_api.delete(f"{base}/999999"), 404)


def test_invitation_list_constant_queries(admin_api, company, django_assert_max_num_queries):
    for n in range(12):
        services.invitation_create(
            actor=Actor.system(), company=company, email=f"i{n}@x.test", role="user"
        )
    with django_assert_max_num_queries(8):
        r = admin_api.get(f"/companies/{company.gaid}/invitations")
    assert r.json()["count"] == 12


def test_lookup_and_register_as_new_person(api, admin_api, company):
    admin_api.post(f"/companies/{company.gaid}/invitations", {"email": "n@x.test", "role": "user"})
    token = _token_from_outbox("n@x.test")
    r = api().get(f"/invitations/{token}")
    assert r.json() == {
        "gaid": company.gaid,
        "company_name": "Acme GmbH",
        "email": "n@x.test",
        "role": "user",
        "account_exists": False,
        "expires_at": r.json()["expires_at"],
    }
    weak = api().post(f"/invitations/{token}/accept", {"first_name": "N", "password": "123"})
    errors = _problem(weak, 422)["errors"]
    assert {tuple(e["loc"]) for e in errors} >= {("body", "last_name"), ("body", "password")}
    r = api().post(
        f"/invitations/{token}/accept",
        {"first_name": "Nina", "last_name": "New", "password": GOOD_PASSWORD},
    )
    assert r.status_code == 200 and r.json() == {"gaid": company.gaid, "role": "user"}
    user = User.objects.get(email="n@x.test")
    assert user.check_password(GOOD_PASSWORD) and user.default_company == company
    # Single use.
    again = {"first_name": "Nina", "last_name": "New", "password": GOOD_PASSWORD}
    _problem(api().post(f"/invitations/{token}/accept", again), 409, "invitation_used")
    _problem(api().get(f"/invitations/{token}"), 409, "invitation_used")
    _problem(api().get("/invitations/ilpi_unknown"), 404)


def test_existing_user_accepts_with_own_token(api, admin_api, company):
    person = make_user("sp@partner.test", company=make_company())
    admin_api.post(
        f"/companies/{company.gaid}/invitations",
        {"email": "sp@partner.test", "role": "service_provider"},
    )
    token = _token_from_outbox("sp@partner.test")
    assert api().get(f"/invitations/{token}").json()["account_exists"] is True
    _problem(api().post(f"/invitations/{token}/accept", {}), 401, "login_required")
    stranger = make_user_token(make_user("other@x.test"))
    _problem(api(stranger).post(f"/invitations/{token}/accept"), 403, "invitation_email_mismatch")
    r = api(make_user_token(person)).post(f"/invitations/{token}/accept", "")
    assert r.status_code == 200 and r.json() == {"gaid": company.gaid, "role": "service_provider"}
    assert Membership.objects.get(user=person, company=company).role == "service_provider"


def test_withdrawn_and_expired_invitations_are_409(api, admin_api, company):
    base = f"/companies/{company.gaid}/invitations"
    inv_id = admin_api.post(base, {"email": "w@x.test", "role": "user"}).json()["id"]
    token = _token_from_outbox("w@x.test")
    admin_api.delete(f"{base}/{inv_id}")
    body = {"first_name": "W", "last_name": "X", "password": GOOD_PASSWORD}
    _problem(api().post(f"/invitations/{token}/accept", body), 409, "invitation_withdrawn")
    admin_api.post(base, {"email": "e@x.test", "role": "user"})
    token = _token_from_outbox("e@x.test")
    Invitation.objects.filter(email="e@x.test").update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    _problem(api().post(f"/invitations/{token}/accept", body), 409, "invitation_expired")
    assert not User.objects.filter(email__in=["w@x.test", "e@x.test"]).exists()


def test_invitation_lookups_are_throttled(api, settings, db):
    settings.ILP_THROTTLE_INVITATION = "2/m"
    assert api().get("/invitations/ilpi_a").status_code == 404
    assert api().get("/invitations/ilpi_b").status_code == 404
    _problem(api().get("/invitations/ilpi_c"), 429, "throttled")
    _problem(api().post("/invitations/ilpi_c/accept", {}), 429)


# --- access requests -----------------------------------------------------------------------


def test_access_request_listed_and_turned_into_invitation(api, admin_api, user_api, company):
    services.contact_person_handle(
        actor=Actor.system(),
        company=company,
        contact={"email": "c@customer.test", "first_name": "C", "last_name": "D"},
        order_number="O-1",
    )
    base = f"/companies/{company.gaid}/access-requests"
    assert user_api.get(base).json()["count"] == 1  # members read, administrators write
    _problem(user_api.post(f"{base}/1/invite", {"role": "user"}), 403)
    items = admin_api.get(base).json()["items"]
    assert [(i["email"], i["order_number"]) for i in items] == [("c@customer.test", "O-1")]
    r = admin_api.post(f"{base}/{items[0]['id']}/invite", {"role": "service_provider"})
    assert r.status_code == 201 and r.json()["email"] == "c@customer.test"
    assert admin_api.get(base).json()["count"] == 0
    assert AccessRequest.objects.get().invitation_id == r.json()["id"]
    _problem(admin_api.post(f"{base}/{items[0]['id']}/invite", {"role": "user"}), 404)
    token = _token_from_outbox("c@customer.test")
    assert api().get(f"/invitations/{token}").json()["role"] == "service_provider"


def test_access_request_dismiss(admin_api, company):
    ar = AccessRequest.objects.create(company=company, email="z@z.test")
    base = f"/companies/{company.gaid}/access-requests"
    assert admin_api.delete(f"{base}/{ar.pk}").status_code == 204
    assert admin_api.get(base).json()["count"] == 0


def test_access_request_and_me_lists_constant_queries(
    api, admin_api, admin_user, company, django_assert_max_num_queries
):
    for n in range(12):
        AccessRequest.objects.create(company=company, email=f"r{n}@x.test", order_number=f"O{n}")
        Membership.objects.create(
            user=admin_user, company=make_company(name=f"C{n:02}"), role="user"
        )
    with django_assert_max_num_queries(8):
        r = admin_api.get(f"/companies/{company.gaid}/access-requests")
    assert r.json()["count"] == 12
    with django_assert_max_num_queries(6):
        r = admin_api.get("/me")
    assert len(r.json()["companies"]) == 13
