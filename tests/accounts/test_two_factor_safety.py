"""Second factor safety (API.md, "Account and credential safety"; issue 19 findings 1 and 2):
wrong codes count per account across API and portal and lock from the 5th on; a new
authenticator and new recovery codes need a current code; every change mails the owner."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ilp.accounts import otp, services
from ilp.accounts.models import RecoveryCode, TwoFactor
from ilp.accounts.services.two_factor import lock_delay
from ilp.audit.models import AuditEvent
from ilp.core.actors import Actor
from ilp.notifications.models import OutboxMail
from tests.accounts.factories import PASSWORD, make_user, make_user_token
from tests.accounts.test_two_factor import enable
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def _login(user, code, password=PASSWORD):
    body = {"email": user.email, "password": password, "otp": code}
    return ApiClient().post("/auth/tokens", body)


def _portal_code(user, code):
    """The portal's second step with a fresh session that passed the password."""
    client = Client()
    client.post(reverse("web:login"), {"username": user.email, "password": PASSWORD})
    return client.post(reverse("web:login_otp"), {"otp": code})


def _mails(user, template):
    return OutboxMail.objects.filter(to=user.email, template=template).count()


def _unlock_by_waiting(user):
    # As if the wait were over: move the lock into the past.
    TwoFactor.objects.filter(user=user).update(locked_until=timezone.now() - timedelta(seconds=1))


# --- finding 1: wrong codes lock the account -------------------------------------------------


def test_wrong_codes_count_across_api_and_portal_and_lock_from_the_fifth():
    user = make_user("anna@acme.test")
    secret, _codes = enable(user)
    for _ in range(3):
        assert _login(user, "000000").json()["code"] == "otp_invalid"
    assert _portal_code(user, "000000").status_code == 422
    assert _mails(user, "two_factor_locked") == 0
    assert _portal_code(user, "000000").status_code == 422  # the 5th in a row
    assert _mails(user, "two_factor_locked") == 1
    row = TwoFactor.objects.get(user=user)
    assert row.failures == 5 and row.locked_until is not None
    # Now even the right code waits a minute, on the API and on the portal.
    locked = _login(user, otp.totp_code(secret))
    assert locked.status_code == 429 and locked.json()["code"] == "otp_locked"
    assert 1 <= int(locked["Retry-After"]) <= 60
    page = _portal_code(user, otp.totp_code(secret))
    assert page.status_code == 429 and 1 <= int(page["Retry-After"]) <= 60
    text = page.content.decode()
    assert "1 minute" in text and "second" not in text
    # A wrong password says nothing of the lock.
    wrong = _login(user, otp.totp_code(secret), password="wrong")
    assert wrong.status_code == 401 and wrong.json()["code"] == "invalid_credentials"
    assert AuditEvent.objects.filter(action="user.two_factor_locked").count() == 1


def test_each_further_failure_doubles_the_wait_and_a_right_code_resets():
    user = make_user("anna@acme.test")
    secret, _codes = enable(user)
    for _ in range(5):
        services.otp_verify(user=user, code="000000")
    _unlock_by_waiting(user)
    assert not services.otp_verify(user=user, code="000000")  # the 6th: two minutes
    row = TwoFactor.objects.get(user=user)
    assert row.failures == 6
    assert row.locked_until - row.last_failure_at == timedelta(minutes=2)
    assert _mails(user, "two_factor_locked") == 1  # mailed at the 5th only
    _unlock_by_waiting(user)
    assert _login(user, otp.totp_code(secret)).status_code == 201
    row.refresh_from_db()
    assert row.failures == 0 and row.locked_until is None


def test_the_wait_is_two_to_the_n_minus_five_minutes_at_most_a_day():
    assert [lock_delay(n) for n in (1, 4)] == [timedelta(0)] * 2
    assert [lock_delay(n).total_seconds() / 60 for n in (5, 6, 7, 15)] == [1, 2, 4, 1024]
    assert lock_delay(16) == lock_delay(10_000) == timedelta(hours=24)


