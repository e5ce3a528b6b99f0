"""The back office's pages under /staff/: each for its role, the forms, the CSV downloads,
and a company's portal pages read as vendor staff (banner, no way to change)."""

import datetime

import pytest
from django.test import Client

from ilp.accounts.models import StaffMember
from ilp.licensing.models import Eula, Product
from ilp.notifications.models import OutboxMail
from tests.accounts.factories import make_company, make_staff_user, make_user
from tests.backoffice.conftest import order_body
from tests.licensing.factories import make_key

pytestmark = pytest.mark.django_db

PAGES = ["/staff/", "/staff/orders/", "/staff/catalogue/", "/staff/reports/"]
ADMIN_PAGES = ["/staff/staff/"]


def signed_in(role="support", email=None) -> Client:
    client = Client()
    client.force_login(make_staff_user(email or f"{role}@vendor.test", role=role))
    return client


@pytest.fixture
def world(db, staff_as):
    company = make_company(name="Harbour Freight GmbH", city="Hamburg")
    make_user("boss@harbour.test", company=company, role="administrator")
    contact = {"email": "cora@harbour.test", "first_name": "Cora", "last_name": "Contact"}
    response = staff_as("operator").post(
        "/orders", order_body("SO-H1", gaid=company.gaid, contact=contact)
    )
    assert response.status_code == 201
    return company


@pytest.mark.parametrize("url", PAGES)
def test_every_page_opens_for_support_with_the_search_box(url, world):
    response = signed_in().get(url)
    assert response.status_code == 200, url
    assert b'id="staff-q"' in response.content


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_staff_pages_are_for_staff_administrators(url, world):
    assert signed_in("operator").get(url).status_code == 403
    assert signed_in("staff_admin").get(url).status_code == 200


def test_search_page_lists_hits_with_links(world):
    response = signed_in().get("/staff/", {"q": "harbour fr"})
    page = response.content.decode()
    assert f"/staff/companies/{world.gaid}/" in page and "Harbour Freight GmbH" in page
    response = signed_in("support", "s2@vendor.test").get("/staff/", {"q": "SO-H1"})
    assert "/staff/orders/SO-H1/" in response.content.decode()


def test_company_page_counts_and_leads_into_the_portal(world):
    response = signed_in().get(f"/staff/companies/{world.gaid}/")
    page = response.content.decode()
    assert response.status_code == 200 and "boss@harbour.test" in page and "SO-H1" in page
    assert f'href="/companies/{world.gaid}/' in page
    assert (
        signed_in("support", "x@vendor.test").get("/staff/companies/GA00000000/").status_code == 404
    )


def test_a_company_s_portal_as_vendor_staff_shows_the_banner_and_no_buttons(world):
    client = signed_in()
    response = client.get(f"/companies/{world.gaid}/manage/", follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Viewing as vendor staff" in page
    assert 'id="invite-email"' not in page  # no invitation form
    response = client.post(f"/companies/{world.gaid}/manage/", {"name": "Hacked"})
    assert response.status_code == 403


def test_order_page_reads_the_contact_outcome_items_packs_and_mails(world):
    page = signed_in().get("/staff/orders/SO-H1/").content.decode()
    assert "cora@harbour.test" in page
    assert "became the company" in page or "administrators" in page
    assert "10 × " not in page  # items in a table, not "10: 25 × 1"
    assert "WE-" in page
    assert OutboxMail.objects.filter(about="order:SO-H1").exists()
    assert "Waiting" in page or "Delivered" in page


def test_orders_page_filters(world, django_assert_max_num_queries):
    client = signed_in()
    with django_assert_max_num_queries(12):
        page = client.get("/staff/orders/", {"order_q": "harbour"}).content.decode()
    assert "SO-H1" in page
    assert (
        "SO-H1"
        not in client.get("/staff/orders/", {"status": "awaiting_redemption"}).content.decode()
    )


def test_catalogue_forms_for_staff_administrators(world):
    admin = signed_in("staff_admin")
    response = admin.post(
        "/staff/catalogue/products/",
        {
            "sku": "KIO",
            "name": "Kiosk",
            "pack_prefix": "KIO",
            "seat_multiple": 1,
            "term": "perpetual",
        },
    )
    assert response.status_code == 302 and Product.objects.filter(sku="KIO").exists()
    response = admin.post(
        "/staff/catalogue/products/",
        {
            "sku": "KIO",
            "name": "Kiosk",
            "pack_prefix": "KIX",
            "seat_multiple": 1,
            "term": "perpetual",
        },
    )
    assert response.status_code == 422 and "is taken" in response.content.decode()
    response = admin.post(
        "/staff/catalogue/products/KIO/",
        {"name": "Kiosk 2", "pack_prefix": "KIO", "seat_multiple": 2},
    )
    assert response.status_code == 302 and Product.objects.get(sku="KIO").seat_multiple == 2
    response = admin.post(
        "/staff/catalogue/eulas/",
        {"kind": "vendor", "version": "2027-02", "text": "Terms."},
        follow=True,
    )
    assert "2027-02" in response.content.decode()
    assert Eula.objects.get(kind="vendor").version_current().version == "2027-02"
    # Support reads the catalogue but gets no form, and a POST is refused.
    support = signed_in("support", "s3@vendor.test")
    assert b"Publish a new EULA version" not in support.get("/staff/catalogue/").content
    assert (
        support.post(
            "/staff/catalogue/eulas/", {"kind": "vendor", "version": "x", "text": "y"}
        ).status_code
        == 403
    )


def test_reports_page_and_its_csv_downloads(world):
    soon = make_company(name="Soon AG")
    make_key(
        soon, packs=[("EMP", 4)], expires_on=datetime.date.today() + datetime.timedelta(days=10)
    )
    client = signed_in()
    page = client.get("/staff/reports/").content.decode()
    assert "Soon AG" in page
    response = client.get("/staff/reports/", {"within_days": "30", "download": "renewals"})
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0] == "gaid,company,subscription_key,product,seats,expires_on"
    assert "Soon AG" in text
    response = client.get("/staff/reports/", {"download": "seats"})
    assert b"".join(response.streaming_content).decode("utf-8-sig").startswith("product,")


def test_staff_and_token_forms(world):
    admin = signed_in("staff_admin")
    response = admin.post("/staff/staff/users/", {"email": "new@vendor.test", "role": "operator"})
    assert response.status_code == 302
    member = StaffMember.objects.get(user__email="new@vendor.test")
    assert (
        admin.post(f"/staff/staff/users/{member.pk}/role/", {"role": "support"}).status_code == 302
    )
    member.refresh_from_db()
    assert member.role == "support"
    assert admin.post(f"/staff/staff/users/{member.pk}/remove/").status_code == 302
    assert not StaffMember.objects.filter(pk=member.pk).exists()
    response = admin.post("/staff/staff/tokens/", {"name": "erp-2", "role": "operator"})
    assert response.status_code == 302
    page = admin.get("/staff/staff/").content.decode()
    assert "ilps_" in page  # shown once
    assert "ilps_" not in admin.get("/staff/staff/").content.decode()


def test_the_audit_log_of_the_company_shows_staff_reading_nothing_changed(world):
    # Reading changes nothing, so it writes no event.
    from ilp.audit.models import AuditEvent

    before = AuditEvent.objects.filter(company=world).count()
    signed_in().get(f"/companies/{world.gaid}/audit/")
    assert AuditEvent.objects.filter(company=world).count() == before
