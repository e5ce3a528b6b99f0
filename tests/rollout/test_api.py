"""The rollout contract (API.md "Rollout", "UMS", "Public")."""

import datetime

import jwt
import pytest

from ilp.licensing.models import ProductPack
from ilp.rollout.models import DeviceLicense, PackAssignment
from tests.conftest import ApiClient
from tests.licensing.factories import make_key
from tests.rollout.factories import issue, make_ums

pytestmark = pytest.mark.django_db


def test_register_list_patch_rotate_delete(admin_api, company, api):
    response = admin_api.post(f"/companies/{company.gaid}/ums", {"name": "Berlin"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["credential"].startswith("ilpm_") and body["ums_id"].startswith("UMS-")
    assert body["auto_assign"] is False and body["product_packs"] == []
    ums_id = body["ums_id"]
    old = ApiClient(body["credential"])
    assert old.get("/ums/product-packs").status_code == 200

    listing = admin_api.get(f"/companies/{company.gaid}/ums").json()
    assert listing["count"] == 1 and "credential" not in listing["items"][0]

    patched = admin_api.patch(
        f"/companies/{company.gaid}/ums/{ums_id}", {"name": "Berlin 2", "auto_assign": True}
    ).json()
    assert patched["name"] == "Berlin 2" and patched["auto_assign"] is True

    rotated = admin_api.post(f"/companies/{company.gaid}/ums/{ums_id}/credential")
    assert rotated.status_code == 200
    assert old.get("/ums/product-packs").status_code == 401
    assert ApiClient(rotated.json()["credential"]).get("/ums/product-packs").status_code == 200

    assert admin_api.delete(f"/companies/{company.gaid}/ums/{ums_id}").status_code == 204
    assert admin_api.get(f"/companies/{company.gaid}/ums/{ums_id}").status_code == 404


def test_blank_name_is_422(admin_api, company):
    response = admin_api.post(f"/companies/{company.gaid}/ums", {"name": "  "})
    assert response.status_code == 422 and response.json()["code"] == "invalid_name"


def test_roles_and_tenancy(user_api, sp_api, outsider_api, company, ums):
    base = f"/companies/{company.gaid}/ums"
    assert user_api.get(base).status_code == 200
    assert user_api.post(base, {"name": "x"}).status_code == 403
    assert user_api.delete(f"{base}/{ums.ums_id}").status_code == 403
    assert sp_api.post(base, {"name": "x"}).status_code == 201
    assert outsider_api.get(base).status_code == 404
    assert outsider_api.get(f"/companies/{company.gaid}/devices/AAAAAA01").status_code == 404


def test_ums_credential_cannot_use_company_routes_and_users_cannot_use_ums_routes(
    ums_api, admin_api, company
):
    assert ums_api.get(f"/companies/{company.gaid}/ums").status_code == 403
    assert admin_api.get("/ums/product-packs").status_code == 403
    assert ApiClient().get("/ums/product-packs").status_code == 401


def test_assign_and_unassign(admin_api, company, pack):
    other, _ = make_ums(company, name="Other")
    mine, _ = make_ums(company, name="Mine")
    url = f"/companies/{company.gaid}/ums/{mine.ums_id}/product-packs/{pack.pack_id}"
    response = admin_api.put(url)
    assert response.status_code == 200 and response.json()["ums_id"] == mine.ums_id
    assert admin_api.put(url).status_code == 200  # idempotent
    elsewhere = admin_api.put(
        f"/companies/{company.gaid}/ums/{other.ums_id}/product-packs/{pack.pack_id}"
    )
    assert elsewhere.status_code == 409 and elsewhere.json()["code"] == "pack_assigned_elsewhere"

    issue(mine, "WE", "AAAAAA01")
    in_use = admin_api.delete(url)
    assert in_use.status_code == 409 and in_use.json()["code"] == "pack_in_use"
    assert admin_api.delete(url + "?force=true").status_code == 204
    assert not PackAssignment.objects.exists()
    assert DeviceLicense.objects.get().status == "revoked"
    assert admin_api.delete(url).status_code == 404


def test_unknown_pack_is_404(admin_api, company, ums):
    url = f"/companies/{company.gaid}/ums/{ums.ums_id}/product-packs/WE-ZZZZZ"
    assert admin_api.put(url).status_code == 404


def test_ums_issues_lists_and_returns(ums_api, pack):
    response = ums_api.post(
        "/ums/licenses", {"product": "WE", "unit_ids": ["00:e0:c5:12:34:56", "nope", "AAAAAA01"]}
    )
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["issued", "invalid_unit_id", "issued"]
    lic = results[0]["license"]
    assert lic["unit_id"] == "00E0C5123456" and lic["pack_id"] == pack.pack_id
    assert lic["product"] == "WE" and lic["expires_on"] == str(pack.expires_on)
    assert results[1]["license"] is None

    again = ums_api.post("/ums/licenses", {"product": "WE", "unit_ids": ["00E0C5123456"]})
    assert again.json()["results"][0]["status"] == "existing"
    assert again.json()["results"][0]["license"]["id"] == lic["id"]

    packs = ums_api.get("/ums/product-packs").json()
    assert packs["count"] == 1 and packs["items"][0]["seats_used"] == 2

    listed = ums_api.get("/ums/licenses", {"unit_id": "00-e0-c5-12-34-56"}).json()
    assert [i["id"] for i in listed["items"]] == [lic["id"]]

    assert ums_api.delete(f"/ums/licenses/{lic['id']}").status_code == 204
    pack.refresh_from_db()
    assert pack.seats_used == 1
    assert ums_api.get("/ums/licenses").json()["count"] == 1


def test_ums_batch_limit_is_422(ums_api):
    response = ums_api.post(
        "/ums/licenses", {"product": "WE", "unit_ids": [f"AAAA{n:04d}" for n in range(1001)]}
    )
    assert response.status_code == 422 and response.json()["code"] == "too_many_unit_ids"
    assert ums_api.post("/ums/licenses", {"product": "WE"}).status_code == 422


def test_ums_cannot_return_another_ums_license(company, ums, ums_api):
    other_pack = make_key(company, packs=[("WE", 2)]).product_packs.get()
    other, _ = make_ums(company, name="Other", packs=[other_pack])
    theirs = issue(other, "WE", "BBBBBB01")[0].license
    assert ums_api.delete(f"/ums/licenses/{theirs.license_id}").status_code == 404


def test_search_hardware_and_remove(admin_api, user_api, company, ums, pack):
    lic = issue(ums, "WE", "00E0C5123456")[0].license
    found = user_api.get(f"/companies/{company.gaid}/devices/00-e0-c5-12-34-56")
    assert found.status_code == 200
    assert found.json()["unit_id"] == "00E0C5123456"
    assert [x["id"] for x in found.json()["licenses"]] == [lic.license_id]
    assert user_api.get(f"/companies/{company.gaid}/devices/x").status_code == 422

    url = f"/companies/{company.gaid}/devices/00E0C5123456/licenses/{lic.license_id}"
    assert user_api.delete(url).status_code == 403
    assert admin_api.delete(url).status_code == 204
    assert admin_api.delete(url).status_code == 204  # already returned: nothing changes
    pack.refresh_from_db()
    assert pack.seats_used == 0
    empty = admin_api.get(f"/companies/{company.gaid}/devices/00E0C5123456").json()
    assert empty["licenses"] == []
    wrong_device = f"/companies/{company.gaid}/devices/FFFFFF01/licenses/{lic.license_id}"
    assert admin_api.delete(wrong_device).status_code == 404


def test_license_token_verifies_with_pyjwt_and_the_published_jwks(ums_api, company, pack, api):
    token = ums_api.post("/ums/licenses", {"product": "WE", "unit_ids": ["AAAAAA01"]}).json()[
        "results"
    ][0]["license"]["token"]
    jwks = api().get("/.well-known/jwks.json").json()
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA" and header["typ"] == "ilp-license+jwt"
    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    claims = jwt.decode(token, key=key, algorithms=["EdDSA"], issuer="http://127.0.0.1:8000")
    lic = DeviceLicense.objects.get()
    assert claims["jti"] == lic.license_id and claims["sub"] == "AAAAAA01"
    assert claims["product"] == "WE" and claims["pack"] == pack.pack_id
    assert claims["subscription_key"] == pack.subscription_key.key
    assert claims["gaid"] == company.gaid and claims["grace_days"] == 28
    pack_end = datetime.datetime.combine(pack.expires_on, datetime.time(), datetime.UTC)
    assert claims["entitled_until"] == int(pack_end.timestamp()) and claims["lease"] is True
    # The document is a lease (rule 21): 30 days from issue, well before the pack's end.
    assert claims["exp"] == claims["iat"] + 30 * 86400 < claims["entitled_until"]
    assert abs(claims["iat"] - datetime.datetime.now(datetime.UTC).timestamp()) < 60


def test_perpetual_license_is_a_lease_entitled_forever(company, api):
    perpetual = make_key(company, packs=[("WE-P", 3)]).product_packs.get()
    assert perpetual.expires_on is None
    ums, _ = make_ums(company, name="P", packs=[perpetual])
    lic = issue(ums, "WE-P", "AAAAAA01")[0].license
    assert lic.expires_on is None
    claims = jwt.decode(
        lic.token,
        key=jwt.PyJWKSet.from_dict(api().get("/.well-known/jwks.json").json()).keys[0],
        algorithms=["EdDSA"],
        options={"verify_iss": False},
    )
    # Before leases a perpetual pack's document never expired; now it is a 30-day lease.
    assert claims["exp"] == claims["iat"] + 30 * 86400 and claims["product"] == "WE-P"
    assert claims["entitled_until"] is None and claims["lease"] is True


def test_license_file_download(admin_api, company, ums, pack, api):
    issue(ums, "WE", "AAAAAA01", "AAAAAA02")
    response = admin_api.get(f"/companies/{company.gaid}/ums/{ums.ums_id}/license-file")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    keyset = jwt.PyJWKSet.from_dict(api().get("/.well-known/jwks.json").json())
    token = response.content.decode()
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "ilp-license-file+jwt"
    claims = jwt.decode(token, key=keyset[header["kid"]], algorithms=["EdDSA"])
    assert claims["ums_id"] == ums.ums_id and claims["gaid"] == company.gaid
    assert [p["id"] for p in claims["product_packs"]] == [pack.pack_id]
    assert sorted(lic["unit_id"] for lic in claims["licenses"]) == ["AAAAAA01", "AAAAAA02"]


def test_renewed_pack_gets_fresh_tokens_on_repeat(ums_api, pack):
    first = ums_api.post("/ums/licenses", {"product": "WE", "unit_ids": ["AAAAAA01"]}).json()
    ProductPack.objects.filter(pk=pack.pk).update(
        expires_on=pack.expires_on + datetime.timedelta(days=365)
    )
    again = ums_api.post("/ums/licenses", {"product": "WE", "unit_ids": ["AAAAAA01"]}).json()
    old, new = first["results"][0]["license"], again["results"][0]["license"]
    assert old["id"] == new["id"] and old["token"] != new["token"]
    assert new["expires_on"] == str(pack.expires_on + datetime.timedelta(days=365))


def test_lists_run_constant_queries(
    admin_api, ums_api, company, ums, pack, django_assert_max_num_queries
):
    for n in range(5):
        extra = make_key(company, packs=[("WE", 2)]).product_packs.get()
        make_ums(company, name=f"U{n}", packs=[extra])
    issue(ums, "WE", "AAAAAA01", "AAAAAA02", "AAAAAA03", "AAAAAA04")
    with django_assert_max_num_queries(8):
        assert admin_api.get(f"/companies/{company.gaid}/ums").json()["count"] == 6
    # 7: the lease refresh reads moved packs apart from due documents (issue 14: two index
    # reads instead of one scan of the fleet).
    with django_assert_max_num_queries(7):
        assert ums_api.get("/ums/licenses").json()["count"] == 4
    with django_assert_max_num_queries(6):
        assert ums_api.get("/ums/product-packs").json()["count"] == 1
    with django_assert_max_num_queries(8):
        admin_api.get(f"/companies/{company.gaid}/devices/AAAAAA01")


def test_problem_bodies_keep_their_shape(admin_api, company, ums, pack):
    """Codes come from RolloutError; on the wire they are the same plain strings as ever."""
    issue(ums, "WE", "AAAAAA01")
    response = admin_api.delete(
        f"/companies/{company.gaid}/ums/{ums.ums_id}/product-packs/{pack.pack_id}"
    )
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body == {
        "type": "urn:ilp:problem:pack_in_use",
        "title": "Conflict",
        "status": 409,
        "detail": body["detail"],
        "code": "pack_in_use",
    }
    invalid = admin_api.post(f"/companies/{company.gaid}/ums", {"name": "  "})
    assert invalid.json()["code"] == "invalid_name"
    assert invalid.json()["errors"] == [{"loc": ["body", "name"], "msg": "1 to 200 characters"}]


def test_rollout_routes_declare_their_problems_in_openapi(api):
    paths = api().get("/openapi.json").json()["paths"]
    issue_responses = paths["/api/v1/ums/licenses"]["post"]["responses"]
    assert {"400", "401", "403", "422"} <= set(issue_responses)
    problem = issue_responses["422"]["content"]["application/problem+json"]["schema"]["$ref"]
    assert problem.endswith("/ProblemOut")
    remove = paths["/api/v1/companies/{gaid}/ums/{ums_id}/product-packs/{pack_id}"]["delete"]
    assert {"401", "403", "404", "409", "422"} <= set(remove["responses"])


def test_ums_lists_page_past_the_first_like_slices_of_the_whole(ums_api, ums):
    """`GET /ums/licenses` and `/ums/product-packs` find a page at an offset by key first
    (`DeepPaging`): the same rows in the same order as the whole list's slice."""
    ums_api.post("/ums/licenses", {"product": "WE", "unit_ids": [f"AAAA{n:04d}" for n in range(5)]})
    whole = ums_api.get("/ums/licenses", {"limit": 500}).json()
    assert whole["count"] == 5
    for offset, limit in ((1, 2), (2, 3), (4, 5), (5, 1)):
        page = ums_api.get("/ums/licenses", {"offset": offset, "limit": limit}).json()
        assert page["count"] == 5
        assert [lic["id"] for lic in page["items"]] == [
            lic["id"] for lic in whole["items"][offset : offset + limit]
        ]
    packs = ums_api.get("/ums/product-packs").json()
    assert ums_api.get("/ums/product-packs", {"offset": 1}).json() == {
        "items": packs["items"][1:],
        "count": packs["count"],
    }
