"""API contract of split, merge, renewals and redeem."""

import pytest

from ilp.core.actors import Actor
from ilp.licensing.models import Order, ProductPack, Renewal
from ilp.licensing.services.renewals import renewal_order_apply
from tests.licensing.factories import make_key, make_license

pytestmark = pytest.mark.django_db

PACK_FIELDS = {
    "id",
    "product",
    "subscription_key",
    "seats",
    "seats_used",
    "starts_on",
    "expires_on",
    "status",
    "comment",
    "ums_id",
    "merged_into",
    "eula_accepted",
}


def url(company, tail):
    return f"/companies/{company.gaid}/{tail}"


def test_split_returns_201_with_source_and_created(admin_api, company):
    pack = make_key(company, packs=[("WE", 10)]).product_packs.get()
    make_license(pack, "00E0C5000001")
    response = admin_api.post(
        url(company, f"product-packs/{pack.pack_id}/split"),
        {"seats": 4, "unit_ids": ["00-e0-c5-00-00-01"]},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body["source"]) == PACK_FIELDS and set(body["created"]) == PACK_FIELDS
    assert body["source"]["id"] == pack.pack_id and body["source"]["seats"] == 6
    assert body["created"]["seats"] == 4 and body["created"]["seats_used"] == 1
    assert body["created"]["subscription_key"] == pack.subscription_key.key
    assert body["created"]["status"] == "active"


def test_split_pack_id_is_case_insensitive_and_sp_may_split(sp_api, company):
    pack = make_key(company, packs=[("WE", 10)]).product_packs.get()
    response = sp_api.post(
        url(company, f"product-packs/{pack.pack_id.lower()}/split"), {"seats": 1}
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"seats": 0}, 422, "validation_error"),
        ({"seats": -3}, 422, "validation_error"),
        ({}, 422, "validation_error"),
        ({"seats": 10}, 422, "split_too_large"),
        ({"seats": 2, "unit_ids": ["00E0C5999999"]}, 422, "unit_not_on_pack"),
        ({"seats": 2, "unit_ids": ["x"]}, 422, "invalid_unit_id"),
    ],
)
def test_split_errors(admin_api, company, body, status, code):
    pack = make_key(company, packs=[("WE", 10)]).product_packs.get()
    response = admin_api.post(url(company, f"product-packs/{pack.pack_id}/split"), body)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert ProductPack.objects.count() == 1


def test_split_body_not_json_is_400(admin_api, company):
    pack = make_key(company, packs=[("WE", 10)]).product_packs.get()
    response = admin_api.post(url(company, f"product-packs/{pack.pack_id}/split"), "{nope")
    assert response.status_code == 400


def test_split_access(user_api, outsider_api, admin_api, api, company):
    pack = make_key(company, packs=[("WE", 10)]).product_packs.get()
    path = url(company, f"product-packs/{pack.pack_id}/split")
    assert api().post(path, {"seats": 1}).status_code == 401
    assert user_api.post(path, {"seats": 1}).status_code == 403
    assert outsider_api.post(path, {"seats": 1}).status_code == 404
    other = make_key(outsider_api_company(outsider_api), packs=[("WE", 10)]).product_packs.get()
    response = admin_api.post(url(company, f"product-packs/{other.pack_id}/split"), {"seats": 1})
    assert response.status_code == 404 and response.json()["code"] == "pack_not_found"
    assert ProductPack.objects.count() == 2


def outsider_api_company(client):
    from ilp.accounts.models import Company

    return Company.objects.get(name="Other Corp")


