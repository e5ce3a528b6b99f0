"""SCIM 2.0 provisioning (API.md, "Enterprise identity"): each operation, the role groups,
the last-administrator rule, the token's confinement, and what a leaver loses."""

import json

import pytest
from django.test import Client

from ilp.accounts.models import ApiToken, Membership, User
from ilp.audit.models import AuditEvent
from ilp.notifications.models import OutboxMail
from ilp.scim.models import ScimUser
from tests.accounts.factories import PASSWORD, add_member, make_company, make_user, make_user_token
from tests.conftest import ApiClient

SCIM_JSON = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


class Scim:
    def __init__(self, gaid: str, token: str | None):
        self.base = f"/scim/v2/{gaid}"
        self.client = Client()
        self.token = token

    def _headers(self):
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def _send(self, method, path, body=None, **params):
        kwargs = {"headers": self._headers()}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type=SCIM_JSON)
        elif params:
            kwargs["data"] = params
        response = getattr(self.client, method)(f"{self.base}/{path}", **kwargs)
        return response

    def get(self, path, **params):
        return self._send("get", path, **params)

    def post(self, path, body):
        return self._send("post", path, body)

    def put(self, path, body):
        return self._send("put", path, body)

    def patch(self, path, *operations):
        return self._send(
            "patch", path, {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}
        )

    def delete(self, path):
        return self._send("delete", path)


@pytest.fixture
def acme(company):
    return company


@pytest.fixture
def scim_token(admin_api, acme):
    response = admin_api.post(f"/companies/{acme.gaid}/scim-token")
    assert response.status_code == 201, response.content
    return response.json()["token"]


@pytest.fixture
def scim(acme, scim_token):
    return Scim(acme.gaid, scim_token)


def new_user(scim, email="new.person@acme.test", **extra):
    body = {
        "schemas": [USER_SCHEMA],
        "userName": email,
        "name": {"givenName": "New", "familyName": "Person"},
        "active": True,
        **extra,
    }
    response = scim.post("Users", body)
    assert response.status_code == 201, response.content
    return response.json()


# --- the token -------------------------------------------------------------------------------


def test_scim_token_is_for_administrators_only(acme, sp_api, user_api):
    assert sp_api.post(f"/companies/{acme.gaid}/scim-token").status_code == 403
    assert user_api.post(f"/companies/{acme.gaid}/scim-token").status_code == 403


