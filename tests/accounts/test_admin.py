"""The back office for people and access keeps the same rules as the portal."""

import re

import pytest
from django.test import Client

from ilp.accounts.models import Company, Membership, StaffToken
from ilp.audit.models import AuditEvent
from tests.accounts.factories import make_company, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(db):
    staff = make_user("staff@vendor.test", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    return client


def test_every_accounts_admin_page_renders(staff_client, admin_user, company):
    for model in ["user", "company", "membership", "invitation", "accessrequest", "apitoken"]:
        assert staff_client.get(f"/admin/accounts/{model}/").status_code == 200, model
    assert staff_client.get(f"/admin/accounts/user/{admin_user.pk}/change/").status_code == 200
    assert staff_client.get(f"/admin/accounts/company/{company.pk}/change/").status_code == 200
    assert staff_client.get("/admin/accounts/stafftoken/add/").status_code == 200


def test_company_search_by_gaid_name_customer_number(staff_client):
    acme = make_company(name="Acme GmbH", customer_number="C-777")
    make_company(name="Other")
    for q in [acme.gaid, "acme", "C-777"]:
        page = staff_client.get("/admin/accounts/company/", {"q": q}).content.decode()
        assert acme.gaid in page and "Other" not in page, q


def test_company_created_in_admin_gets_a_gaid(staff_client):
    r = staff_client.post(
        "/admin/accounts/company/add/",
        {
            "name": "New Co",
            "customer_number": "C-1",
            "country": "DE",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    company = Company.objects.get(name="New Co")
    assert re.fullmatch(r"GA[0-9A-Z]{8}", company.gaid)
    assert AuditEvent.objects.filter(action="company.created", company=company).exists()


def test_staff_token_created_in_admin_is_shown_once(staff_client):
    r = staff_client.post("/admin/accounts/stafftoken/add/", {"name": "erp-feed"}, follow=True)
    page = r.content.decode()
    token = re.search(r"(ilps_[A-Za-z0-9_\-]+)", page).group(1)
    staff = StaffToken.objects.get(name="erp-feed")
    assert token not in staff.token_hash
    # A known staff token on a user route: recognised (403 wrong kind), not unknown (401).
    r = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403 and r.json()["code"] == "wrong_credential_kind"


def test_admin_cannot_delete_the_last_administrator(staff_client, admin_user, company):
    membership = Membership.objects.get(user=admin_user)
    r = staff_client.post(
        f"/admin/accounts/membership/{membership.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert "last administrator" in r.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()