def test_a_retried_split_with_the_same_idempotency_key_splits_once(admin_api, company):
    pack = make_key(company, packs=[("WE", 10)]).product_packs.get()
    path = url(company, f"product-packs/{pack.pack_id}/split")
    headers = {"Idempotency-Key": "split-once-123"}
    first = admin_api.post(path, {"seats": 3}, headers=headers)
    second = admin_api.post(path, {"seats": 3}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert first.json() == second.json()
    assert ProductPack.objects.count() == 2
    pack.refresh_from_db()
    assert pack.seats == 7
    other_body = admin_api.post(path, {"seats": 2}, headers=headers)
    assert other_body.status_code == 409
    assert admin_api.post(path, {"seats": 3}).status_code == 201  # no key: a new split


def test_merge_returns_target_and_merged_ids(admin_api, company):
    key = make_key(company, packs=[("WE", 10), ("WE", 5), ("WE", 1)])
    a, b, c = key.product_packs.order_by("pk")
    response = admin_api.post(
        url(company, "product-packs/merge"), {"product_packs": [b.pack_id, a.pack_id, c.pack_id]}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["target"]["id"] == b.pack_id and body["target"]["seats"] == 16
    assert body["merged"] == [a.pack_id, c.pack_id]
    detail = admin_api.get(url(company, f"product-packs/{a.pack_id}"))
    if detail.status_code == 200:  # the packs route is built by the orders work
        assert detail.json()["status"] == "merged"
        assert detail.json()["merged_into"] == b.pack_id


def test_merge_conflict_has_a_reason(admin_api, company):
    key = make_key(company, packs=[("WE", 10), ("EMP", 5)])
    a, b = key.product_packs.order_by("pk")
    response = admin_api.post(
        url(company, "product-packs/merge"), {"product_packs": [a.pack_id, b.pack_id]}
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "pack_not_mergeable" and "different products" in body["detail"]


@pytest.mark.parametrize(
    ("names", "status", "code"),
    [
        (["A"], 422, "validation_error"),
        (["A", "A"], 422, "merge_needs_two_packs"),
        (["A", "WE-ZZZZZ"], 404, "pack_not_found"),
    ],
)
def test_merge_errors(admin_api, company, names, status, code):
    a = make_key(company, packs=[("WE", 10)]).product_packs.get()
    ids = [a.pack_id if n == "A" else n for n in names]
    response = admin_api.post(url(company, "product-packs/merge"), {"product_packs": ids})
    assert response.status_code == status and response.json()["code"] == code


def test_merge_access(user_api, outsider_api, company):
    key = make_key(company, packs=[("WE", 10), ("WE", 5)])
    body = {"product_packs": list(key.product_packs.values_list("pack_id", flat=True))}
    assert user_api.post(url(company, "product-packs/merge"), body).status_code == 403
    assert outsider_api.post(url(company, "product-packs/merge"), body).status_code == 404


# --- renewals ------------------------------------------------------------------------


def renewal_order(key, number, items):
    order = Order.objects.create(
        order_number=number,
        kind="renewal",
        invoice_date=key.expires_on,
        company=key.company,
        subscription_key=key,
        request_hash="x",
    )
    renewal_order_apply(
        actor=Actor.system(),
        order=order,
        subscription_key=key,
        items=[{"product": p, "seats": s, "term_months": 12} for p, s in items],
    )
    return order


def test_list_renewals_and_filter_by_status(user_api, company, django_assert_max_num_queries):
    for n in range(4):
        key = make_key(company, packs=[("WE", 10)])
        renewal_order(key, f"R-{n}", [("WE", 10 if n % 2 else 5)])
    with django_assert_max_num_queries(8):
        response = user_api.get(url(company, "renewals"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    assert set(body["items"][0]) >= {
        "order_number",
        "subscription_key",
        "product",
        "seats",
        "expires_on",
        "status",
    }
    waiting = user_api.get(url(company, "renewals"), {"status": "awaiting_redemption"}).json()
    assert {i["order_number"] for i in waiting["items"]} == {"R-0", "R-2"}
    assert user_api.get(url(company, "renewals"), {"status": "bogus"}).status_code == 422


def test_list_renewals_of_another_company_is_404(outsider_api, company):
    assert outsider_api.get(url(company, "renewals")).status_code == 404


def test_redeem_returns_the_renewal_and_the_renewed_packs(admin_api, company):
    key = make_key(company, packs=[("WE", 10), ("WE", 5)])
    renewal_order(key, "R-9", [("WE", 5)])
    ten, five = key.product_packs.order_by("pk")
    path = url(company, "renewals/R-9/redeem")
    bad = admin_api.post(path, {"product_packs": [ten.pack_id]})
    assert bad.status_code == 422 and bad.json()["code"] == "seats_not_conserved"
    response = admin_api.post(path, {"product_packs": [five.pack_id]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["renewal"]["status"] == "redeemed" and body["renewal"]["order_number"] == "R-9"
    assert [p["id"] for p in body["product_packs"]] == [five.pack_id]
    assert body["product_packs"][0]["expires_on"] == body["renewal"]["expires_on"]
    again = admin_api.post(path, {"product_packs": [five.pack_id]})
    assert again.status_code == 409 and again.json()["code"] == "renewal_already_redeemed"


def test_redeem_picks_the_renewal_by_product(sp_api, company):
    key = make_key(company, packs=[("WE", 10), ("EMP", 10), ("EMP", 4)])
    renewal_order(key, "R-2P", [("WE", 5), ("EMP", 4)])
    we = key.product_packs.get(product__sku="WE")
    emp4 = key.product_packs.get(product__sku="EMP", seats=4)
    path = url(company, "renewals/R-2P/redeem")
    response = sp_api.post(path, {"product_packs": [emp4.pack_id]})
    assert response.status_code == 200 and response.json()["renewal"]["product"] == "EMP"
    mixed = sp_api.post(path, {"product_packs": [we.pack_id, emp4.pack_id]})
    assert mixed.status_code == 422 and mixed.json()["code"] == "packs_mixed_products"
    assert Renewal.objects.get(product__sku="WE").status == "awaiting_redemption"


def test_redeem_errors_and_access(admin_api, user_api, outsider_api, company):
    key = make_key(company, packs=[("WE", 10)])
    renewal_order(key, "R-A", [("WE", 10)])
    pack = key.product_packs.get()
    body = {"product_packs": [pack.pack_id]}
    applied = admin_api.post(url(company, "renewals/R-A/redeem"), body)
    assert applied.status_code == 409 and applied.json()["code"] == "renewal_not_awaiting"
    unknown = admin_api.post(url(company, "renewals/NOPE/redeem"), body)
    assert unknown.status_code == 404 and unknown.json()["code"] == "renewal_not_found"
    assert user_api.post(url(company, "renewals/R-A/redeem"), body).status_code == 403
    assert outsider_api.post(url(company, "renewals/R-A/redeem"), body).status_code == 404
    empty = admin_api.post(url(company, "renewals/R-A/redeem"), {"product_packs": []})
    assert empty.status_code == 422


def test_routes_are_in_the_openapi(api, db):
    paths = api().get("/openapi.json").json()["paths"]
    assert "/api/v1/companies/{gaid}/product-packs/merge" in paths
    split = paths["/api/v1/companies/{gaid}/product-packs/{pack_id}/split"]["post"]
    assert {"201", "404", "409", "422"} <= set(split["responses"])
    assert "/api/v1/companies/{gaid}/renewals/{order_number}/redeem" in paths


def test_split_of_a_merged_pack_is_409(admin_api, company):
    key = make_key(company, packs=[("WE", 10), ("WE", 5)])
    a, b = key.product_packs.order_by("pk")
    assert (
        admin_api.post(
            url(company, "product-packs/merge"), {"product_packs": [a.pack_id, b.pack_id]}
        ).status_code
        == 200
    )
    response = admin_api.post(url(company, f"product-packs/{b.pack_id}/split"), {"seats": 1})
    assert response.status_code == 409 and response.json()["code"] == "pack_not_splittable"


def test_redeem_with_packs_of_a_product_the_order_does_not_renew_is_422(admin_api, company):
    key = make_key(company, packs=[("WE", 10), ("EMP", 5)])
    renewal_order(key, "R-WE", [("WE", 5)])
    emp = key.product_packs.get(product__sku="EMP")
    response = admin_api.post(
        url(company, "renewals/R-WE/redeem"), {"product_packs": [emp.pack_id]}
    )
    assert response.status_code == 422 and response.json()["code"] == "product_not_renewed"
