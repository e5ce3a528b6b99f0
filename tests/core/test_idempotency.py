"""Idempotency-Key on POST (API.md "Retries"), exercised on the invitation endpoint."""

import pytest

from ilp.accounts.models import Invitation
from ilp.notifications.models import OutboxMail
from tests.accounts.factories import make_user, make_user_token
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def _invite(api, company, body, key):
    return api.post(
        f"/companies/{company.gaid}/invitations", body, headers={"Idempotency-Key": key}
    )


def test_retry_with_same_key_and_body_replays_and_creates_nothing(admin_api, company):
    body = {"email": "new@x.test", "role": "user"}
    first = _invite(admin_api, company, body, "k-1")
    second = _invite(admin_api, company, body, "k-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Invitation.objects.count() == 1
    assert OutboxMail.objects.count() == 1


def test_same_key_with_another_body_is_409(admin_api, company):
    _invite(admin_api, company, {"email": "a@x.test", "role": "user"}, "k-2")
    r = _invite(admin_api, company, {"email": "b@x.test", "role": "user"}, "k-2")
    assert r.status_code == 409
    assert r["Content-Type"] == "application/problem+json"
    assert r.json()["code"] == "idempotency_key_reused"
    assert list(Invitation.objects.values_list("email", flat=True)) == ["a@x.test"]


def test_different_callers_are_independent(admin_api, company):
    other_admin = ApiClient(
        make_user_token(make_user("second@acme.test", company=company, role="administrator"))
    )
    body = {"email": "new@x.test", "role": "user"}
    a = _invite(admin_api, company, body, "shared-key")
    b = _invite(other_admin, company, body, "shared-key")
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]
    assert "Idempotent-Replayed" not in b
    assert Invitation.objects.count() == 2


def test_a_422_is_replayed(admin_api, company):
    body = {"email": "not-an-address", "role": "user"}
    first = _invite(admin_api, company, body, "k-422")
    second = _invite(admin_api, company, body, "k-422")
    assert first.status_code == second.status_code == 422
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()


def test_key_longer_than_255_is_422(admin_api, company):
    r = _invite(admin_api, company, {"email": "a@x.test", "role": "user"}, "k" * 256)
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_idempotency_key"
    assert not Invitation.objects.exists()
    ok = _invite(admin_api, company, {"email": "a@x.test", "role": "user"}, "k" * 255)
    assert ok.status_code == 201


def test_token_creation_retry_is_refused_not_replayed(api, admin_user):
    # A login is never replayed (API.md, "Account and credential safety"): the retry → 409.
    body = {"email": "admin@acme.test", "password": "correct horse battery staple"}
    first = api().post("/auth/tokens", body, headers={"Idempotency-Key": "login-1"})
    second = api().post("/auth/tokens", body, headers={"Idempotency-Key": "login-1"})
    assert first.status_code == 201 and second.status_code == 409
    assert second.json()["code"] == "idempotency_not_replayable"
    assert admin_user.api_tokens.count() == 1
