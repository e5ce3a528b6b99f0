"""Idempotency after authentication (issue 12): a revoked, rotated or unknown credential
never replays; anonymous callers keep rows only on public POSTs; 401 and 404 keep none;
revoking a credential drops its rows."""

import pytest

from ilp.core.idempotency import PUBLIC_POSTS
from ilp.core.models import IdempotencyRecord
from tests.accounts.factories import make_user, make_user_token
from tests.conftest import ApiClient
from tests.licensing.factories import make_key
from tests.rollout.factories import make_ums

pytestmark = pytest.mark.django_db

KEY = {"Idempotency-Key": "retry-1"}


def _invite(client, company, email="new@x.test"):
    return client.post(
        f"/companies/{company.gaid}/invitations", {"email": email, "role": "user"}, headers=KEY
    )


def test_a_revoked_token_does_not_replay_and_its_rows_are_gone(company, admin_user):
    token = make_user_token(admin_user)
    client = ApiClient(token)
    assert _invite(client, company).status_code == 201
    assert IdempotencyRecord.objects.count() == 1
    token_id = client.get("/me/tokens").json()["items"][0]["id"]
    other = ApiClient(make_user_token(admin_user))
    assert other.delete(f"/me/tokens/{token_id}").status_code == 204
    assert IdempotencyRecord.objects.count() == 0  # the revoked token's rows were dropped
    r = _invite(client, company)
    assert r.status_code == 401 and "Idempotent-Replayed" not in r
    assert IdempotencyRecord.objects.count() == 0


def test_revoking_the_current_token_keeps_no_row(company, admin_user):
    client = ApiClient(make_user_token(admin_user))
    assert client.delete("/auth/tokens/current").status_code == 204
    r = client.post("/auth/tokens/current", {}, headers=KEY)  # any POST with it now
    assert r.status_code in (401, 405)
    assert IdempotencyRecord.objects.count() == 0


def test_a_revoked_token_cannot_replay_even_if_a_row_survived(company, admin_user):
    # Defence in depth: authentication comes before the replay, whatever the table holds.
    from ilp.accounts.models import ApiToken

    client = ApiClient(make_user_token(admin_user))
    assert _invite(client, company).status_code == 201
    ApiToken.objects.update(revoked_at="2020-01-01T00:00:00Z")
    assert IdempotencyRecord.objects.count() == 1
    r = _invite(client, company)
    assert r.status_code == 401 and "Idempotent-Replayed" not in r


def test_unknown_tokens_and_anonymous_callers_write_no_rows(api, company):
    assert _invite(api("ilpu_not-a-token"), company).status_code == 401
    assert _invite(api(), company).status_code == 401
    r = api().post("/ums/licenses", {"product": "WE", "unit_ids": []}, headers=KEY)
    assert r.status_code == 401
    assert IdempotencyRecord.objects.count() == 0


def test_404_answers_keep_no_rows(outsider_api, company):
    assert _invite(outsider_api, company).status_code == 404
    assert IdempotencyRecord.objects.count() == 0


def test_public_posts_keep_rows_for_anonymous_callers(api, db):
    first = api().post("/auth/password-reset", {"email": "x@y.test"}, headers=KEY)
    again = api().post("/auth/password-reset", {"email": "x@y.test"}, headers=KEY)
    assert first.status_code == again.status_code == 202
    assert again["Idempotent-Replayed"] == "true"
    assert IdempotencyRecord.objects.count() == 1


def test_a_rotated_ums_credential_does_not_replay(company, admin_api):
    key = make_key(company, packs=[("WE", 5)])
    ums, credential = make_ums(company, packs=list(key.product_packs.all()))
    body = {"product": "WE", "unit_ids": ["00E0C5000001"]}
    first = ApiClient(credential).post("/ums/licenses", body, headers=KEY)
    assert first.status_code == 200
    assert IdempotencyRecord.objects.count() == 1
    r = admin_api.post(f"/companies/{company.gaid}/ums/{ums.ums_id}/credential", {})
    assert r.status_code in (200, 201)
    # The rotation answer itself is a POST without a key: nothing kept for it.
    assert IdempotencyRecord.objects.count() == 0
    assert ApiClient(credential).post("/ums/licenses", body, headers=KEY).status_code == 401


def test_a_revoked_ald_token_drops_its_rows(company, admin_api):
    key = make_key(company, packs=[("WE", 5)])
    url = f"/companies/{company.gaid}/subscription-keys/{key.key}/ald-token"
    ald = admin_api.post(url).json()["ald_token"]
    body = {"product": "WE", "unit_ids": ["00E0C5000002"]}
    assert ApiClient(ald).post("/ums/licenses", body, headers=KEY).status_code == 200
    assert IdempotencyRecord.objects.count() == 1
    assert admin_api.delete(url).status_code == 204
    assert IdempotencyRecord.objects.count() == 0
    assert ApiClient(ald).post("/ums/licenses", body, headers=KEY).status_code == 401


def test_a_regenerated_ald_token_drops_the_old_ones_rows(company, admin_api):
    key = make_key(company, packs=[("WE", 5)])
    url = f"/companies/{company.gaid}/subscription-keys/{key.key}/ald-token"
    ald = admin_api.post(url).json()["ald_token"]
    body = {"product": "WE", "unit_ids": ["00E0C5000003"]}
    assert ApiClient(ald).post("/ums/licenses", body, headers=KEY).status_code == 200
    admin_api.post(url)
    assert IdempotencyRecord.objects.count() == 0


def test_deleting_the_account_drops_its_rows(company):
    from ilp.accounts.models import AccountLink
    from ilp.accounts.services import account_deletion_request
    from ilp.core.actors import Actor

    person = make_user("leaving@acme.test", company=company, role="user")
    client = ApiClient(make_user_token(person))
    client.post("/me/2fa", {}, headers={"Idempotency-Key": "2fa"})
    assert IdempotencyRecord.objects.count() == 1
    account_deletion_request(actor=Actor.for_user(person), user=person)
    raw = "ilpd_test"
    from ilp.core.ids import token_hash

    AccountLink.objects.filter(user=person).update(token_hash=token_hash(raw))
    assert client.post(f"/me/deletion/{raw}", {}, headers=KEY).status_code == 204
    assert IdempotencyRecord.objects.count() == 0


def test_public_posts_match_the_openapi_document(client):
    # Every POST the OpenAPI document lists without security is a public POST, and no other.
    doc = client.get("/api/v1/openapi.json").json()
    public = set()
    for path, ops in doc["paths"].items():
        post = ops.get("post")
        if post is not None and not post.get("security"):
            public.add(path)
    for path in doc["paths"]:
        if "post" not in doc["paths"][path]:
            continue
        concrete = "/api/v1" + path.replace("{token}", "ilpx_abc").removeprefix("/api/v1")
        assert bool(PUBLIC_POSTS.match(concrete)) == (path in public), path
    assert public, "the document lists public POSTs (log in, password reset, …)"
