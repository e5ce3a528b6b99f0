"""Back office: searchable lists, read-only orders/keys/packs, issuing a delivery token."""

import re

import pytest
from django.test import Client

from ilp.accounts.models import User
from ilp.core.ids import token_hash
from ilp.licensing.models import DeliveryToken
from ilp.licensing.services.delivery_tokens import token_normalize
from tests.licensing.factories import make_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(db):
    user = User.objects.create_superuser("staff@vendor.test", "pw")
    client = Client()
    client.force_login(user)
    return client


def test_lists_are_searchable(staff_client, company, staff_api):
    staff_api.post(
        "/orders",
        {
            "order_number": "SO-ADMIN-1",
            "kind": "new",
            "invoice_date": "2026-11-01",
            "end_customer": {"gaid": company.gaid, "name": "x"},
            "items": [{"product": "WE", "seats": 10, "term_months": 12}],
        },
    )
    key = make_key(company)
    pack = key.product_packs.get()
    for model, term, expect in [
        ("order", company.gaid, "SO-ADMIN-1"),
        ("order", "SO-ADMIN-1", "SO-ADMIN-1"),
        ("subscriptionkey", key.key, key.key),
        ("productpack", pack.pack_id, pack.pack_id),
        ("productpack", key.key, pack.pack_id),
        ("productpack", "SO-ADMIN-1", "WE-"),
        ("product", "ICG", "Cloud Gateway"),
    ]:
        response = staff_client.get(f"/admin/licensing/{model}/", {"q": term})
        assert response.status_code == 200, model
        assert expect in response.content.decode(), (model, term)
    assert staff_client.get(f"/admin/licensing/productpack/{pack.pk}/change/").status_code == 200
    assert staff_client.get("/admin/licensing/order/add/").status_code == 403


def test_issue_delivery_token_shows_it_once(staff_client):
    response = staff_client.post(
        "/admin/licensing/deliverytoken/add/",
        {"order_number": "OLD-7", "invoice_date": "2021-05-04", "items_text": "WE 25 36\nWE-P 5"},
        follow=True,
    )
    assert response.status_code == 200
    html = response.content.decode()
    token = re.search(r"DT(-[0-9A-Z]{5}){5}", html).group(0)
    row = DeliveryToken.objects.get()
    assert row.token_hash == token_hash(token_normalize(token))
    assert row.items == [
        {"product": "WE", "seats": 25, "term_months": 36},
        {"product": "WE-P", "seats": 5, "term_months": 0},
    ]
    assert row.issued_by == "staff@vendor.test"
    detail = staff_client.get(f"/admin/licensing/deliverytoken/{row.pk}/change/").content.decode()
    assert token not in detail


def test_issue_form_reports_bad_items(staff_client):
    response = staff_client.post(
        "/admin/licensing/deliverytoken/add/",
        {"order_number": "OLD-8", "invoice_date": "2021-05-04", "items_text": "ICG 5 12"},
    )
    assert response.status_code == 200
    assert "multiples of 10" in response.content.decode()
    assert not DeliveryToken.objects.exists()
