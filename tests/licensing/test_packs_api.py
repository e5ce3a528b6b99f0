"""Company reads (orders, keys, packs) and PATCH of a pack."""

import datetime

import pytest

from ilp.licensing.models import ProductPack, Renewal
from tests.accounts.factories import make_company
from tests.licensing.factories import make_key, make_pack

pytestmark = pytest.mark.django_db


def today() -> datetime.date:
    """Today, read when a test runs (a module constant goes stale across midnight)."""
    return datetime.date.today()


def days(n):
    return today() + datetime.timedelta(days=n)


@pytest.fixture
def packs(company):
    """One pack of each date-derived status, plus merged and archived."""
    active = make_key(company, packs=[("WE", 10, 2)]).product_packs.get()
    expired_key = make_key(company, packs=[("EMP", 5)], starts_on=days(-400), expires_on=days(-35))
    expired = expired_key.product_packs.get()
    future = make_key(company, packs=[("ICG", 20)], starts_on=days(10), expires_on=days(375))
    future = future.product_packs.get()
    perpetual = make_pack(active.subscription_key, "WE-P", 3, starts_on=days(-5))
    target = make_pack(active.subscription_key, "WE", 4)
    merged = make_pack(active.subscription_key, "WE", 1, state="merged", merged_into=target)
    archived = make_pack(expired_key, "EMP", 2, state="archived")
    return {
        "active": active,
        "expired": expired,
        "not_yet_active": future,
        "perpetual": perpetual,
        "target": target,
        "merged": merged,
        "archived": archived,
    }


def ids(response):
    assert response.status_code == 200, response.content
    return {p["id"] for p in response.json()["items"]}


def test_pack_list_and_status_filter(admin_api, company, packs):
    url = f"/companies/{company.gaid}/product-packs"
    assert len(ids(admin_api.get(url))) == 7
    assert ids(admin_api.get(url, {"status": "active"})) == {
        packs["active"].pack_id,
        packs["perpetual"].pack_id,
        packs["target"].pack_id,
    }
    for status in ("expired", "not_yet_active", "merged", "archived"):
        assert ids(admin_api.get(url, {"status": status})) == {packs[status].pack_id}
    response = admin_api.get(url, {"status": "sleeping"})
    assert response.status_code == 422 and response.json()["code"] == "invalid_status"


def test_pack_filters_product_key_and_expiry(admin_api, company, packs):
    url = f"/companies/{company.gaid}/product-packs"
    assert ids(admin_api.get(url, {"product": "icg"})) == {packs["not_yet_active"].pack_id}
    key = packs["expired"].subscription_key.key
    assert ids(admin_api.get(url, {"subscription_key": key})) == {
        packs["expired"].pack_id,
        packs["archived"].pack_id,
    }
    # Perpetual packs never expire, so no "expires before" date matches them.
    assert ids(admin_api.get(url, {"expires_before": days(0).isoformat()})) == {
        packs["expired"].pack_id,
        packs["archived"].pack_id,
    }
    assert admin_api.get(url, {"expires_before": "soon"}).status_code == 422


def test_pack_list_sorts(admin_api, company, packs):
    url = f"/companies/{company.gaid}/product-packs"
    seats = [p["seats"] for p in admin_api.get(url, {"sort": "-seats"}).json()["items"]]
    assert seats == sorted(seats, reverse=True)


def test_pack_object_matches_api_md(admin_api, company, packs):
    pack = packs["merged"]
    body = admin_api.get(f"/companies/{company.gaid}/product-packs/{pack.pack_id.lower()}").json()
    assert body == {
        "id": pack.pack_id,
        "product": "WE",
        "subscription_key": pack.subscription_key.key,
        "seats": 1,
        "seats_used": 0,
        "starts_on": pack.starts_on.isoformat(),
        "expires_on": pack.expires_on.isoformat(),
        "status": "merged",
        "comment": "",
        "ums_id": None,
        "merged_into": packs["target"].pack_id,
        "eula_accepted": True,  # no order, no third-party EULA: nothing to accept
    }


def test_other_companys_pack_is_404(admin_api, outsider_api, company, packs):
    other = make_key(make_company(name="Elsewhere")).product_packs.get()
    assert (
        admin_api.get(f"/companies/{company.gaid}/product-packs/{other.pack_id}").status_code == 404
    )
    pid = packs["active"].pack_id
    assert outsider_api.get(f"/companies/{company.gaid}/product-packs/{pid}").status_code == 404


def test_patch_comment_and_archive(sp_api, company, packs):
    pack = packs["expired"]
    url = f"/companies/{company.gaid}/product-packs/{pack.pack_id}"
    response = sp_api.patch(url, {"comment": "  old lab machines "})
    assert response.status_code == 200 and response.json()["comment"] == "old lab machines"
    response = sp_api.patch(url, {"archived": True})
    assert response.json()["status"] == "archived"
    response = sp_api.patch(url, {"archived": False})
    assert response.json()["status"] == "expired"
    assert sp_api.patch(url, {"comment": "x" * 501}).status_code == 422


def test_archiving_an_active_pack_in_use_is_409(admin_api, company, packs):
    url = f"/companies/{company.gaid}/product-packs/{packs['active'].pack_id}"
    response = admin_api.patch(url, {"archived": True})
    assert response.status_code == 409 and response.json()["code"] == "pack_in_use"
    # An active pack with no seats in use may be archived.
    url = f"/companies/{company.gaid}/product-packs/{packs['target'].pack_id}"
    assert admin_api.patch(url, {"archived": True}).json()["status"] == "archived"


