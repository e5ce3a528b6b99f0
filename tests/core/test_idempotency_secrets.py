"""Answers that carry a new secret, and logins, are never replayed by `Idempotency-Key` (API.md,
"Account and credential safety"): the first use of a key runs and is recorded, a later use
→ 409 `idempotency_not_replayable` with no effect. Other answers are stored encrypted."""

import sys

from django.test import Client

from ilp.accounts.models import ApiToken, RecoveryCode
from ilp.core.idempotency import NOT_REPLAYABLE_ATTR
from ilp.core.models import IdempotencyRecord
from ilp.rollout.models import UmsInstance
from tests.accounts.factories import make_user, make_user_token
from tests.accounts.test_two_factor import enable
from tests.conftest import ApiClient
from tests.licensing.factories import make_key
from tests.rollout.factories import make_ums

BODY = {"email": "admin@acme.test", "password": "correct horse battery staple"}

# The fields of a 2xx answer that hold a secret shown once.
SECRET_FIELDS = {"token", "secret", "credential", "ald_token", "recovery_codes", "webhook_secret"}


def _not_replayable(response, status=409):
    assert response.status_code == status, response.content
    assert response.json()["code"] == "idempotency_not_replayable"
    assert "Idempotent-Replayed" not in response


def test_a_login_is_not_replayed_from_another_client(api, admin_user):
    first = api().post("/auth/tokens", BODY, headers={"Idempotency-Key": "login-1"})
    assert first.status_code == 201
    token = first.json()["token"]
    record = IdempotencyRecord.objects.get(key="login-1")
    assert record.status_code == 201
    assert token not in record.body and record.body == ""
    # The same body and key from another client, later: no token, no new token.
    again = ApiClient(client=Client(REMOTE_ADDR="203.0.113.9")).post(
        "/auth/tokens", BODY, headers={"Idempotency-Key": "login-1"}
    )
    _not_replayable(again)
    assert "token" not in again.json()
    assert ApiToken.objects.filter(user=admin_user).count() == 1


def test_a_reused_key_with_another_body_on_a_login_is_not_replayable(api, admin_user):
    assert api().post("/auth/tokens", BODY, headers={"Idempotency-Key": "k"}).status_code == 201
    other = {**BODY, "name": "another"}
    _not_replayable(api().post("/auth/tokens", other, headers={"Idempotency-Key": "k"}))
    assert ApiToken.objects.filter(user=admin_user).count() == 1


def test_a_failed_login_keeps_no_record_and_a_retry_runs(api, admin_user):
    wrong = {**BODY, "password": "wrong"}
    assert api().post("/auth/tokens", wrong, headers={"Idempotency-Key": "k"}).status_code == 401
    assert not IdempotencyRecord.objects.exists()
    assert api().post("/auth/tokens", BODY, headers={"Idempotency-Key": "k"}).status_code == 201


def test_recovery_codes_are_not_replayed(company):
    person = make_user("codes@acme.test", company=company, role="user")
    _secret, codes = enable(person)
    client = ApiClient(make_user_token(person))
    body = {"otp": codes[0]}
    first = client.post("/me/2fa/recovery-codes", body, headers={"Idempotency-Key": "rc"})
    assert first.status_code == 200
    hashes = set(RecoveryCode.objects.filter(user=person).values_list("code_hash", flat=True))
    _not_replayable(client.post("/me/2fa/recovery-codes", body, headers={"Idempotency-Key": "rc"}))
    assert set(RecoveryCode.objects.filter(user=person).values_list("code_hash", flat=True)) == (
        hashes
    )


def test_a_two_factor_set_up_is_not_replayed(company):
    person = make_user("setup@acme.test", company=company, role="user")
    client = ApiClient(make_user_token(person))
    first = client.post("/me/2fa", {}, headers={"Idempotency-Key": "2fa"})
    assert first.status_code == 201
    _not_replayable(client.post("/me/2fa", {}, headers={"Idempotency-Key": "2fa"}))
    assert person.two_factor.pending_secret == first.json()["secret"]


