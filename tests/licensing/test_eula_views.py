"""The EULA in the portal: the order page, the pack page, the orders list, the dashboard, the
acceptance pages, and the back office (admin)."""

import datetime

import pytest
from django.test import Client

from ilp.accounts.models import User
from ilp.core.actors import Actor
from ilp.licensing.models import Eula, EulaVersion, Order, Product
from ilp.licensing.services.orders import order_create
from tests.accounts.factories import make_user

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


def new_order(company, number="SO-1", items=(("WE", 10),)):
    order, _created = order_create(
        actor=Actor.system(),
        order_number=number,
        kind="new",
        invoice_date=today() - datetime.timedelta(days=3),
        end_customer={"gaid": company.gaid},
        items=[{"product": sku, "seats": seats, "term_months": 12} for sku, seats in items],
    )
    return order


def test_the_order_page_offers_the_eula_to_accept(admin_client, user_client, company):
    order = new_order(company)
    url = f"/companies/{company.gaid}/orders/SO-1/"
    html = admin_client.get(url).content.decode()
    assert "The EULA waits for acceptance" in html
    assert "SAMPLE END USER LICENSE AGREEMENT" in html  # the text to read, version sample-1
    assert f'action="/companies/{company.gaid}/orders/SO-1/eula/"' in html
    pack = order.product_packs.get()
    assert "EULA pending" in html and pack.pack_id in html
    # A user reads it but cannot accept it.
    html = user_client.get(url).content.decode()
    assert "The EULA waits for acceptance" in html and "eula-form" not in html
    assert "An administrator or service provider of the company accepts it." in html


def test_accepting_on_the_order_page(admin_client, company):
    order = new_order(company)
    url = f"/companies/{company.gaid}/orders/SO-1/eula/"
    back = f"/companies/{company.gaid}/orders/SO-1/"
    # Without the tick: the page says so (422), nothing changes.
    response = admin_client.post(url, {"next": back, "eula_version": "sample-1"})
    assert response.status_code == 422
    assert "Tick the box" in response.content.decode()
    order.refresh_from_db()
    assert order.eula_pending
    response = admin_client.post(
        url, {"next": back, "eula_version": "sample-1", "accept": "1"}, follow=True
    )
    assert response.redirect_chain[-1][0] == back
    html = response.content.decode()
    assert "EULA of order SO-1 accepted (version sample-1)." in html
    assert "The EULA waits for acceptance" not in html and "EULA pending" not in html
    order.refresh_from_db()
    assert order.eula_accepted_by == "admin@acme.test"
    # A foreign `next` is ignored.
    other = admin_client.post(url, {"next": "https://evil.example/", "accept": "1"})
    assert other["Location"] == back