def test_merged_pack_cannot_be_archived(admin_api, company, packs):
    url = f"/companies/{company.gaid}/product-packs/{packs['merged'].pack_id}"
    response = admin_api.patch(url, {"archived": True})
    assert response.status_code == 409 and response.json()["code"] == "pack_merged"


def test_user_cannot_patch(user_api, company, packs):
    url = f"/companies/{company.gaid}/product-packs/{packs['expired'].pack_id}"
    assert user_api.patch(url, {"comment": "mine"}).status_code == 403
    assert user_api.get(url).status_code == 200
    assert ProductPack.objects.get(pk=packs["expired"].pk).comment == ""


def test_keys_list_and_detail_with_pending_renewals(admin_api, company, packs, staff_api):
    from ilp.licensing.models import Order

    key = packs["active"].subscription_key
    order = Order.objects.create(
        order_number="R-1",
        kind="renewal",
        invoice_date=today(),
        company=company,
        subscription_key=key,
        request_hash="x",
        status="awaiting_redemption",
    )
    Renewal.objects.create(
        order=order,
        subscription_key=key,
        company=company,
        product=packs["active"].product,
        seats=5,
        term_months=12,
        old_expires_on=days(335),
        expires_on=days(700),
        status="awaiting_redemption",
    )
    body = admin_api.get(f"/companies/{company.gaid}/subscription-keys").json()
    assert body["count"] == 3
    by_key = {k["key"]: k for k in body["items"]}
    assert by_key[key.key]["pending_renewals"] == ["R-1"]
    assert len(by_key[key.key]["product_packs"]) == 4
    detail = admin_api.get(f"/companies/{company.gaid}/subscription-keys/{key.key}").json()
    assert detail == by_key[key.key]
    assert admin_api.get(f"/companies/{company.gaid}/subscription-keys/SK-NONE").status_code == 404


def test_company_orders_list_and_detail(admin_api, staff_api, company, outsider_api):
    posted = staff_api.post(
        "/orders",
        {
            "order_number": "SO-9",
            "kind": "new",
            "invoice_date": "2026-11-01",
            "end_customer": {"gaid": company.gaid, "name": "x"},
            "items": [{"product": "WE", "seats": 10, "term_months": 12}],
        },
    ).json()
    body = admin_api.get(f"/companies/{company.gaid}/orders").json()
    assert body["count"] == 1
    (order,) = body["items"]
    assert (
        order["order_number"] == "SO-9" and order["subscription_key"] == posted["subscription_key"]
    )
    assert order["items"] == [{"product": "WE", "seats": 10, "term_months": 12}]
    assert [p["id"] for p in order["product_packs"]] == [posted["product_packs"][0]["id"]]
    assert admin_api.get(f"/companies/{company.gaid}/orders/SO-9").json() == order
    assert admin_api.get(f"/companies/{company.gaid}/orders/SO-X").status_code == 404
    assert outsider_api.get(f"/companies/{company.gaid}/orders/SO-9").status_code == 404


@pytest.mark.parametrize("n", [5, 50])
def test_lists_run_constant_queries(admin_api, company, django_assert_max_num_queries, n):
    from ilp.licensing.models import Order

    for i in range(n // 5):
        key = make_key(company, packs=[("WE", 10)] * 5)
        Order.objects.create(
            order_number=f"N-{i}",
            kind="new",
            invoice_date=today(),
            company=company,
            subscription_key=key,
            request_hash="x",
            result={"product_packs": [{"id": p.pack_id} for p in key.product_packs.all()]},
        )
    # auth (token + membership) + count + page (+ prefetches); same for 5 and 50 packs
    with django_assert_max_num_queries(6):
        assert admin_api.get(f"/companies/{company.gaid}/product-packs").json()["count"] == n
    with django_assert_max_num_queries(7):
        body = admin_api.get(f"/companies/{company.gaid}/subscription-keys").json()
        assert sum(len(k["product_packs"]) for k in body["items"]) == n
    with django_assert_max_num_queries(8):
        body = admin_api.get(f"/companies/{company.gaid}/orders").json()
        assert sum(len(o["product_packs"]) for o in body["items"]) == n


@pytest.mark.parametrize("sort", [None, "expires", "-seats", "status", "product"])
def test_pages_past_the_first_equal_slices_of_the_whole_list(admin_api, company, packs, sort):
    """A page at an offset is found by key first (`DeepPaging`, issue 14): the same packs in
    the same order as the whole list's slice, the same exact count, every sort and filter."""
    url = f"/companies/{company.gaid}/product-packs"
    params = {"sort": sort} if sort else {}
    whole = admin_api.get(url, {**params, "limit": 500}).json()
    order = [p["id"] for p in whole["items"]]
    assert len(order) == 7
    for offset, limit in ((1, 2), (3, 3), (6, 5), (7, 5), (2, 500)):
        page = admin_api.get(url, {**params, "offset": offset, "limit": limit}).json()
        assert [p["id"] for p in page["items"]] == order[offset : offset + limit]
        assert page["count"] == 7
        assert page["items"] == whole["items"][offset : offset + limit]
    active = admin_api.get(url, {**params, "status": "active", "offset": 1}).json()
    assert active["count"] == 3 and len(active["items"]) == 2


def test_a_deep_page_runs_as_many_queries_as_the_first(
    admin_api, company, packs, django_assert_num_queries
):
    url = f"/companies/{company.gaid}/product-packs"
    admin_api.get(url)  # warm-up
    with django_assert_num_queries(4):  # token, membership, count, page
        admin_api.get(url, {"limit": 2})
    with django_assert_num_queries(4):
        admin_api.get(url, {"limit": 2, "offset": 5})
