"""Scoped API tokens (API.md, "Scoped tokens"): `scopes` ⊆ read/write, `companies` ⊆ the
person's; a read token gets 403 `token_scope` on every method but GET, another company is
404 and absent from the lists."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ilp.accounts.models import ApiToken
from tests.accounts.factories import PASSWORD, add_member, make_company, make_user
from tests.conftest import ApiClient


def _token(email, **limits) -> str:
    response = ApiClient().post("/auth/tokens", {"email": email, "password": PASSWORD, **limits})
    assert response.status_code == 201, response.content
    return response.json()["token"]


@pytest.fixture
def two_companies(company, admin_user):
    other = make_company(name="Beta AG")
    add_member(admin_user, other, "administrator")
    return company, other


def test_default_token_has_both_scopes_and_every_company(admin_user, two_companies):
    acme, other = two_companies
    api = ApiClient(_token(admin_user.email))
    items = api.get("/me/tokens").json()["items"]
    assert items[0]["scopes"] == ["read", "write"]
    assert items[0]["companies"] is None
    assert {c["gaid"] for c in api.get("/me").json()["companies"]} == {acme.gaid, other.gaid}


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("post", "/companies/{gaid}/invitations", {"email": "x@acme.test", "role": "user"}),
        ("patch", "/companies/{gaid}", {"name": "Renamed"}),
        ("delete", "/companies/{gaid}/members/user@acme.test", None),
        ("post", "/me/password", {"current_password": PASSWORD, "new_password": "x" * 20}),
        ("delete", "/auth/tokens/current", None),
        ("post", "/companies/{gaid}/scim-token", None),
    ],
)
def test_read_token_gets_403_token_scope_on_writes(admin_user, company, method, path, body):
    make_user("user@acme.test", company=company)
    api = ApiClient(_token(admin_user.email, scopes=["read"]))
    url = path.format(gaid=company.gaid)
    response = api.delete(url) if method == "delete" else getattr(api, method)(url, body)
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "token_scope"
    # Reading works, and the same write with a read-and-write token passes the check.
    assert api.get(f"/companies/{company.gaid}").status_code == 200
    writer = ApiClient(_token(admin_user.email, scopes=["read", "write"]))
    again = writer.delete(url) if method == "delete" else getattr(writer, method)(url, body)
    assert again.status_code != 403


def test_write_only_token_cannot_read(admin_user, company):
    api = ApiClient(_token(admin_user.email, scopes=["write"]))
    assert api.get("/me/tokens").json()["items"][0]["scopes"] == ["write"]


def test_company_limited_token_sees_only_its_companies(admin_user, two_companies):
    acme, other = two_companies
    api = ApiClient(_token(admin_user.email, companies=[other.gaid.lower()]))
    assert api.get(f"/companies/{other.gaid}").status_code == 200
    hidden = api.get(f"/companies/{acme.gaid}")
    assert hidden.status_code == 404
    assert api.get(f"/companies/{acme.gaid}/members").status_code == 404
    assert api.patch(f"/companies/{acme.gaid}", {"name": "X"}).status_code == 404
    assert [c["gaid"] for c in api.get("/me").json()["companies"]] == [other.gaid]
    overview = api.get("/me/overview").json()["items"]
    assert [c["gaid"] for c in overview] == [other.gaid]
    item = api.get("/me/tokens").json()["items"][0]
    assert item["companies"] == [other.gaid]


@pytest.mark.parametrize(
    "limits",
    [
        {"scopes": []},
        {"scopes": ["admin"]},
        {"companies": []},
        {"companies": ["GA00000000"]},
    ],
)
def test_invalid_limits_are_422(admin_user, company, limits):
    response = ApiClient().post(
        "/auth/tokens", {"email": admin_user.email, "password": PASSWORD, **limits}
    )
    assert response.status_code == 422, response.content
    assert not ApiToken.objects.filter(user=admin_user).exists()


def test_a_company_of_someone_else_is_422_like_one_that_does_not_exist(admin_user, company):
    elsewhere = make_company(name="Not mine")
    response = ApiClient().post(
        "/auth/tokens",
        {"email": admin_user.email, "password": PASSWORD, "companies": [elsewhere.gaid]},
    )
    assert response.status_code == 422
    unknown = ApiClient().post(
        "/auth/tokens",
        {"email": admin_user.email, "password": PASSWORD, "companies": ["GAZZZZZZZZ"]},
    )
    assert unknown.json()["detail"] == response.json()["detail"]


@pytest.mark.django_db(transaction=True)
def test_migration_gives_existing_tokens_both_scopes_and_every_company():
    executor = MigrationExecutor(connection)
    before = [("accounts", "0007_merge_claims_two_factor")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    try:
        user = old.get_model("accounts", "User").objects.create(email="old@acme.test")
        old.get_model("accounts", "ApiToken").objects.create(user=user, token_hash="h" * 64)
    finally:
        MigrationExecutor(connection).migrate(
            MigrationExecutor(connection).loader.graph.leaf_nodes()
        )
    token = ApiToken.objects.get(token_hash="h" * 64)
    assert token.scopes == ["read", "write"]
    assert token.companies is None