def test_a_ums_credential_rotation_is_not_replayed(company, admin_api):
    key = make_key(company, packs=[("WE", 5)])
    ums, _credential = make_ums(company, packs=list(key.product_packs.all()))
    url = f"/companies/{company.gaid}/ums/{ums.ums_id}/credential"
    first = admin_api.post(url, {}, headers={"Idempotency-Key": "rot"})
    assert first.status_code == 200
    stored = UmsInstance.objects.get(pk=ums.pk).credential_hash
    _not_replayable(admin_api.post(url, {}, headers={"Idempotency-Key": "rot"}))
    assert UmsInstance.objects.get(pk=ums.pk).credential_hash == stored


def test_an_ald_token_is_not_replayed(company, admin_api):
    key = make_key(company, packs=[("WE", 5)])
    url = f"/companies/{company.gaid}/subscription-keys/{key.key}/ald-token"
    assert admin_api.post(url, {}, headers={"Idempotency-Key": "ald"}).status_code == 201
    _not_replayable(admin_api.post(url, {}, headers={"Idempotency-Key": "ald"}))


def _post_views_with_a_secret(schema: dict):
    """(path, operationId) of every POST whose 2xx answer has a secret field."""
    components = schema["components"]["schemas"]

    def fields(ref_or_schema) -> set[str]:
        node = ref_or_schema
        if "$ref" in node:
            node = components[node["$ref"].rsplit("/", 1)[-1]]
        names = set(node.get("properties", {}))
        for part in node.get("allOf", []) + node.get("anyOf", []):
            names |= fields(part)
        return names

    for path, methods in schema["paths"].items():
        post = methods.get("post")
        if not post:
            continue
        for status, answer in post["responses"].items():
            if not status.startswith("2"):
                continue
            content = (answer.get("content") or {}).get("application/json")
            if content and fields(content["schema"]) & SECRET_FIELDS:
                yield path, post["operationId"]


def _views_by_operation_id() -> dict:
    """Every module-level function of ilp by the operationId ninja gives it."""
    views = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith("ilp."):
            continue
        for attr, obj in vars(module).items():
            if callable(obj) and getattr(obj, "__module__", None) == name:
                views[f"{name}_{attr}".replace(".", "_")] = obj
    return views


def test_every_post_that_answers_a_secret_is_not_replayable(client):
    schema = client.get("/api/v1/openapi.json").json()
    with_secrets = list(_post_views_with_a_secret(schema))
    paths = {path for path, _op in with_secrets}
    assert {
        "/api/v1/auth/tokens",
        "/api/v1/me/2fa",
        "/api/v1/me/2fa/confirm",
        "/api/v1/me/2fa/recovery-codes",
        "/api/v1/companies/{gaid}/ums",
        "/api/v1/companies/{gaid}/ums/{ums_id}/credential",
        "/api/v1/companies/{gaid}/subscription-keys/{key}/ald-token",
        "/api/v1/delivery-tokens",
    } <= paths
    views = _views_by_operation_id()
    missing = [
        path for path, op in with_secrets if not getattr(views[op], NOT_REPLAYABLE_ATTR, False)
    ]
    assert missing == []


def test_the_stored_record_of_a_replayable_post_is_encrypted(admin_api, company):
    # A replayable POST keeps its first answer encrypted: the table alone reveals nothing.
    body = {"email": "new@acme.test", "role": "user"}
    url = f"/companies/{company.gaid}/invitations"
    first = admin_api.post(url, body, headers={"Idempotency-Key": "inv"})
    assert first.status_code == 201
    record = IdempotencyRecord.objects.get(key="inv")
    assert "new@acme.test" not in record.body and record.body
    replay = admin_api.post(url, body, headers={"Idempotency-Key": "inv"})
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
