"""What schemathesis found (tests/test_fuzz_api.py), pinned as plain tests: each was a 500, or
an answer the OpenAPI document did not declare."""

import pytest

from ilp.core.pagination import MAX_OFFSET
from tests.conftest import ApiClient
from tests.rollout.factories import make_ums


def test_a_nul_character_anywhere_is_a_422_problem(admin_api, api, company):
    # PostgreSQL cannot store U+0000: it was a DataError (500) there.
    gaid = company.gaid
    for response in (
        admin_api.get(f"/companies/{gaid}/orders/A%00B"),
        admin_api.get(f"/companies/{gaid}/product-packs", {"product": "W\x00E"}),
        admin_api.post(f"/companies/{gaid}/product-packs/merge", {"product_packs": ["A\x00"]}),
        api().post("/auth/tokens", '{"email": "a\\u0000@b.test", "password": "x"}'),
    ):
        assert response.status_code == 422, response.content
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "nul_character"
    # An escaped backslash followed by "u0000" is no NUL.
    other = admin_api.post(f"/companies/{gaid}/product-packs/merge", {"product_packs": ["\\u0000"]})
    assert other.json().get("code") != "nul_character"


def test_an_offset_beyond_any_list_is_422_not_500(admin_api, company):
    ok = admin_api.get(f"/companies/{company.gaid}/members", {"offset": MAX_OFFSET})
    assert ok.status_code == 200 and ok.json()["items"] == []
    huge = admin_api.get(f"/companies/{company.gaid}/members", {"offset": 31886474772146208768})
    assert huge.status_code == 422 and huge["Content-Type"] == "application/problem+json"


def test_a_body_that_is_not_an_object_is_400(admin_api, company):
    response = admin_api.patch(f"/companies/{company.gaid}", [None, None])
    assert response.status_code == 400 and response.json()["code"] == "malformed_request"


@pytest.mark.parametrize("value", ["0", "0.5", "2026-13-01", "yesterday"])
def test_query_dates_are_iso_8601_only(admin_api, company, value):
    response = admin_api.get(f"/companies/{company.gaid}/events", {"since": value})
    assert response.status_code == 422, value


def test_a_time_with_an_extreme_offset_is_read_in_utc(company):
    ums, credential = make_ums(company)
    response = ApiClient(credential).get(
        "/ums/licenses", {"changed_since": "0619-01-27T02:32:03.55275-22:45"}
    )
    assert response.status_code == 200, response.content
    edge = ApiClient(credential).get(
        "/ums/licenses", {"changed_since": "0001-01-01T00:00:00+05:00"}
    )
    assert edge.status_code == 422


def test_pack_sort_and_status_are_enums_in_the_document(api, db):
    paths = api().get("/openapi.json").json()["paths"]
    params = {
        p["name"]: p["schema"]
        for p in paths["/api/v1/companies/{gaid}/product-packs"]["get"]["parameters"]
    }
    assert "-expires" in params["sort"]["enum"] and "active" in params["status"]["enum"]
    assert params["expires_before"] == {
        "format": "date",
        "type": "string",
        "title": "Expires Before",
    }
    device = paths["/api/v1/companies/{gaid}/devices/{unit_id}"]["get"]
    assert any(p["name"] == "unit_id" and "pattern" in p["schema"] for p in device["parameters"])


def test_unknown_sort_is_422_on_the_api(admin_api, company):
    response = admin_api.get(f"/companies/{company.gaid}/product-packs", {"sort": "colour"})
    assert response.status_code == 422
