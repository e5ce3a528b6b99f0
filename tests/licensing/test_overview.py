"""GET /me/overview and its page: a service provider sees all their companies at once."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from ilp.accounts.models import Membership
from tests.accounts.factories import PASSWORD, make_company, make_user
from tests.accounts.test_two_factor import enable
from tests.conftest import ApiClient, make_user_token
from tests.licensing.factories import make_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner(company):
    other = make_company("Northwind")
    user = make_user("sp@partner.test", company=company, role="service_provider")
    Membership.objects.create(user=user, company=other, role="service_provider")
    soon = timezone.localdate() + datetime.timedelta(days=10)
    make_key(company, packs=[("WE", 10), ("EMP", 5)])
    make_key(other, packs=[("WE", 3)], expires_on=soon)
    make_company("Not mine")  # never listed
    return user, other


def test_overview_lists_every_company_of_the_caller(
    company, partner, django_assert_max_num_queries
):
    user, other = partner
    api = ApiClient(make_user_token(user))
    with django_assert_max_num_queries(10):
        body = api.get("/me/overview").json()
    assert body["count"] == 2 and len(body["items"]) == 2
    by_gaid = {item["gaid"]: item for item in body["items"]}
    assert set(by_gaid) == {company.gaid, other.gaid}
    mine = by_gaid[company.gaid]
    assert mine["role"] == "service_provider"
    assert mine["seats"] == {"EMP": {"seats": 5, "used": 0}, "WE": {"seats": 10, "used": 0}}
    assert mine["expiring_30"] == 0
    assert by_gaid[other.gaid]["expiring_30"] == 1
    assert by_gaid[other.gaid]["seats"] == {"WE": {"seats": 3, "used": 0}}
    for key in ("eula_pending", "renewals_awaiting"):
        assert mine[key] == 0


def test_overview_needs_a_login():
    assert ApiClient(None).get("/me/overview").status_code == 401


def test_overview_page(company, partner):
    user, other = partner
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    html = client.get("/overview/").content.decode()
    assert company.name in html and "Northwind" in html and "Not mine" not in html
    assert "1 pack expires within 30 days" in html
    start = client.get(f"/companies/{company.gaid}/").content.decode()
    assert 'href="/overview/"' in start


def test_overview_hides_the_figures_of_a_company_requiring_two_factor(
    company, partner, django_assert_max_num_queries
):
    """Security review, third round: a member without two-factor read the seats of a
    `require_2fa` company through the overview; now only who it is, like its routes."""
    user, other = partner
    other.require_2fa = True
    other.save(update_fields=["require_2fa"])
    api = ApiClient(make_user_token(user))
    with django_assert_max_num_queries(11):
        body = api.get("/me/overview").json()
    by_gaid = {item["gaid"]: item for item in body["items"]}
    assert body["count"] == 2
    assert by_gaid[other.gaid] == {
        "gaid": other.gaid,
        "name": "Northwind",
        "role": "service_provider",
        "two_factor_required": True,
    }
    assert by_gaid[company.gaid]["seats"]["WE"] == {"seats": 10, "used": 0}
    assert by_gaid[company.gaid]["two_factor_required"] is False
    # The same rule as the company's own route.
    assert api.get(f"/companies/{other.gaid}/product-packs").json()["code"] == "two_factor_required"

    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    html = client.get("/overview/").content.decode()
    assert "Northwind requires two-factor sign-in" in html
    assert 'href="/profile/two-factor/?next=%2Foverview%2F"' in html
    assert "1 pack expires within 30 days" not in html

    enable(user)
    body = api.get("/me/overview").json()
    by_gaid = {item["gaid"]: item for item in body["items"]}
    assert by_gaid[other.gaid]["seats"] == {"WE": {"seats": 3, "used": 0}}


def test_overview_pages_like_every_list(company, partner):
    user, _other = partner
    body = ApiClient(make_user_token(user)).get("/me/overview?limit=1&offset=1").json()
    assert body["count"] == 2 and len(body["items"]) == 1
