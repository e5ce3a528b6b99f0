"""ALD tokens (rule 23): a UMS credential per subscription key, limited to its live packs."""

import pytest

from ilp.audit.models import AuditEvent
from ilp.rollout.models import AldToken, DeviceLicense
from tests.accounts.factories import make_company, make_user, make_user_token
from tests.conftest import ApiClient
from tests.licensing.factories import make_key
from tests.rollout.factories import issue, make_ums

pytestmark = pytest.mark.django_db


def _generate(admin_api, company, key):
    response = admin_api.post(f"/companies/{company.gaid}/subscription-keys/{key.key}/ald-token")
    assert response.status_code == 201, response.content
    token = response.json()["ald_token"]
    assert token.startswith("ilpa_")
    return token


def test_an_ald_token_issues_from_its_keys_packs_without_assignment(company, admin_api):
    key = make_key(company, packs=[("WE", 2), ("EMP", 1)])
    other_key = make_key(company, packs=[("WE", 5)])
    token = _generate(admin_api, company, key)
    ald = ApiClient(token)
    packs = ald.get("/ums/product-packs").json()
    assert {p["id"] for p in packs["items"]} == {p.pack_id for p in key.product_packs.all()}
    results = ald.post(
        "/ums/licenses", {"product": "WE", "unit_ids": ["AAAAAA01", "AAAAAA02", "AAAAAA03"]}
    ).json()["results"]
    assert [r["status"] for r in results] == ["issued", "issued", "not_assigned"]
    we = key.product_packs.get(product__sku="WE")
    assert {r["license"]["pack_id"] for r in results[:2]} == {we.pack_id}
    assert other_key.product_packs.get().seats_used == 0  # another key's pack: never
    lic = DeviceLicense.objects.get(unit_id="AAAAAA01")
    assert lic.ums is None and lic.ald_key_id == key.pk
    event = AuditEvent.objects.get(action="license.issued", object_id=lic.license_id)
    assert event.actor_kind == "ald" and event.actor_label == f"ald:{key.key}"
    # What it holds: its own licenses, the license file, the revocation list.
    assert ald.get("/ums/licenses").json()["count"] == 2
    assert ald.get("/ums/license-file").status_code == 200
    assert ald.delete(f"/ums/licenses/{lic.license_id}").status_code == 204
    assert ald.get("/ums/revocations").status_code == 200


def test_an_ald_token_sees_nothing_of_a_ums_and_a_ums_nothing_of_it(company, admin_api):
    key = make_key(company, packs=[("WE", 3)])
    pack = key.product_packs.get()
    ums, credential = make_ums(company, packs=[pack])
    by_ums = issue(ums, "WE", "AAAAAA01")[0].license
    ald = ApiClient(_generate(admin_api, company, key))
    assert ald.get("/ums/licenses").json()["count"] == 0
    assert ald.delete(f"/ums/licenses/{by_ums.license_id}").status_code == 404
    mine = ald.post("/ums/licenses", {"product": "WE", "unit_ids": ["AAAAAA02"]}).json()
    assert ApiClient(credential).get("/ums/licenses").json()["count"] == 1
    license_id = mine["results"][0]["license"]["id"]
    assert ApiClient(credential).delete(f"/ums/licenses/{license_id}").status_code == 404


def test_an_ald_token_is_refused_on_every_company_route(company, admin_api):
    key = make_key(company, packs=[("WE", 3)])
    ald = ApiClient(_generate(admin_api, company, key))
    for path in (
        f"/companies/{company.gaid}",
        f"/companies/{company.gaid}/product-packs",
        f"/companies/{company.gaid}/ums",
        "/me",
    ):
        assert ald.get(path).status_code == 403, path
    assert ald.post("/orders", {}).status_code == 403


def test_regenerating_cuts_the_old_token_off_and_revoking_ends_it(company, admin_api):
    key = make_key(company, packs=[("WE", 3)])
    first = _generate(admin_api, company, key)
    assert ApiClient(first).get("/ums/product-packs").status_code == 200
    second = _generate(admin_api, company, key)
    assert second != first
    assert ApiClient(first).get("/ums/product-packs").status_code == 401
    assert ApiClient(second).get("/ums/product-packs").status_code == 200
    url = f"/companies/{company.gaid}/subscription-keys/{key.key}/ald-token"
    assert admin_api.delete(url).status_code == 204
    assert admin_api.delete(url).status_code == 204  # nothing left: still 204
    assert ApiClient(second).get("/ums/product-packs").status_code == 401
    actions = list(
        AuditEvent.objects.filter(action__startswith="ald_token.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["ald_token.generated", "ald_token.regenerated", "ald_token.revoked"]
    assert not AldToken.objects.exists()


def test_ald_token_routes_need_a_manager_of_the_keys_company(company, admin_api, api):
    key = make_key(company, packs=[("WE", 3)])
    url = f"/companies/{company.gaid}/subscription-keys/{key.key}/ald-token"
    user = ApiClient(make_user_token(make_user("u@acme.test", company=company, role="user")))
    assert user.post(url).status_code == 403
    other = make_company(name="Other")
    outsider = ApiClient(
        make_user_token(make_user("o@other.test", company=other, role="administrator"))
    )
    assert outsider.post(url).status_code == 404
    foreign_key = make_key(other, packs=[("WE", 1)])
    wrong = f"/companies/{company.gaid}/subscription-keys/{foreign_key.key}/ald-token"
    assert admin_api.post(wrong).status_code == 404
    assert api().post(url).status_code == 401


def test_an_msp_licenses_two_client_companies_with_two_ald_tokens(db):
    """Done when: one UMS script, two ALD tokens, nothing else."""
    tokens = {}
    for name in ("Client A", "Client B"):
        client = make_company(name=name)
        admin = ApiClient(
            make_user_token(
                make_user(f"admin@{name[-1].lower()}.test", company=client, role="administrator")
            )
        )
        key = make_key(client, packs=[("WE", 2)])
        tokens[name] = (client, _generate(admin, client, key))
    for name, (client, token) in tokens.items():
        results = (
            ApiClient(token)
            .post("/ums/licenses", {"product": "WE", "unit_ids": ["00E0C5000001", "00E0C5000002"]})
            .json()["results"]
        )
        assert [r["status"] for r in results] == ["issued", "issued"], name
        assert DeviceLicense.objects.filter(company=client, status="active").count() == 2
    # The same unit IDs in two companies are two devices: four licenses in all.
    assert DeviceLicense.objects.filter(status="active").count() == 4


def test_the_key_page_shows_whether_a_token_exists_and_its_last_use(company, admin_user, client):
    key = make_key(company, packs=[("WE", 3)])
    client.force_login(admin_user)
    url = f"/companies/{company.gaid}/subscription-keys/{key.key}/ald-token/"
    page = client.get(url, headers={"HX-Request": "true"})
    assert page.status_code == 200 and b"No ALD token" in page.content
    created = client.post(url, {"action": "generate"}, headers={"HX-Request": "true"})
    assert created.status_code == 200
    token = AldToken.objects.get()
    assert b"ilpa_" in created.content  # shown once
    ApiClient(created.context["ald_token"]).get("/ums/product-packs")
    again = client.get(url, headers={"HX-Request": "true"})
    assert b"ilpa_" not in again.content and b"Last used" in again.content
    token.refresh_from_db()
    assert token.last_used_at is not None
    gone = client.post(url, {"action": "revoke"}, headers={"HX-Request": "true"})
    assert gone.status_code == 200 and not AldToken.objects.exists()
