"""Portal pages of orders, keys, packs and delivery tokens."""

import datetime

import pytest
from django.db.models import Count, Sum
from django.test import Client

from ilp.accounts.models import Membership
from ilp.core.actors import Actor
from ilp.licensing.models import Order, ProductPack
from ilp.licensing.selectors import dashboard_figures
from ilp.licensing.services.delivery_tokens import delivery_token_issue
from ilp.licensing.views import dashboard
from tests.accounts.factories import make_company, make_user
from tests.licensing.factories import make_key

pytestmark = pytest.mark.django_db


def today() -> datetime.date:
    """Today, read when a test runs (a module constant goes stale across midnight)."""
    return datetime.date.today()


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(admin_user):
    return client_for(admin_user)


@pytest.fixture
def user_client(company):
    return client_for(make_user("reader@acme.test", company=company, role="user"))


def fill(company, n_packs):
    """n_packs packs in keys of five, with one order per key."""
    for i in range(n_packs // 5):
        key = make_key(
            company, packs=[("WE", 10, 1), ("EMP", 5), ("ICG", 20), ("WE", 3), ("WE-P", 2)]
        )
        Order.objects.create(
            order_number=f"SO-{i}",
            kind="new",
            invoice_date=today(),
            company=company,
            subscription_key=key,
            request_hash="x",
            status="fulfilled",
            result={"product_packs": [{"id": p.pack_id} for p in key.product_packs.all()]},
        )
        key.product_packs.update(order=Order.objects.get(order_number=f"SO-{i}"))


def test_dashboard_shows_bars_quick_filters_and_live_packs(admin_client, company):
    key = make_key(company, packs=[("WE", 10, 4)])
    soon = make_key(
        company,
        packs=[("EMP", 5)],
        starts_on=today() - datetime.timedelta(days=300),
        expires_on=today() + datetime.timedelta(days=20),
    ).product_packs.get()
    gone = make_key(
        company,
        packs=[("EMP", 5)],
        starts_on=today() - datetime.timedelta(days=400),
        expires_on=today() - datetime.timedelta(days=1),
    ).product_packs.get()
    archived = make_key(company, packs=[("WE", 1)]).product_packs.get()
    ProductPack.objects.filter(pk=archived.pk).update(state="archived")
    response = admin_client.get(f"/companies/{company.gaid}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert company.name in html and company.gaid in html
    assert "4 / 10 used" in html  # WE bar over active packs only
    assert "0 / 5 used" in html
    counts = response.context["counts"]
    assert counts == {"expired": 1, "within_30": 1, "within_90": 1}
    shown = {p.pack_id for p in response.context["packs"]}
    assert shown == {key.product_packs.get().pack_id, soon.pack_id, gone.pack_id}
    assert f"/companies/{company.gaid}/packs/?status=expired" in html


def test_dashboard_figures_agree_with_each_packs_status(company):
    """The figures' plain conditions (issue 14: one grouped query, no status CASE) count what
    `current_status` says, for every status, perpetual packs and the day boundaries."""
    day = today()

    def d(n):
        return day + datetime.timedelta(days=n)

    for starts, ends in (
        (-10, 0),
        (-10, 1),
        (-10, 30),
        (-10, 31),
        (-10, 90),
        (-10, 91),
        (0, 5),
        (1, 40),
        (-400, -1),
        (-5, None),
    ):
        key = make_key(
            company,
            packs=[("WE", 10, 2), ("EMP", 4)],
            starts_on=d(starts),
            expires_on=d(ends) if ends is not None else None,
        )
        if ends is None:
            key.product_packs.update(expires_on=None)
    for state in ("archived", "merged"):
        target = make_key(company, packs=[("ICG", 3)]).product_packs.get()
        pack = make_key(company, packs=[("ICG", 7)], starts_on=d(-10), expires_on=d(5))
        pack.product_packs.update(state=state, merged_into=target if state == "merged" else None)
    membership = Membership(company=company)
    figures = dashboard_figures(membership=membership, today=day)
    packs = ProductPack.objects.filter(company=company).with_status(day)
    active = packs.filter(current_status="active")
    assert figures["counts"] == {
        "expired": packs.filter(current_status="expired").count(),
        "within_30": active.filter(expires_on__lt=d(31)).count(),
        "within_90": active.filter(expires_on__lt=d(91)).count(),
    }
    expected = list(
        active.values("product__sku", "product__name")
        .annotate(seats=Sum("seats"), used=Sum("seats_used"), n=Count("id"))
        .order_by("product__sku")
    )
    assert [(r["product__sku"], r["seats"], r["used"]) for r in figures["per_product"]] == [
        (r["product__sku"], r["seats"], r["used"]) for r in expected
    ]
    assert figures["counts"]["expired"] and figures["counts"]["within_30"]


def test_pack_list_filters_sorts_and_pages(admin_client, company):
    fill(company, 50)
    url = f"/companies/{company.gaid}/packs/"
    response = admin_client.get(url)
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 50
    assert len(response.context["page"].object_list) == 25
    html = response.content.decode()
    assert 'id="pack-select"' in html and 'name="pack"' in html
    response = admin_client.get(url, {"product": "ICG", "sort": "-seats"})
    assert response.context["page"].paginator.count == 10
    response = admin_client.get(url, {"sort": "-seats", "page": 1})
    seats = [p.seats for p in response.context["page"]]
    assert seats == sorted(seats, reverse=True)
    # Nonsense parameters are ignored, never a 500.
    response = admin_client.get(
        url, {"status": "zzz", "expires_before": "tomorrow", "sort": "x;drop"}
    )
    assert response.status_code == 200 and response.context["page"].paginator.count == 50


def test_pack_list_htmx_returns_only_the_results(admin_client, company):
    fill(company, 5)
    response = admin_client.get(
        f"/companies/{company.gaid}/packs/",
        {"status": "active"},
        headers={"HX-Request": "true", "HX-Target": "pack-results"},
    )
    html = response.content.decode()
    assert "<html" not in html and 'id="pack-select"' in html


@pytest.mark.parametrize("n", [5, 50])
def test_pages_run_constant_queries(admin_client, company, django_assert_max_num_queries, n):
    fill(company, n)
    key = company.subscription_keys.first()
    pack = key.product_packs.first()
    order = Order.objects.filter(company=company).first()
    # The same budget for 5 and 50 packs: session, user, membership, nav, page queries
    # (the dashboard counts orders waiting for EULA acceptance; order pages read renewals).
    pages = {
        f"/companies/{company.gaid}/": 9,  # + the seat history of the chart
        f"/companies/{company.gaid}/packs/": 7,
        f"/companies/{company.gaid}/packs/?sort=-expires&status=active": 7,
        f"/companies/{company.gaid}/packs/{pack.pack_id}/": 6,
        f"/companies/{company.gaid}/subscription-keys/": 8,
        f"/companies/{company.gaid}/subscription-keys/{key.key}/": 8,
        f"/companies/{company.gaid}/orders/": 9,
        f"/companies/{company.gaid}/orders/{order.order_number}/": 8,
        f"/companies/{company.gaid}/delivery-token/": 6,  # + the EULA to read
    }
    for url, budget in pages.items():
        with django_assert_max_num_queries(budget):
            assert admin_client.get(url).status_code == 200, url


def test_pack_page_comment_and_archive(admin_client, company):
    pack = make_key(company, packs=[("WE", 10)]).product_packs.get()
    url = f"/companies/{company.gaid}/packs/{pack.pack_id}/"
    html = admin_client.get(url).content.decode()
    assert "Save comment" in html and "Archive" in html
    response = admin_client.post(
        url + "edit/",
        {"action": "comment", "comment": "Bremen office"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and "Comment saved." in response.content.decode()
    assert "<html" not in response.content.decode()
    response = admin_client.post(url + "edit/", {"action": "archive"}, follow=True)
    assert "Pack archived." in response.content.decode()
    pack.refresh_from_db()
    assert pack.comment == "Bremen office" and pack.state == "archived"


def test_pack_page_shows_conflict_message(admin_client, company):
    pack = make_key(company, packs=[("WE", 10, 3)]).product_packs.get()
    url = f"/companies/{company.gaid}/packs/{pack.pack_id}/edit/"
    response = admin_client.post(url, {"action": "archive"}, follow=True)
    assert response.status_code == 200
    assert "3 of its seats are in use" in response.content.decode()
    pack.refresh_from_db()
    assert pack.state == "live"


def test_user_sees_pages_but_cannot_edit_or_register(user_client, company):
    pack = make_key(company, packs=[("WE", 10)]).product_packs.get()
    html = user_client.get(f"/companies/{company.gaid}/packs/{pack.pack_id}/").content.decode()
    assert "Save comment" not in html
    assert (
        user_client.post(
            f"/companies/{company.gaid}/packs/{pack.pack_id}/edit/",
            {"action": "comment", "comment": "x"},
        ).status_code
        == 403
    )
    assert user_client.get(f"/companies/{company.gaid}/delivery-token/").status_code == 403
    assert "Delivery token" not in user_client.get(f"/companies/{company.gaid}/").content.decode()


def test_outsider_gets_404(company):
    pack = make_key(company).product_packs.get()
    other = make_user("o@other.test", company=make_company(name="O"), role="administrator")
    client = client_for(other)
    for url in ("", "packs/", f"packs/{pack.pack_id}/", "orders/", "subscription-keys/"):
        assert client.get(f"/companies/{company.gaid}/{url}").status_code == 404


def test_register_delivery_token_page(admin_client, company):
    _row, token = delivery_token_issue(
        actor=Actor.system(),
        order_number="L-1",
        invoice_date=datetime.date(2021, 6, 1),
        items=[{"product": "WE", "seats": 5, "term_months": 120}],
    )
    url = f"/companies/{company.gaid}/delivery-token/"
    response = admin_client.post(url, {"token": "DT-NOPE", "accept_eula": "1"})
    assert response.status_code == 422
    assert "unknown" in response.content.decode()
    # Without the tick: the page asks for it at the tick, and nothing is registered.
    response = admin_client.post(url, {"token": token})
    assert response.status_code == 422
    assert 'id="eula-error"' in response.content.decode()
    assert not company.subscription_keys.exists()
    response = admin_client.post(url, {"token": token, "accept_eula": "1"}, follow=True)
    assert response.status_code == 200
    key = company.subscription_keys.get()
    assert (
        response.redirect_chain[-1][0] == f"/companies/{company.gaid}/subscription-keys/{key.key}/"
    )
    assert "Delivery token registered" in response.content.decode()
    response = admin_client.post(url, {"token": token, "accept_eula": "1"})
    assert response.status_code == 422 and "already registered" in response.content.decode()


def test_orders_and_keys_pages(admin_client, company):
    fill(company, 5)
    order = Order.objects.get(company=company)
    html = admin_client.get(f"/companies/{company.gaid}/orders/").content.decode()
    assert order.order_number in html and order.subscription_key.key in html
    html = admin_client.get(
        f"/companies/{company.gaid}/orders/{order.order_number}/"
    ).content.decode()
    for pack in order.product_packs.all():
        assert pack.pack_id in html
    html = admin_client.get(f"/companies/{company.gaid}/subscription-keys/").content.decode()
    assert order.subscription_key.key in html
    assert admin_client.get(f"/companies/{company.gaid}/orders/NOPE/").status_code == 404
    assert admin_client.get(f"/companies/{company.gaid}/subscription-keys/NOPE/").status_code == 404


def test_dashboard_shows_the_soonest_expiring_packs_up_to_its_limit(
    admin_client, company, monkeypatch
):
    assert dashboard.DASHBOARD_PACKS == 50
    for n in (40, 10, 20):
        make_key(company, packs=[("WE", 2)], expires_on=today() + datetime.timedelta(days=n))
    url = f"/companies/{company.gaid}/"
    response = admin_client.get(url)
    ends = [p.expires_on for p in response.context["packs"]]
    assert ends == sorted(ends) and len(ends) == 3 and not response.context["more_packs"]
    monkeypatch.setattr(dashboard, "DASHBOARD_PACKS", 2)
    response = admin_client.get(url)
    assert [p.expires_on for p in response.context["packs"]] == ends[:2]
    assert response.context["more_packs"] and "All product packs" in response.content.decode()
