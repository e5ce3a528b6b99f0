"""Replayable first responses may carry secrets: they are stored encrypted, never in clear."""

from ilp.core.models import IdempotencyRecord

BODY = {"email": "admin@acme.test", "password": "correct horse battery staple"}


def test_stored_body_does_not_contain_the_issued_token(api, admin_user):
    first = api().post("/auth/tokens", BODY, headers={"Idempotency-Key": "login-1"})
    token = first.json()["token"]
    record = IdempotencyRecord.objects.get(key="login-1")
    assert token not in record.body
    assert "token" not in record.body
    replay = api().post("/auth/tokens", BODY, headers={"Idempotency-Key": "login-1"})
    assert replay.json()["token"] == token
    assert replay["Idempotent-Replayed"] == "true"


def test_replay_cannot_be_opened_after_the_secret_key_changed(api, admin_user, settings):
    api().post("/auth/tokens", BODY, headers={"Idempotency-Key": "login-2"})
    settings.SECRET_KEY = "another secret key that is long enough for the test"
    replay = api().post("/auth/tokens", BODY, headers={"Idempotency-Key": "login-2"})
    assert replay.status_code == 409
    assert admin_user.api_tokens.count() == 1
