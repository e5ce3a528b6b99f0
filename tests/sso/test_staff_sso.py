"""Staff single sign-on through the vendor's provider: the role from the configured claim,
exactly one of support | operator | staff_admin (else 403 `staff_role_missing`)."""

import pytest
from django.test import Client

from ilp.accounts.models import User
from ilp.audit.models import AuditEvent
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
    assert client.session["ilp_auth_method"] == "sso"
    event = AuditEvent.objects.get(action="staff.signed_in", object_id=user.email)
    assert event.after == {"role": role}


@pytest.mark.parametrize("login", ["eve@vendor.test", "eve+role-superuser@vendor.test"])
def test_staff_sign_in_without_a_known_role_is_refused(staff_idp, login):
    client, response = _staff_sign_in(login)
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(email=login, is_staff=True).exists()


def test_staff_sign_in_not_configured_is_404(settings):
    settings.ILP_STAFF_OIDC_ISSUER = ""
    assert Client().get("/staff/sso/start").status_code == 404
