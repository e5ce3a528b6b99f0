"""The FAQ's three renewal cases end to end: POST /orders (staff) → the customer's API view."""

import datetime

import pytest

from tests.licensing.factories import make_key
from tests.licensing.test_renewals import months_add

pytestmark = pytest.mark.django_db


def post_order(staff_api, company, number, kind, items, key=None, invoice_date=None):
    body = {
        "order_number": number,
        "kind": kind,
        "invoice_date": (invoice_date or datetime.date.today()).isoformat(),
        "end_customer": {"gaid": company.gaid, "name": company.name, "country": "DE"},
        "items": [{"product": p, "seats": s, "term_months": 12} for p, s in items],
    }
    if key:
        body["subscription_key"] = key
    return staff_api.post("/orders", body)


def keys_of(admin_api, company):
    items = admin_api.get(f"/companies/{company.gaid}/subscription-keys").json()["items"]
    return {k["key"]: k for k in items}


def test_same_seats_renewal_extends_key_and_packs(staff_api, admin_api, company):
    key = make_key(company, packs=[("WE", 10)])
    old = key.expires_on
    response = post_order(staff_api, company, "R-SAME", "renewal", [("WE", 10)], key=key.key)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "fulfilled" and body["subscription_key"] == key.key
    new = months_add(old, 12).isoformat()
    assert [p["expires_on"] for p in body["product_packs"]] == [new]
    seen = keys_of(admin_api, company)[key.key]
    assert seen["expires_on"] == new and seen["pending_renewals"] == []
    assert all(p["expires_on"] == new for p in seen["product_packs"])
    replay = post_order(staff_api, company, "R-SAME", "renewal", [("WE", 10)], key=key.key)
    assert replay.status_code == 200 and replay.json() == body


def test_more_seats_renewal_adds_a_pack_with_the_extra_seats(staff_api, admin_api, company):
    key = make_key(company, packs=[("WE", 10)])
    response = post_order(staff_api, company, "R-MORE", "renewal", [("WE", 12)], key=key.key)
    assert response.status_code == 201, response.content
    packs = response.json()["product_packs"]
    assert sorted(p["seats"] for p in packs) == [2, 10]
    assert len({p["expires_on"] for p in packs}) == 1
    ids = [p["id"] for p in packs]
    # The extra pack was created by the renewal order, whose EULA waits: it merges once
    # accepted (a waiting pack must not lend its seats to an accepted one).
    merge_url = f"/companies/{company.gaid}/product-packs/merge"
    refused = admin_api.post(merge_url, {"product_packs": ids})
    assert refused.status_code == 409 and "EULA" in refused.json()["detail"]
    accepted = admin_api.post(f"/companies/{company.gaid}/orders/R-MORE/eula", {})
    assert accepted.status_code == 200, accepted.content
    merged = admin_api.post(merge_url, {"product_packs": ids})
    assert merged.status_code == 200 and merged.json()["target"]["seats"] == 12


def test_fewer_seats_renewal_waits_then_is_redeemed_after_a_split(staff_api, admin_api, company):
    key = make_key(company, packs=[("WE", 10)])
    old = key.expires_on
    response = post_order(staff_api, company, "R-LESS", "renewal", [("WE", 7)], key=key.key)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "awaiting_redemption"
    assert response.json()["product_packs"] == []
    seen = keys_of(admin_api, company)[key.key]
    assert seen["pending_renewals"] == ["R-LESS"] and seen["expires_on"] == old.isoformat()
    waiting = admin_api.get(
        f"/companies/{company.gaid}/renewals", {"status": "awaiting_redemption"}
    ).json()
    assert [r["order_number"] for r in waiting["items"]] == ["R-LESS"]

    pack = key.product_packs.get()
    split = admin_api.post(
        f"/companies/{company.gaid}/product-packs/{pack.pack_id}/split", {"seats": 3}
    )
    assert split.status_code == 201
    redeem = admin_api.post(
        f"/companies/{company.gaid}/renewals/R-LESS/redeem", {"product_packs": [pack.pack_id]}
    )
    assert redeem.status_code == 200, redeem.content
    new = months_add(old, 12).isoformat()
    seen = keys_of(admin_api, company)[key.key]
    assert seen["pending_renewals"] == [] and seen["expires_on"] == new
    by_id = {p["id"]: p for p in seen["product_packs"]}
    assert by_id[pack.pack_id]["expires_on"] == new and by_id[pack.pack_id]["seats"] == 7
    assert by_id[split.json()["created"]["id"]]["expires_on"] == old.isoformat()
    order = admin_api.get(f"/companies/{company.gaid}/orders/R-LESS")
    assert order.status_code == 200


def test_renewal_errors_through_orders(staff_api, company):
    key = make_key(company, packs=[("WE", 10)])
    perpetual = post_order(staff_api, company, "R-P", "renewal", [("WE-P", 10)], key=key.key)
    assert perpetual.status_code == 422
    assert perpetual.json()["code"] == "renewal_perpetual_product"
    missing = post_order(staff_api, company, "R-E", "renewal", [("EMP", 10)], key=key.key)
    assert missing.status_code == 422 and missing.json()["code"] == "product_not_on_key"
    assert (
        post_order(staff_api, company, "R-1", "renewal", [("WE", 4)], key=key.key).status_code
        == 201
    )
    again = post_order(staff_api, company, "R-2", "renewal", [("WE", 10)], key=key.key)
    assert again.status_code == 409 and again.json()["code"] == "renewal_pending"
