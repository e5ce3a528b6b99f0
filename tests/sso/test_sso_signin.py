"""Signing in through a company's OpenID provider: the local oidc-provider end to end, and
each refusal of the ID token's checks (tokens crafted with the provider's own signing key)."""

import time

import pytest
from django.test import Client
from joserfc import jwt
from joserfc.jwk import RSAKey

from ilp.accounts.models import ApiToken, Membership, SignIn, User, UserSession
from ilp.audit.models import AuditEvent
from ilp.notifications.models import OutboxMail
from ilp.sso import signin
from tests.accounts.factories import PASSWORD, make_user
from tests.conftest import ApiClient
from tests.sso.conftest import local, provider_login, sso_company, sso_sign_in

pytestmark = pytest.mark.django_db


def test_login_page_sends_an_sso_address_to_its_provider(idp):
    sso_company(idp)
    response = Client().post("/login/", {"username": "Ann@Acme.test"})
    assert response.status_code == 200
    assert b'content="0;url=/sso/start?email=ann%40acme.test' in response.content
    assert b'name="password"' not in response.content


def test_login_page_asks_other_addresses_for_the_password(idp):
    sso_company(idp)
    response = Client().post("/login/", {"username": "ann@elsewhere.test"})
    assert response.status_code == 200
    assert b'name="password"' in response.content


def test_member_signs_in_through_the_provider(idp):
    company = sso_company(idp)
    user = make_user("ann@acme.test", company=company, role="user")
    client = Client()
    response = sso_sign_in(client, "ann@acme.test")
    assert response.status_code == 302, response.content[:500]
    assert company.gaid in response["Location"]
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session["ilp_auth_method"] == "sso"
    session = UserSession.objects.get(user=user)
    assert session.method == "sso"
    assert SignIn.objects.get(user=user).result == "succeeded"
    # The company's pages open (an SSO session meets require_sso and require_2fa).
    assert client.get(f"/companies/{company.gaid}/manage/").status_code == 200


def test_just_in_time_membership(idp):
    company = sso_company(idp, jit_role="service_provider")
    response = sso_sign_in(Client(), "newcomer@acme.test")
    assert response.status_code == 302, response.content[:500]
    user = User.objects.get(email="newcomer@acme.test")
    assert not user.has_usable_password()
    membership = Membership.objects.get(user=user, company=company)
    assert membership.role == "service_provider"
    assert AuditEvent.objects.filter(action="member.joined_by_sso", object_id=user.email).exists()
    assert OutboxMail.objects.filter(to="newcomer@acme.test").exists()


def test_without_jit_a_new_address_is_refused(idp):
    sso_company(idp)
    response = sso_sign_in(Client(), "stranger@acme.test")
    assert response.status_code == 403
    assert not User.objects.filter(email="stranger@acme.test").exists()


def test_unverified_email_is_refused(idp):
    company = sso_company(idp, domain="acme.test")
    make_user("unverified.ann@acme.test", company=company)
    client = Client()
    response = sso_sign_in(client, "unverified.ann@acme.test")
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_email_at_a_domain_of_another_company_is_refused(idp):
    # Acme's provider vouches for an address at Other's verified domain.
    sso_company(idp, name="Acme", domain="acme.test", client="acme")
    other = sso_company(idp, name="Other", domain="other.test", client="other")
    make_user("boss@other.test", company=other, role="administrator")
    client = Client()
    start = client.get("/sso/start", {"email": "ann@acme.test"})
    back = provider_login(start["Location"], "boss@other.test")
    response = client.get(local(back))
    assert response.status_code == 403
    assert "has not verified that address" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_replayed_state_is_refused(idp):
    company = sso_company(idp)
    make_user("ann@acme.test", company=company)
    client = Client()
    start = client.get("/sso/start", {"email": "ann@acme.test"})
    back = provider_login(start["Location"], "ann@acme.test")
    assert client.get(local(back)).status_code == 302
    client.logout()
    replay = client.get(local(back))
    assert replay.status_code == 400
    assert "_auth_user_id" not in client.session


# --- the ID token's checks, with tokens the provider's key signs ---------------------------


def _crafted(idp, **claims):
    now = int(time.time())
    body = {
        "iss": idp.issuer,
        "sub": "ann@acme.test",
        "aud": "acme",
        "iat": now,
        "exp": now + 300,
        "email": "ann@acme.test",
        "email_verified": True,
        **claims,
    }
    return jwt.encode({"alg": "RS256", "kid": idp.key.kid}, body, idp.key)


def _callback_with(idp, monkeypatch, make_claims):
    """Start a real sign-in, then let the code exchange hand back a crafted ID token."""
    company = sso_company(idp)
    make_user("ann@acme.test", company=company)
    client = Client()
    start = client.get("/sso/start", {"email": "ann@acme.test"})
    nonce = client.session[signin.PENDING_SESSION_KEY]["nonce"]
    state = client.session[signin.PENDING_SESSION_KEY]["state"]
    token = _crafted(idp, **make_claims(nonce))
    monkeypatch.setattr(signin, "code_exchange", lambda **kwargs: {"id_token": token})
    assert start.status_code == 302
    response = client.get("/sso/callback", {"code": "x", "state": state})
    return client, response