def test_an_outdated_version_is_a_readable_message(admin_client, company):
    new_order(company)
    EulaVersion.objects.create(
        eula=Eula.objects.get(kind="vendor"), version="v2", text="New", published_on=today()
    )
    response = admin_client.post(
        f"/companies/{company.gaid}/orders/SO-1/eula/",
        {"eula_version": "sample-1", "accept": "1"},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "version v2 is in force now" in html and "New" in html  # the new text to read


def test_the_eula_page_needs_the_accept_permission(user_client, admin_client, company):
    new_order(company)
    url = f"/companies/{company.gaid}/orders/SO-1/eula/"
    assert user_client.get(url).status_code == 403
    assert user_client.post(url, {"accept": "1"}).status_code == 403
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(f"/companies/{company.gaid}/orders/NOPE/eula/").status_code == 404


def test_the_pack_page_accepts_a_third_party_eula(admin_client, company):
    eula = Eula.objects.create(slug="relay", title="Relay terms", kind=Eula.Kind.THIRD_PARTY)
    EulaVersion.objects.create(
        eula=eula, version="r1", text="RELAY TEXT", published_on=datetime.date(2020, 1, 1)
    )
    Product.objects.filter(sku="ICG").update(third_party_eula=eula)
    order = new_order(company, items=(("ICG", 10),))
    pack = order.product_packs.get()
    url = f"/companies/{company.gaid}/packs/{pack.pack_id}/"
    html = admin_client.get(url).content.decode()
    assert "EULA of order SO-1" in html and "RELAY TEXT" in html
    assert "SAMPLE END USER LICENSE AGREEMENT" in html
    response = admin_client.post(
        f"/companies/{company.gaid}/packs/{pack.pack_id}/eula/",
        {"accept": "1", "eula_version": "sample-1", "third_party_eula_version": "r1", "next": url},
        follow=True,
    )
    html = response.content.decode()
    assert f"EULA accepted for pack {pack.pack_id}." in html
    assert "The EULA waits for acceptance" not in html
    assert "Relay terms: version r1" in html
    pack.refresh_from_db()
    assert pack.eula_accepted and Order.objects.get(order_number="SO-1").eula_accepted_at


def test_the_orders_list_and_the_dashboard_point_at_what_waits(admin_client, company):
    new_order(company, "SO-1")
    new_order(company, "SO-2")
    done = new_order(company, "SO-3")
    done.eula_accepted_at = datetime.datetime.now(datetime.UTC)
    done.save()
    html = admin_client.get(f"/companies/{company.gaid}/").content.decode()
    assert "2</strong> orders wait for EULA acceptance" in " ".join(html.split())
    assert f'href="/companies/{company.gaid}/orders/?eula=pending"' in html
    response = admin_client.get(f"/companies/{company.gaid}/orders/", {"eula": "pending"})
    names = [o.order_number for o in response.context["page"]]
    assert names == ["SO-2", "SO-1"] or sorted(names) == ["SO-1", "SO-2"]
    assert f"/companies/{company.gaid}/orders/SO-1/eula/?next=" in response.content.decode()
    html = admin_client.get(f"/companies/{company.gaid}/orders/").content.decode()
    assert "SO-3" in html
    # Nothing waiting: no tile.
    Order.objects.update(eula_accepted_at=datetime.datetime.now(datetime.UTC))
    html = admin_client.get(f"/companies/{company.gaid}/").content.decode()
    assert "wait for EULA acceptance" not in html


@pytest.mark.parametrize("n", [3, 30])
def test_eula_pages_run_constant_queries(admin_client, company, django_assert_max_num_queries, n):
    for i in range(n):
        new_order(company, f"SO-{i}", items=(("WE", 1), ("EMP", 1)))
    pages = {
        # 8 + the seat history of the chart (one query) + the EULA card's stopped packs and
        # their count + the renewal card (issue 24)
        f"/companies/{company.gaid}/": 12,
        f"/companies/{company.gaid}/orders/": 9,
        f"/companies/{company.gaid}/orders/?eula=pending": 9,
        f"/companies/{company.gaid}/orders/SO-1/": 11,
        f"/companies/{company.gaid}/orders/SO-1/eula/": 11,
    }
    for url, budget in pages.items():
        with django_assert_max_num_queries(budget):
            assert admin_client.get(url).status_code == 200, url


# --- the back office ----------------------------------------------------------------------


@pytest.fixture
def staff_client(db):
    return client_for(User.objects.create_superuser("staff@vendor.test", "pw"))


def test_staff_see_and_filter_the_eula_state_of_orders(staff_client, company):
    new_order(company, "SO-WAIT")
    done = new_order(company, "SO-DONE")
    from ilp.licensing.services.eula import order_eula_accept

    order_eula_accept(actor=Actor.system(), order=done)
    html = staff_client.get("/admin/licensing/order/").content.decode()
    assert "waits for acceptance" in html and "accepted: version sample-1, system" in html
    pending = staff_client.get("/admin/licensing/order/", {"eula": "pending"})
    assert [o.order_number for o in pending.context["cl"].result_list] == ["SO-WAIT"]
    accepted = staff_client.get("/admin/licensing/order/", {"eula": "accepted"})
    assert [o.order_number for o in accepted.context["cl"].result_list] == ["SO-DONE"]
    packs = staff_client.get("/admin/licensing/productpack/", {"eula": "pending"})
    assert [p.order.order_number for p in packs.context["cl"].result_list] == ["SO-WAIT"]


def test_staff_add_eula_versions_but_never_change_a_saved_one(staff_client):
    vendor = Eula.objects.get(kind="vendor")
    url = f"/admin/licensing/eula/{vendor.pk}/change/"
    page = staff_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "SAMPLE END USER LICENSE AGREEMENT" in html
    assert 'name="versions-0-text"' not in html  # the saved version is read-only
    response = staff_client.post(
        url,
        {
            "slug": "vendor",
            "title": "End User License Agreement",
            "kind": "vendor",
            "versions-TOTAL_FORMS": "1",
            "versions-INITIAL_FORMS": "1",
            "versions-MIN_NUM_FORMS": "0",
            "versions-MAX_NUM_FORMS": "1000",
            "versions-0-id": str(vendor.versions.get().pk),
            "versions-0-eula": str(vendor.pk),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert vendor.versions.count() == 1
    # Adding one.
    response = staff_client.post(
        url,
        {
            "slug": "vendor",
            "title": "End User License Agreement",
            "kind": "vendor",
            "versions-TOTAL_FORMS": "2",
            "versions-INITIAL_FORMS": "1",
            "versions-MIN_NUM_FORMS": "0",
            "versions-MAX_NUM_FORMS": "1000",
            "versions-0-id": str(vendor.versions.get().pk),
            "versions-0-eula": str(vendor.pk),
            "versions-1-eula": str(vendor.pk),
            "versions-1-version": "2027-1",
            "versions-1-published_on": today().isoformat(),
            "versions-1-text": "The real text.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert vendor.version_current().version == "2027-1"
    assert vendor.versions.get(version="sample-1").text.startswith("SAMPLE")
    assert staff_client.get("/admin/licensing/eula/").status_code == 200
    # A second vendor EULA is refused (orders carry "the" vendor EULA).
    response = staff_client.post(
        "/admin/licensing/eula/add/",
        {
            "slug": "vendor-2",
            "title": "Another",
            "kind": "vendor",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
            "versions-MIN_NUM_FORMS": "0",
            "versions-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 200 and Eula.objects.filter(kind="vendor").count() == 1