def test_scim_token_replaced_and_revoked(admin_api, acme, scim_token):
    assert Scim(acme.gaid, scim_token).get("Users").status_code == 200
    second = admin_api.post(f"/companies/{acme.gaid}/scim-token").json()["token"]
    assert Scim(acme.gaid, scim_token).get("Users").status_code == 401
    assert Scim(acme.gaid, second).get("Users").status_code == 200
    assert admin_api.delete(f"/companies/{acme.gaid}/scim-token").status_code == 204
    answer = Scim(acme.gaid, second).get("Users")
    assert answer.status_code == 401
    assert answer["Content-Type"].startswith(SCIM_JSON)
    assert answer.json()["schemas"] == [ERROR_SCHEMA]
    actions = list(
        AuditEvent.objects.filter(company=acme, action__startswith="scim_token.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["scim_token.created", "scim_token.created", "scim_token.revoked"]


def test_scim_token_is_never_replayed_by_idempotency_key(admin_api, acme):
    headers = {"Idempotency-Key": "scim-1"}
    first = admin_api.post(f"/companies/{acme.gaid}/scim-token", headers=headers)
    assert first.status_code == 201
    again = admin_api.post(f"/companies/{acme.gaid}/scim-token", headers=headers)
    assert again.status_code == 409, again.content
    assert again.json()["code"] == "idempotency_not_replayable"
    assert first.json()["token"] not in again.content.decode()


def test_scim_token_is_valid_only_under_its_own_company(acme, scim_token, api, admin_user):
    other = make_company(name="Other")
    assert Scim(other.gaid, scim_token).get("Users").status_code == 401
    # Nowhere in the API either.
    assert api(scim_token).get("/me").status_code == 401
    assert api(scim_token).get(f"/companies/{acme.gaid}").status_code == 401
    # And other credentials are 401 on SCIM: a user token, an administrator's session.
    assert Scim(acme.gaid, make_user_token(admin_user)).get("Users").status_code == 401
    browser = Client()
    browser.force_login(admin_user)
    assert browser.get(f"/scim/v2/{acme.gaid}/Users").status_code == 401
    assert Scim(acme.gaid, None).get("Users").status_code == 401


# --- discovery -------------------------------------------------------------------------------


def test_discovery_endpoints(scim):
    config = scim.get("ServiceProviderConfig").json()
    assert config["patch"]["supported"] is True
    assert config["filter"]["supported"] is True
    types = scim.get("ResourceTypes").json()
    assert types["schemas"] == [LIST_SCHEMA]
    assert {r["name"] for r in types["Resources"]} == {"User", "Group"}
    schemas = scim.get("Schemas").json()
    user_schema = next(s for s in schemas["Resources"] if s["id"] == USER_SCHEMA)
    names = {a["name"] for a in user_schema["attributes"]}
    assert names == {"userName", "name", "active"}
    assert scim.get(f"Schemas/{USER_SCHEMA}").status_code == 200
    assert scim.get("Nonsense").status_code == 404
    assert scim.post("Schemas", {}).status_code == 405


# --- users -----------------------------------------------------------------------------------


def test_create_user_without_account_makes_member_and_mails_invitation(scim, acme):
    created = new_user(scim, externalId="entra-42")
    assert created["userName"] == "new.person@acme.test"
    assert created["active"] is True
    assert created["externalId"] == "entra-42"
    assert created["name"] == {"givenName": "New", "familyName": "Person"}
    person = User.objects.get(email="new.person@acme.test")
    assert created["id"] != str(person.pk) and len(created["id"]) >= 32  # opaque
    assert not person.is_registered
    assert Membership.objects.get(user=person, company=acme).role == "user"
    mail = OutboxMail.objects.get(to="new.person@acme.test")
    assert "/invitations/" in mail.body_text
    event = AuditEvent.objects.get(company=acme, action="member.added", object_id=person.email)
    assert event.actor_kind == "scim"
    assert "identity provider provisioning" in event.actor_label


def test_create_user_with_account_mails_them_membership(scim, acme):
    make_user("known@acme.test")
    new_user(scim, email="Known@ACME.test")
    assert Membership.objects.filter(user__email="known@acme.test", company=acme).exists()
    mail = OutboxMail.objects.get(to="known@acme.test")
    assert acme.name in mail.subject


def test_create_user_refuses_a_user_name_that_is_no_email(scim):
    response = scim.post("Users", {"schemas": [USER_SCHEMA], "userName": "bjensen"})
    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"


def test_create_existing_user_is_409_uniqueness(scim, admin_user):
    new_user(scim)
    again = scim.post("Users", {"schemas": [USER_SCHEMA], "userName": "NEW.person@acme.test"})
    assert again.status_code == 409, again.content
    assert again.json()["scimType"] == "uniqueness"
    assert again["Content-Type"].startswith(SCIM_JSON)
    portal_member = scim.post("Users", {"schemas": [USER_SCHEMA], "userName": admin_user.email})
    assert portal_member.status_code == 409


def test_list_filter_and_pages(scim, admin_user):
    for n in range(3):
        new_user(scim, email=f"p{n}@acme.test")
    listed = scim.get("Users").json()
    assert listed["schemas"] == [LIST_SCHEMA]
    assert listed["totalResults"] == 4  # the portal's administrator too
    found = scim.get("Users", filter=f'userName eq "{admin_user.email.upper()}"').json()
    assert found["totalResults"] == 1
    assert found["Resources"][0]["userName"] == admin_user.email
    assert found["Resources"][0]["active"] is True
    page = scim.get("Users", startIndex=2, count=2).json()
    assert page["startIndex"] == 2 and page["itemsPerPage"] == 2
    assert [r["userName"] for r in page["Resources"]] == ["p0@acme.test", "p1@acme.test"]
    bad = scim.get("Users", filter='name.givenName co "x"')
    assert bad.status_code == 400 and bad.json()["scimType"] == "invalidFilter"


def test_get_put_patch_user(scim):
    created = new_user(scim)
    path = f"Users/{created['id']}"
    assert scim.get(path).json()["userName"] == "new.person@acme.test"
    put = scim.put(
        path,
        {
            "schemas": [USER_SCHEMA],
            "userName": "new.person@acme.test",
            "name": {"givenName": "Renamed", "familyName": "Person"},
            "active": True,
            "emails": [{"value": "ignored@acme.test", "primary": True}],
        },
    )
    assert put.status_code == 200, put.content
    assert put.json()["name"]["givenName"] == "Renamed"
    patched = scim.patch(path, {"op": "replace", "path": "name.familyName", "value": "Smith"})
    assert patched.status_code == 200, patched.content
    assert patched.json()["name"] == {"givenName": "Renamed", "familyName": "Smith"}
    # An account nobody registered yet carries the provider's names.
    assert User.objects.get(email="new.person@acme.test").last_name == "Smith"
    # Entra ID's shape: no path, attributes in the value, some ILP does not keep.
    entra = scim.patch(path, {"op": "Replace", "value": {"displayName": "X", "externalId": "e-1"}})
    assert entra.status_code == 200, entra.content
    assert entra.json()["externalId"] == "e-1"
    ignored = scim.patch(
        path,
        {"op": "Add", "path": 'emails[type eq "work"].value', "value": "x@acme.test"},
        {
            "op": "Replace",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            "value": "IT",
        },
    )
    assert ignored.status_code == 200, ignored.content
    assert ignored.json()["externalId"] == "e-1"
    rename = scim.patch(path, {"op": "replace", "path": "userName", "value": "other@acme.test"})
    assert rename.status_code == 400
    assert rename.json()["scimType"] == "mutability"
    assert scim.get("Users/does-not-exist").status_code == 404


def test_registered_persons_names_are_not_overwritten(scim):
    person = make_user("known@acme.test", first_name="Kim", last_name="Known")
    created = new_user(scim, email="known@acme.test")
    scim.patch(f"Users/{created['id']}", {"op": "replace", "path": "name.givenName", "value": "K"})
    person.refresh_from_db()
    assert (person.first_name, person.last_name) == ("Kim", "Known")


# --- leavers ---------------------------------------------------------------------------------


@pytest.fixture
def leaver(acme):
    """A member with a session, a token for every company, one for this company only, one
    for this company and another, and one for the other company only."""
    other = make_company(name="Elsewhere")
    person = make_user("leaver@acme.test", company=acme, role="service_provider")
    add_member(person, other, "user")
    tokens = {}
    for name, companies in [
        ("all", None),
        ("acme", [acme.gaid]),
        ("both", [acme.gaid, other.gaid]),
        ("other", [other.gaid]),
    ]:
        raw = ApiClient().post(
            "/auth/tokens",
            {"email": person.email, "password": PASSWORD, "name": name, "companies": companies},
        )
        assert raw.status_code == 201, raw.content
        tokens[name] = raw.json()["token"]
    browser = Client()
    assert browser.login(username=person.email, password=PASSWORD)
    assert browser.get("/").status_code in (200, 302)
    return person, other, tokens, browser


def _signed_in(browser) -> bool:
    response = browser.get("/profile/")
    return response.status_code == 200


@pytest.mark.parametrize("how", ["deactivate", "delete"])
def test_leaver_loses_membership_sessions_and_company_tokens(scim, acme, leaver, api, how):
    person, other, tokens, browser = leaver
    assert _signed_in(browser)
    found = scim.get("Users", filter='userName eq "leaver@acme.test"').json()["Resources"][0]
    if how == "deactivate":
        response = scim.patch(
            f"Users/{found['id']}", {"op": "replace", "path": "active", "value": False}
        )
        assert response.status_code == 200, response.content
        assert response.json()["active"] is False
        assert scim.get(f"Users/{found['id']}").json()["active"] is False
    else:
        assert scim.delete(f"Users/{found['id']}").status_code == 204
        assert scim.get(f"Users/{found['id']}").status_code == 404
    assert not Membership.objects.filter(user=person, company=acme).exists()
    assert Membership.objects.filter(user=person, company=other).exists()
    assert not _signed_in(browser)  # every session ended
    # The token limited to this company is revoked; the one for both keeps the other.
    assert api(tokens["acme"]).get("/me").status_code == 401
    both = ApiToken.objects.get(user=person, name="both")
    assert both.revoked_at is None and both.companies == [other.gaid]
    assert api(tokens["both"]).get(f"/companies/{other.gaid}").status_code == 200
    assert api(tokens["other"]).get(f"/companies/{other.gaid}").status_code == 200
    # The token for every company stays, without this one: membership ended.
    assert api(tokens["all"]).get(f"/companies/{acme.gaid}").status_code == 404
    assert api(tokens["all"]).get(f"/companies/{other.gaid}").status_code == 200
    removed = OutboxMail.objects.get(to="leaver@acme.test", template="scim_member_removed")
    assert acme.name in removed.subject
    actions = set(AuditEvent.objects.filter(company=acme).values_list("action", flat=True))
    assert {"member.removed", "sessions.ended", "api_token.revoked", "api_token.limited"} <= actions


def test_deactivated_user_comes_back_with_the_role(scim, acme):
    created = new_user(scim)
    path = f"Users/{created['id']}"
    group = scim.patch(
        "Groups/service_provider",
        {"op": "add", "path": "members", "value": [{"value": created["id"]}]},
    )
    assert group.status_code == 200, group.content
    scim.patch(path, {"op": "replace", "path": "active", "value": False})
    assert not Membership.objects.filter(company=acme, user__email="new.person@acme.test").exists()
    back = scim.patch(path, {"op": "replace", "value": {"active": True}})
    assert back.json()["active"] is True
    member = Membership.objects.get(company=acme, user__email="new.person@acme.test")
    assert member.role == "service_provider"


def test_last_administrator_cannot_be_deprovisioned(scim, acme, admin_user):
    found = scim.get("Users", filter=f'userName eq "{admin_user.email}"').json()["Resources"][0]
    path = f"Users/{found['id']}"
    for response in (
        scim.patch(path, {"op": "replace", "path": "active", "value": False}),
        scim.delete(path),
        scim.patch(
            "Groups/administrator",
            {"op": "remove", "path": f'members[value eq "{found["id"]}"]'},
        ),
    ):
        assert response.status_code == 409, response.content
        assert response["Content-Type"].startswith(SCIM_JSON)
        assert response.json()["schemas"] == [ERROR_SCHEMA]
        assert "last_administrator" in response.json()["detail"]
    assert Membership.objects.get(company=acme, user=admin_user).role == "administrator"


# --- groups ----------------------------------------------------------------------------------


def test_groups_are_the_three_roles(scim, admin_user):
    listed = scim.get("Groups").json()
    assert [g["displayName"] for g in listed["Resources"]] == [
        "administrator",
        "service_provider",
        "user",
    ]
    admins = scim.get("Groups/administrator").json()
    assert [m["display"] for m in admins["members"]] == [admin_user.email]
    one = scim.get("Groups", filter='displayName eq "user"').json()
    assert one["totalResults"] == 1
    assert scim.post("Groups", {"displayName": "auditors"}).status_code == 501
    assert scim.get("Groups/auditors").status_code == 404


def test_group_patch_changes_roles(scim, acme, admin_user):
    created = new_user(scim)
    added = scim.patch(
        "Groups/administrator",
        {"op": "add", "path": "members", "value": [{"value": created["id"]}]},
    )
    assert added.status_code == 200, added.content
    assert created["id"] in [m["value"] for m in added.json()["members"]]
    member = Membership.objects.get(company=acme, user__email="new.person@acme.test")
    assert member.role == "administrator"
    # Now the first administrator may go: another one is left.
    admin_id = scim.get("Users", filter=f'userName eq "{admin_user.email}"').json()["Resources"][0]
    removed = scim.patch(
        "Groups/administrator",
        {"op": "remove", "path": f'members[value eq "{admin_id["id"]}"]'},
    )
    assert removed.status_code == 200, removed.content
    assert Membership.objects.get(company=acme, user=admin_user).role == "user"
    replaced = scim.put(
        "Groups/service_provider",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "service_provider",
            "members": [{"value": admin_id["id"]}],
        },
    )
    assert replaced.status_code == 200, replaced.content
    assert Membership.objects.get(company=acme, user=admin_user).role == "service_provider"
    unknown = scim.patch(
        "Groups/user", {"op": "add", "path": "members", "value": [{"value": "nobody"}]}
    )
    assert unknown.status_code == 400
    event = AuditEvent.objects.filter(company=acme, action="member.role_changed").first()
    assert event.actor_kind == "scim"


def test_another_companys_scim_users_are_not_visible(scim, acme):
    other = make_company(name="Other")
    make_user("stranger@other.test", company=other, role="administrator")
    listed = scim.get("Users", filter='userName eq "stranger@other.test"').json()
    assert listed["totalResults"] == 0
    assert not ScimUser.objects.filter(company=acme, user__email="stranger@other.test").exists()


def test_entra_style_member_removal_with_a_value(scim, acme):
    created = new_user(scim)
    # Entra ID removes members naming them in `value` (scim2-models' policy allows it).
    scim.patch(
        "Groups/service_provider",
        {"op": "Add", "path": "members", "value": [{"value": created["id"]}]},
    )
    entra = scim.patch(
        "Groups/service_provider",
        {"op": "Remove", "path": "members", "value": [{"value": created["id"]}]},
    )
    assert entra.status_code == 200, entra.content
    assert Membership.objects.get(company=acme, user__email="new.person@acme.test").role == "user"
