"""Portal pages of split, merge, renewals and redeem."""

import pytest
from django.test import Client

from ilp.core.actors import Actor
from ilp.licensing.models import Order, ProductPack, Renewal
from ilp.licensing.services.renewals import renewal_order_apply
from tests.accounts.factories import PASSWORD, make_user
from tests.licensing.factories import make_key, make_license

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser_as(company):
    def login(role="administrator"):
        user = make_user(f"{role}@acme.test", company=company, role=role)
        client = Client()
        assert client.login(email=user.email, password=PASSWORD)
        return client

    return login


def u(company, tail):
    return f"/companies/{company.gaid}/{tail}"


def renewal_order(key, number, sku, seats):
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
        items=[{"product": sku, "seats": seats, "term_months": 12}],
    )
    return order


def test_split_page_shows_licensed_devices_and_splits(browser_as, company):
    client = browser_as()
    pack = make_key(company, packs=[("WE", 10)]).product_packs.get()
    make_license(pack, "00E0C5AAAAAA")
    page = client.get(u(company, f"packs/{pack.pack_id}/split/"))
    assert page.status_code == 200
    assert b"00E0C5AAAAAA" in page.content and b"Seats for the new pack" in page.content
    response = client.post(
        u(company, f"packs/{pack.pack_id}/split/"), {"seats": "3", "unit_id": ["00E0C5AAAAAA"]}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/packs/{pack.pack_id}/")
    created = ProductPack.objects.exclude(pk=pack.pk).get()
    assert (created.seats, created.seats_used) == (3, 1)
    follow = client.get(response["Location"])
    assert created.pack_id in follow.content.decode()


@pytest.mark.parametrize(
    ("seats", "message"),
    [
        ("10", "must keep at least one"),
        ("", "Enter the number"),
        ("2147483648", "must keep at least one"),  # beyond the column: refused before the insert
    ],
)
def test_split_page_shows_errors_not_500(browser_as, company, seats, message):
    client = browser_as("service_provider")
    pack = make_key(company, packs=[("WE", 10)]).product_packs.get()
    response = client.post(u(company, f"packs/{pack.pack_id}/split/"), {"seats": seats})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert ProductPack.objects.count() == 1


def test_split_page_is_403_for_users_and_404_for_other_companies(browser_as, company):
    pack = make_key(company, packs=[("WE", 10)]).product_packs.get()
    assert browser_as("user").get(u(company, f"packs/{pack.pack_id}/split/")).status_code == 403
    admin = browser_as()
    assert admin.get(u(company, "packs/WE-NOPE0/split/")).status_code == 404


def test_merge_check_explains_why_a_selection_cannot_merge(browser_as, company):
    client = browser_as()
    key = make_key(company, packs=[("WE", 10), ("WE", 5), ("EMP", 3)])
    a, b, c = key.product_packs.order_by("pk")
    one = client.get(u(company, "packs/merge/check/"), {"pack": [a.pack_id]})
    assert "disabled" in one.content.decode() and "two or more" in one.content.decode()
    bad = client.get(u(company, "packs/merge/check/"), {"pack": [a.pack_id, c.pack_id]})
    assert "different products" in bad.content.decode()
    good = client.get(u(company, "packs/merge/check/"), {"pack": [a.pack_id, b.pack_id]})
    assert "Merge 2 packs" in good.content.decode() and "disabled" not in good.content.decode()


def test_merge_confirm_then_merge_into_the_picked_target(browser_as, company):
    client = browser_as()
    key = make_key(company, packs=[("WE", 10), ("WE", 5)])
    a, b = key.product_packs.order_by("pk")
    confirm = client.get(u(company, "packs/merge/"), {"pack": [a.pack_id, b.pack_id]})
    assert confirm.status_code == 200 and "15 seats" in confirm.content.decode()
    done = client.post(
        u(company, "packs/merge/"),
        {"pack": [a.pack_id, b.pack_id], "target": b.pack_id, "confirm": "1"},
    )
    assert done.status_code == 302 and done["Location"].endswith(f"/packs/{b.pack_id}/")
    a.refresh_from_db()
    assert a.state == "merged" and a.merged_into_id == b.pk


def test_merge_refused_shows_the_reason(browser_as, company):
    client = browser_as()
    key = make_key(company, packs=[("WE", 10), ("EMP", 5)])
    a, b = key.product_packs.order_by("pk")
    response = client.post(
        u(company, "packs/merge/"), {"pack": [a.pack_id, b.pack_id], "confirm": "1"}
    )
    assert response.status_code == 409 and "different products" in response.content.decode()
    assert not ProductPack.objects.filter(state="merged").exists()


def test_redeem_page_with_split_to_fit_and_redeem(browser_as, company):
    client = browser_as()
    key = make_key(company, packs=[("WE", 10)])
    renewal_order(key, "R-7", "WE", 7)
    page = client.get(u(company, f"subscription-keys/{key.key}/redeem/"))
    assert page.status_code == 200 and "R-7" in page.content.decode()
    pack = key.product_packs.get()
    split = client.post(
        u(company, f"subscription-keys/{key.key}/redeem/split/"),
        {"split_pack": pack.pack_id, f"split_seats_{pack.pack_id}": "3"},
        headers={"HX-Request": "true"},
    )
    assert split.status_code == 200
    created = ProductPack.objects.exclude(pk=pack.pk).get()
    assert created.pack_id in split.content.decode() and "<html" not in split.content.decode()
    wrong = client.post(
        u(company, f"subscription-keys/{key.key}/redeem/"), {"pack": [created.pack_id]}
    )
    assert wrong.status_code == 422 and "exactly" in wrong.content.decode()
    done = client.post(u(company, f"subscription-keys/{key.key}/redeem/"), {"pack": [pack.pack_id]})
    assert done.status_code == 302
    assert Renewal.objects.get().status == "redeemed"


def test_redeem_page_without_waiting_renewal_says_so(browser_as, company):
    key = make_key(company, packs=[("WE", 10)])
    page = browser_as().get(u(company, f"subscription-keys/{key.key}/redeem/"))
    assert page.status_code == 200 and "No renewal" in page.content.decode()
    assert (
        browser_as("user").get(u(company, f"subscription-keys/{key.key}/redeem/")).status_code
        == 403
    )


def test_renewal_list_page_runs_constant_queries(
    browser_as, company, django_assert_max_num_queries
):
    client = browser_as()
    for n in range(5):
        renewal_order(make_key(company, packs=[("WE", 10)]), f"R-{n}", "WE", 5 + n * 2)
    with django_assert_max_num_queries(12):
        page = client.get(u(company, "renewals/"))
    assert page.status_code == 200
    body = page.content.decode()
    assert all(f"R-{n}" in body for n in range(5))
    assert body.count("Redeem</a>") == 3  # R-0..R-2 decrease 10 seats
    filtered = client.get(u(company, "renewals/"), {"status": "applied"}).content.decode()
    assert "R-4" in filtered and "R-0" not in filtered


def test_key_pages_show_redeem_renewal_only_when_one_waits(browser_as, company):
    client = browser_as()
    waiting = make_key(company, packs=[("WE", 10)])
    renewal_order(waiting, "R-W", "WE", 4)
    page = client.get(u(company, f"subscription-keys/{waiting.key}/"))
    if page.status_code == 404:  # the key page is built by the orders work
        pytest.skip("key page not there yet")
    body = page.content.decode()
    assert f"/subscription-keys/{waiting.key}/redeem/" in body
    idle = make_key(company, packs=[("WE", 10)])
    body = client.get(u(company, f"subscription-keys/{idle.key}/")).content.decode()
    # No greyed "Redeem renewal" on a key without a waiting renewal (issue 24).
    assert f"/subscription-keys/{idle.key}/redeem/" not in body
    assert "Redeem renewal" not in body and "disabled" not in body


def test_merge_from_the_pack_list_posts_the_selection_to_a_confirmation(browser_as, company):
    client = browser_as()
    key = make_key(company, packs=[("WE", 10), ("WE", 5)])
    a, b = key.product_packs.order_by("pk")
    response = client.post(u(company, "packs/merge/"), {"pack": [a.pack_id, b.pack_id]})
    assert response.status_code == 200 and "Merge packs" in response.content.decode()
    assert not ProductPack.objects.filter(state="merged").exists()  # not without confirm


def test_merged_pack_shows_where_its_seats_went_and_no_actions(browser_as, company):
    client = browser_as()
    key = make_key(company, packs=[("WE", 10), ("WE", 5)])
    a, b = key.product_packs.order_by("pk")
    before = client.get(u(company, f"packs/{a.pack_id}/")).content.decode()
    assert "10 free" in before and 'name="comment"' in before
    client.post(
        u(company, "packs/merge/"),
        {"pack": [a.pack_id, b.pack_id], "target": b.pack_id, "confirm": "1"},
    )
    html = client.get(u(company, f"packs/{a.pack_id}/")).content.decode()
    assert "free)" not in html
    assert f"moved to {b.pack_id}" in html
    assert 'name="comment"' not in html
    assert "/split/" not in html


def test_waiting_renewal_order_links_to_redeem(browser_as, company):
    key = make_key(company, packs=[("WE", 10)])
    renewal_order(key, "R-9", "WE", 7)
    renewal = Renewal.objects.get(order__order_number="R-9")
    assert renewal.status == "awaiting_redemption"
    redeem = f"/companies/{company.gaid}/subscription-keys/{key.key}/redeem/?renewal={renewal.pk}"
    html = browser_as().get(u(company, "orders/R-9/")).content.decode()
    assert f'href="{redeem}"' in html
    reader = browser_as("user").get(u(company, "orders/R-9/")).content.decode()
    assert "redeem/" not in reader and "can redeem it" in reader