def test_crafted_token_with_the_right_claims_passes(idp, monkeypatch):
    # The control: the crafting itself is right, so the refusals below are the checks'.
    client, response = _callback_with(idp, monkeypatch, lambda nonce: {"nonce": nonce})
    assert response.status_code == 302, response.content[:500]
    assert client.session["ilp_auth_method"] == "sso"


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        pytest.param(lambda nonce: {"nonce": nonce, "aud": "someone-else"}, "aud", id="wrong-aud"),
        pytest.param(
            lambda nonce: {"nonce": nonce, "exp": int(time.time()) - 3600, "iat": 0},
            "expired",
            id="expired",
        ),
        pytest.param(lambda nonce: {"nonce": "not-" + nonce}, "nonce", id="wrong-nonce"),
        pytest.param(lambda nonce: {}, "nonce", id="no-nonce"),
        pytest.param(
            lambda nonce: {"nonce": nonce, "iss": "https://evil.test"}, "iss", id="wrong-iss"
        ),
        pytest.param(
            lambda nonce: {"nonce": nonce, "email_verified": False},
            "email_verified",
            id="unverified",
        ),
    ],
)
def test_crafted_token_failing_a_check_is_refused(idp, monkeypatch, claims, why):
    client, response = _callback_with(idp, monkeypatch, claims)
    assert response.status_code == 403, response.content[:500]
    assert why in response.content.decode(), "refused, but not for the check under test"
    assert "_auth_user_id" not in client.session


def test_token_signed_by_another_key_is_refused(idp, monkeypatch):
    stranger = RSAKey.generate_key(2048, parameters={"kid": idp.key.kid})
    company = sso_company(idp)
    make_user("ann@acme.test", company=company)
    client = Client()
    client.get("/sso/start", {"email": "ann@acme.test"})
    pending = client.session[signin.PENDING_SESSION_KEY]
    now = int(time.time())
    forged = jwt.encode(
        {"alg": "RS256", "kid": idp.key.kid},
        {
            "iss": idp.issuer,
            "sub": "x",
            "aud": "acme",
            "iat": now,
            "exp": now + 300,
            "nonce": pending["nonce"],
            "email": "ann@acme.test",
            "email_verified": True,
        },
        stranger,
    )
    monkeypatch.setattr(signin, "code_exchange", lambda **kwargs: {"id_token": forged})
    response = client.get("/sso/callback", {"code": "x", "state": pending["state"]})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


# --- require_sso ---------------------------------------------------------------------------


def test_require_sso_refuses_a_password_session_and_its_tokens(idp):
    company = sso_company(idp, require_sso=True)
    make_user("ann@acme.test", company=company, role="user")
    client = Client()
    response = client.post("/login/", {"username": "ann@acme.test", "password": PASSWORD})
    assert response.status_code == 302
    page = client.get(f"/companies/{company.gaid}/manage/")
    assert page.status_code == 403
    assert b"single sign-on" in page.content
    api = ApiClient(client=client)
    answer = api.get(f"/companies/{company.gaid}")
    assert answer.status_code == 403
    assert answer.json()["code"] == "sso_required"
    # A token made in this password session does not count as SSO either.
    made = api.post("/me/tokens", {"name": "script"})
    assert made.status_code == 201, made.content
    assert ApiToken.objects.get(name="script").sso is False
    answer = ApiClient(made.json()["token"]).get(f"/companies/{company.gaid}")
    assert answer.status_code == 403
    assert answer.json()["code"] == "sso_required"


def test_require_sso_lets_sso_sessions_and_their_tokens_in(idp):
    company = sso_company(idp, require_sso=True)
    make_user("ann@acme.test", company=company, role="user")
    client = Client(enforce_csrf_checks=False)
    assert sso_sign_in(client, "ann@acme.test").status_code == 302
    assert client.get(f"/companies/{company.gaid}/manage/").status_code == 200
    api = ApiClient(client=client)
    made = api.post("/me/tokens", {"name": "script", "expires_in_days": 7})
    assert made.status_code == 201, made.content
    token = made.json()["token"]
    assert ApiToken.objects.get(name="script").sso is True
    answer = ApiClient(token).get(f"/companies/{company.gaid}")
    assert answer.status_code == 200, answer.content


def test_require_sso_spares_administrators_and_other_domains(idp):
    company = sso_company(idp, require_sso=True)
    make_user("boss@acme.test", company=company, role="administrator")
    make_user("partner@elsewhere.test", company=company, role="user")
    for email in ("boss@acme.test", "partner@elsewhere.test"):
        client = Client()
        response = client.post("/login/", {"username": email, "password": PASSWORD})
        assert response.status_code == 302
        assert client.get(f"/companies/{company.gaid}/manage/").status_code == 200, email


def test_the_overview_hides_the_figures_of_a_company_that_requires_sso(idp):
    company = sso_company(idp, require_sso=True)
    make_user("ann@acme.test", company=company, role="user")
    client = Client()
    client.post("/login/", {"username": "ann@acme.test", "password": PASSWORD})
    items = ApiClient(client=client).get("/me/overview").json()["items"]
    assert items[0]["gaid"] == company.gaid
    assert "seats" not in items[0]
    sso_client = Client()
    assert sso_sign_in(sso_client, "ann@acme.test").status_code == 302
    items = ApiClient(client=sso_client).get("/me/overview").json()["items"]
    assert "seats" in items[0]


def test_a_refusal_by_the_provider_is_a_readable_403(idp):
    sso_company(idp)
    client = Client()
    client.get("/sso/start", {"email": "ann@acme.test"})
    state = client.session[signin.PENDING_SESSION_KEY]["state"]
    response = client.get("/sso/callback", {"error": "access_denied", "state": state})
    assert response.status_code == 403
    assert b"access_denied" in response.content
    assert b"<html" in response.content


def test_a_callback_without_a_start_is_400(idp):
    sso_company(idp)
    response = Client().get("/sso/callback", {"code": "x", "state": "made-up"})
    assert response.status_code == 400
    assert b"Start signing in again" in response.content
