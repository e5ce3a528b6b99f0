"""Two-factor sign-in (DESIGN.md rule 17): TOTP (RFC 6238) with recovery codes, for the API and
the pages, and a company setting that requires it of every member."""

import re
import time
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from django.test import Client
from django.urls import reverse

from ilp.accounts import otp, services
from ilp.accounts.models import RecoveryCode, TwoFactor
from ilp.audit.models import AuditEvent
from ilp.core.actors import Actor
from tests.accounts.factories import PASSWORD, make_company, make_user, make_user_token
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def _problem(response, status, code=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    if code:
        assert response.json()["code"] == code, response.json()
    return response.json()


def _delete(client: ApiClient, path: str, body: dict):
    return client._send("delete", path, body, None)


def enable(user) -> tuple[str, list[str]]:
    """Turn two-factor on for the user (as the API would); returns (secret, recovery codes)."""
    secret, _uri = services.two_factor_begin(actor=Actor.for_user(user), user=user)
    codes = services.two_factor_confirm(
        actor=Actor.for_user(user), user=user, code=otp.totp_code(secret)
    )
    # The confirming code is used up: tests log in with the next step's code.
    TwoFactor.objects.filter(user=user).update(last_step=0)
    return secret, codes


# --- set-up through the API ------------------------------------------------------------------


def test_set_up_confirm_and_log_in_through_the_api(api):
    user = make_user("anna@acme.test")
    client = api(make_user_token(user))
    response = client.post("/me/2fa")
    assert response.status_code == 201
    body = response.json()
    secret = body["secret"]
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    uri = urlsplit(body["otpauth_uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert parse_qs(uri.query)["secret"] == [secret] and parse_qs(uri.query)["issuer"] == ["ILP"]
    assert client.get("/me").json()["two_factor"] is False
    # Not active yet: logging in needs no code.
    login = {"email": user.email, "password": PASSWORD}
    assert api().post("/auth/tokens", login).status_code == 201

    _problem(client.post("/me/2fa/confirm", {"otp": "000000"}), 422, "otp_invalid")
    code = pyotp.TOTP(secret).now()  # what a phone shows (SHA-1, 6 digits, 30 s)
    response = client.post("/me/2fa/confirm", {"otp": code})
    assert response.status_code == 200, response.content
    codes = response.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", c) for c in codes)
    assert RecoveryCode.objects.filter(user=user).count() == 10
    assert client.get("/me").json()["two_factor"] is True
    assert not RecoveryCode.objects.filter(code_hash__in=codes).exists()  # stored hashed

    _problem(api().post("/auth/tokens", login), 401, "otp_required")
    _problem(api().post("/auth/tokens", {**login, "otp": "123456"}), 401, "otp_invalid")
    # The code that confirmed is used up (RFC 6238 5.2); the wrong password still says so.
    _problem(api().post("/auth/tokens", {**login, "otp": code}), 401, "otp_invalid")
    _problem(
        api().post("/auth/tokens", {**login, "password": "wrong", "otp": code}),
        401,
        "invalid_credentials",
    )
    # A recovery code works once, in any letter case and with or without its dash.
    recovery = codes[3].lower().replace("-", "")
    assert api().post("/auth/tokens", {**login, "otp": recovery}).status_code == 201
    _problem(api().post("/auth/tokens", {**login, "otp": codes[3]}), 401, "otp_invalid")
    assert AuditEvent.objects.filter(action="user.recovery_code_used").count() == 1


def test_next_steps_code_logs_in_once(api):
    user = make_user("anna@acme.test")
    secret, _codes = enable(user)
    login = {"email": user.email, "password": PASSWORD, "otp": otp.totp_code(secret)}
    assert api().post("/auth/tokens", login).status_code == 201
    _problem(api().post("/auth/tokens", login), 401, "otp_invalid")  # replay


def test_codes_of_neighbouring_steps_are_accepted_and_older_ones_not():
    secret = otp.secret_new()
    now = 1_800_000_000.0
    step = otp.current_step(now)
    totp = pyotp.TOTP(secret)
    for delta, accepted in ((-60, False), (-30, True), (0, True), (30, True), (60, False)):
        code = totp.at(now + delta)
        found = otp.totp_step_matching(secret=secret, code=code, after_step=0, now=now)
        assert (found is not None) == accepted, delta
    code = totp.at(now)
    assert otp.totp_step_matching(secret=secret, code=code, after_step=step, now=now) is None


def test_confirm_without_set_up_and_disable_when_off_are_409(api):
    client = api(make_user_token(make_user("anna@acme.test")))
    _problem(client.post("/me/2fa/confirm", {"otp": "123456"}), 409, "two_factor_not_started")
    _problem(_delete(client, "/me/2fa", {"otp": "123456"}), 409, "two_factor_not_active")
    _problem(client.post("/me/2fa/confirm", {}), 422, "validation_error")


def test_turn_off_with_a_code_and_a_new_phone_replaces_the_old(api):
    user = make_user("anna@acme.test")
    old_secret, old_codes = enable(user)
    client = api(make_user_token(user))
    # A new phone (with a recovery code of the old one): the old one keeps working until the
    # new one is confirmed.
    new_secret = client.post("/me/2fa", {"otp": old_codes[1]}).json()["secret"]
    assert new_secret != old_secret
    assert services.otp_verify(user=user, code=otp.totp_code(old_secret))
    response = client.post("/me/2fa/confirm", {"otp": otp.totp_code(new_secret)})
    new_codes = response.json()["recovery_codes"]
    assert not set(new_codes) & set(old_codes)
    assert not services.otp_verify(user=user, code=old_codes[0])  # old recovery codes gone
    _problem(_delete(client, "/me/2fa", {"otp": "000000"}), 422, "otp_invalid")
    assert _delete(client, "/me/2fa", {"otp": new_codes[0]}).status_code == 204
    assert not TwoFactor.objects.get(user=user).is_active
    assert not RecoveryCode.objects.filter(user=user).exists()
    login = {"email": user.email, "password": PASSWORD}
    assert api().post("/auth/tokens", login).status_code == 201


# --- a company that requires it --------------------------------------------------------------


def test_company_requiring_two_factor_refuses_members_without_it(api, company):
    admin = make_user("admin@acme.test", company=company, role="administrator")
    member = make_user("user@acme.test", company=company, role="user")
    admin_api, member_api = api(make_user_token(admin)), api(make_user_token(member))
    # An administrator without it cannot require it (they would lock themselves out).
    _problem(
        admin_api.patch(f"/companies/{company.gaid}", {"require_2fa": True}),
        409,
        "two_factor_not_active",
    )
    enable(admin)
    response = admin_api.patch(f"/companies/{company.gaid}", {"require_2fa": True})
    assert response.status_code == 200 and response.json()["require_2fa"] is True
    assert AuditEvent.objects.filter(action="company.two_factor_required").exists()

    body = _problem(member_api.get(f"/companies/{company.gaid}"), 403, "two_factor_required")
    assert "Acme GmbH" in body["detail"]
    _problem(member_api.get(f"/companies/{company.gaid}/product-packs"), 403)
    assert member_api.get("/me").status_code == 200  # they can still set it up
    # Another company's member still gets 404 first: the requirement tells nothing.
    outsider = api(make_user_token(make_user("x@other.test", company=make_company())))
    _problem(outsider.get(f"/companies/{company.gaid}"), 404)

    enable(member)
    assert member_api.get(f"/companies/{company.gaid}").status_code == 200
    # While the company requires it, it stays on.
    secret = TwoFactor.objects.get(user=member).secret
    _problem(
        _delete(member_api, "/me/2fa", {"otp": otp.totp_code(secret)}), 409, "two_factor_required"
    )


def test_company_pages_lead_a_member_without_two_factor_to_the_set_up(company):
    company.require_2fa = True
    company.save()
    member = make_user("user@acme.test", company=company, role="user")
    browser = Client()
    browser.force_login(member)
    page = f"/companies/{company.gaid}/manage/"
    response = browser.get(page)
    assert response.status_code == 302
    assert (
        response["Location"]
        == f"{reverse('accounts:two_factor')}?next=%2Fcompanies%2F{company.gaid}%2Fmanage%2F"
    )
    setup = browser.get(response["Location"])
    assert f"Acme GmbH ({company.gaid}) requires two-factor sign-in of its members" in (
        setup.content.decode()
    )
    enable(member)
    assert browser.get(page).status_code == 200


def test_a_company_that_does_not_require_it_costs_no_query(company, django_assert_num_queries):
    from ilp.accounts.selectors import membership_get, membership_two_factor_ok

    member = make_user("user@acme.test", company=company, role="user")
    membership = membership_get(user=member, gaid=company.gaid)
    with django_assert_num_queries(0):
        assert membership_two_factor_ok(membership)


# --- the pages: login in two steps, set-up --------------------------------------------------


def test_login_page_asks_for_the_code_in_a_second_step(company):
    user = make_user("admin@acme.test", company=company, role="administrator")
    secret, codes = enable(user)
    browser = Client()
    response = browser.post("/login/", {"username": "Admin@acme.test", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/login/verify/"
    assert browser.get("/profile/").status_code == 302  # not logged in yet
    page = browser.get("/login/verify/")
    assert "authenticator app" in page.content.decode()
    response = browser.post("/login/verify/", {"otp": "000000"})
    assert response.status_code == 422
    assert "The code is wrong" in response.content.decode()
    response = browser.post("/login/verify/", {"otp": otp.totp_code(secret)})
    assert response.status_code == 302 and response["Location"] == "/"
    assert browser.get("/profile/").status_code == 200


def test_second_step_with_a_recovery_code_and_a_stale_first_step(company, monkeypatch):
    user = make_user("admin@acme.test", company=company, role="administrator")
    _secret, codes = enable(user)
    browser = Client()
    browser.post("/login/", {"username": user.email, "password": PASSWORD})
    assert browser.post("/login/verify/", {"otp": codes[0]}).status_code == 302
    assert browser.get("/profile/").status_code == 200

    late = Client()
    late.post("/login/", {"username": user.email, "password": PASSWORD})
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 301)
    response = late.post("/login/verify/", {"otp": codes[1]})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert late.get("/profile/").status_code == 302
    assert Client().get("/login/verify/")["Location"] == "/login/"  # nobody pending


def test_admin_login_refuses_a_password_alone_for_two_factor_users():
    staff = make_user("staff@vendor.test", is_staff=True, is_superuser=True)
    enable(staff)
    response = Client().post(
        "/admin/login/", {"username": staff.email, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 200
    assert "log in on the portal" in response.content.decode()


def test_set_up_page_shows_a_qr_code_and_recovery_codes_once(company):
    user = make_user("admin@acme.test", company=company, role="administrator")
    browser = Client()
    browser.force_login(user)
    page = browser.get("/profile/two-factor/").content.decode()
    assert "Set up two-factor sign-in" in page
    response = browser.post("/profile/two-factor/", {"action": "begin"})
    assert response.status_code == 302
    page = browser.get("/profile/two-factor/").content.decode()
    assert "<svg" in page and 'data-secret="' in page
    secret = re.search(r'data-secret="([A-Z2-7]+)"', page).group(1)
    assert (
        browser.post("/profile/two-factor/", {"action": "confirm", "otp": "1"}).status_code == 422
    )
    response = browser.post(
        "/profile/two-factor/", {"action": "confirm", "otp": otp.totp_code(secret)}
    )
    codes = re.findall(r"<code>([0-9A-Z]{5}-[0-9A-Z]{5})</code>", response.content.decode())
    assert len(codes) == 10
    page = browser.get("/profile/two-factor/").content.decode()
    assert codes[0] not in page and "Turn off" in page


def test_qr_code_is_svg_of_the_uri():
    svg = otp.qr_svg("otpauth://totp/ILP:a%40b.test?secret=JBSWY3DPEHPK3PXP&issuer=ILP")
    assert svg.startswith("<svg") and "path" in svg