def test_recovery_codes_count_the_same_way():
    user = make_user("anna@acme.test")
    _secret, codes = enable(user)
    for _ in range(5):
        assert _login(user, "AAAAA-BBBBB").json()["code"] == "otp_invalid"
    response = _login(user, codes[0])
    assert response.status_code == 429 and response.json()["code"] == "otp_locked"
    assert RecoveryCode.objects.filter(user=user, used_at__isnull=True).count() == 10


def test_a_wrong_code_on_a_me_2fa_route_is_422_and_counts():
    user = make_user("anna@acme.test")
    secret, _codes = enable(user)
    client = ApiClient(make_user_token(user))
    for _ in range(5):
        response = client._send("delete", "/me/2fa", {"otp": "000000"}, None)
        assert response.status_code == 422 and response.json()["code"] == "otp_invalid"
    response = client.post("/me/2fa/recovery-codes", {"otp": otp.totp_code(secret)})
    assert response.status_code == 429 and response.json()["code"] == "otp_locked"
    assert TwoFactor.objects.get(user=user).is_active


# --- finding 2: replacing the authenticator needs a current code -----------------------------


def test_a_stolen_token_cannot_replace_the_authenticator():
    user = make_user("anna@acme.test")
    secret, codes = enable(user)
    thief = ApiClient(make_user_token(user))
    response = thief.post("/me/2fa", {})
    assert response.status_code == 422 and response.json()["code"] == "otp_required"
    response = thief.post("/me/2fa", {"otp": "000000"})
    assert response.status_code == 422 and response.json()["code"] == "otp_invalid"
    row = TwoFactor.objects.get(user=user)
    assert row.pending_secret == "" and row.secret == secret
    # The owner, with a current code, may.
    new_secret = thief.post("/me/2fa", {"otp": codes[0]}).json()["secret"]
    confirm = thief.post("/me/2fa/confirm", {"otp": otp.totp_code(new_secret)})
    assert confirm.status_code == 200
    assert _mails(user, "two_factor_replaced") == 1


def test_new_recovery_codes_need_a_code_and_void_the_old_ones():
    user = make_user("anna@acme.test")
    _secret, codes = enable(user)
    client = ApiClient(make_user_token(user))
    response = client.post("/me/2fa/recovery-codes", {"otp": "000000"})
    assert response.status_code == 422 and response.json()["code"] == "otp_invalid"
    response = client.post("/me/2fa/recovery-codes", {"otp": codes[0]})
    assert response.status_code == 200
    new = response.json()["recovery_codes"]
    assert len(new) == 10 and not set(new) & set(codes)
    assert not services.otp_verify(user=user, code=codes[1])  # old ones void
    assert services.otp_verify(user=user, code=new[0])
    assert _mails(user, "recovery_codes_renewed") == 1
    off = make_user("bert@acme.test")
    response = ApiClient(make_user_token(off)).post("/me/2fa/recovery-codes", {"otp": "123456"})
    assert response.status_code == 409 and response.json()["code"] == "two_factor_not_active"


def test_every_two_factor_change_mails_the_owner():
    user = make_user("anna@acme.test")
    _secret, codes = enable(user)
    assert _mails(user, "two_factor_enabled") == 1
    services.two_factor_disable(actor=Actor.for_user(user), user=user, code=codes[0])
    assert _mails(user, "two_factor_disabled") == 1
    mail = OutboxMail.objects.get(template="two_factor_disabled")
    assert "/profile/two-factor/" in mail.body_text


def test_the_portal_page_asks_for_a_code_to_replace_and_makes_new_recovery_codes():
    user = make_user("anna@acme.test")
    secret, codes = enable(user)
    client = Client()
    client.force_login(user)
    url = reverse("accounts:two_factor")
    response = client.post(url, {"action": "begin"})
    assert response.status_code == 422
    assert TwoFactor.objects.get(user=user).pending_secret == ""
    assert client.post(url, {"action": "begin", "otp": codes[0]}).status_code == 302
    assert TwoFactor.objects.get(user=user).pending_secret
    response = client.post(url, {"action": "recovery", "otp": otp.totp_code(secret)})
    assert response.status_code == 200
    new = response.context["recovery_codes"]
    assert len(new) == 10 and not set(new) & set(codes)
    assert _mails(user, "recovery_codes_renewed") == 1
