"""Staff single sign-on through the vendor's provider: the role from the configured claim,
exactly one of support | operator | staff_admin (else 403 `staff_role_missing`)."""

import pytest
from django.test import Client

from ilp.accounts.models import User
from ilp.audit.models import AuditEvent
from tests.accounts.factories import PASSWORD
from tests.sso.conftest import STAFF_CALLBACK, local, provider_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_idp(idp, settings):
    settings.ILP_STAFF_OIDC_ISSUER = idp.issuer
    settings.ILP_STAFF_OIDC_CLIENT_ID = "staff"
    settings.ILP_STAFF_OIDC_CLIENT_SECRET = "staff-secret"
    settings.ILP_STAFF_OIDC_ROLE_CLAIM = "ilp_role"
    return idp


def _staff_sign_in(login: str):
    client = Client()
    start = client.get("/staff/sso/start")
    assert start.status_code == 302, start.content[:300]
    back = provider_login(start["Location"], login, stop_at=STAFF_CALLBACK.rsplit("/", 3)[0])
    return client, client.get(local(back))


@pytest.mark.parametrize("role", ["support", "operator", "staff_admin"])
def test_staff_sign_in_takes_the_role_from_the_claim(staff_idp, role):
    client, response = _staff_sign_in(f"eve+role-{role}@vendor.test")
    assert response.status_code == 302, response.content[:500]
    user = User.objects.get(email=f"eve+role-{role}@vendor.test")
    assert user.is_staff
    assert user.staff_member.role == role
    assert client.session["ilp_auth_method"] == "sso"
    event = AuditEvent.objects.get(action="staff_member.added", object_id=user.email)
    assert event.after == {"role": role, "by": "sso"}
    # The back office opens without a local second factor: the provider holds it.
    assert response["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200


def test_the_provider_s_role_replaces_the_stored_one(staff_idp):
    _staff_sign_in("eve+role-support@vendor.test")
    user = User.objects.get(email="eve+role-support@vendor.test")
    user.staff_member.role = "staff_admin"
    user.staff_member.save()
    _staff_sign_in("eve+role-support@vendor.test")
    user.staff_member.refresh_from_db()
    assert user.staff_member.role == "support"
    assert AuditEvent.objects.filter(
        action="staff_member.role_changed", object_id=user.email
    ).exists()


def test_a_staff_password_session_without_two_factor_does_not_open_the_back_office(staff_idp):
    _staff_sign_in("eve+role-operator@vendor.test")
    user = User.objects.get(email="eve+role-operator@vendor.test")
    user.set_password(PASSWORD)
    user.save()
    client = Client()
    client.post("/login/", {"username": user.email, "password": PASSWORD})
    assert client.get("/staff/").status_code == 302  # to the two-factor set-up


@pytest.mark.parametrize("login", ["eve@vendor.test", "eve+role-superuser@vendor.test"])
def test_staff_sign_in_without_a_known_role_is_refused(staff_idp, login):
    client, response = _staff_sign_in(login)
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(email=login, is_staff=True).exists()


def test_staff_sign_in_not_configured_is_404(settings):
    settings.ILP_STAFF_OIDC_ISSUER = ""
    assert Client().get("/staff/sso/start").status_code == 404
