"""The correction pages under /staff/: each asks for a reason, calls the service, shows the
devices in the way and readable errors; roles decide who sees what."""

import pytest
from django.test import Client

from ilp.accounts.models import Company
from ilp.audit.models import AuditEvent
from ilp.licensing.models import ProductPack, SubscriptionKey
from tests.accounts.factories import make_company, make_staff_user, make_user
from tests.licensing.factories import make_key, make_license
from tests.rollout.corrections_factories import make_order

pytestmark = pytest.mark.django_db


def _client(role="operator") -> Client:
    client = Client()
    client.force_login(make_staff_user(role=role))
    return client


def test_cancel_page_takes_back_chosen_seats_with_a_reason(company):
    order = make_order(company, packs=[("WE", 10)])
    pack = order.product_packs.get()
    client = _client()
    url = f"/staff/orders/{order.order_number}/cancel/"
    page = client.get(url)
    assert page.status_code == 200
    assert pack.pack_id in page.content.decode()

    blank = client.post(url, {f"seats_{pack.pack_id}": "5", "reason": ""})
    assert blank.status_code == 422
    assert ProductPack.objects.get(pk=pack.pk).seats == 10

    done = client.post(url, {f"seats_{pack.pack_id}": "5", "reason": "credit"}, follow=True)
    assert done.status_code == 200
    assert "5 seats of order" in done.content.decode()
    assert ProductPack.objects.get(pk=pack.pk).seats == 5
    assert AuditEvent.objects.get(action="order.partly_cancelled").reason == "credit"


def test_cancel_page_lists_the_devices_in_the_way(company):
    order = make_order(company, packs=[("WE", 2)])
    pack = order.product_packs.get()
    make_license(pack, "00E0C5AAAAAA")
    make_license(pack, "00E0C5BBBBBB")
    client = _client()
    url = f"/staff/orders/{order.order_number}/cancel/"
    blocked = client.post(url, {f"seats_{pack.pack_id}": "1", "reason": "r"})
    assert blocked.status_code == 409
    assert "Devices in the way" in blocked.content.decode()
    done = client.post(
        url, {f"seats_{pack.pack_id}": "1", "reason": "r", "return_licenses": "1"}, follow=True
    )
    assert "device license returned" in done.content.decode()
    pack.refresh_from_db()
    assert (pack.seats, pack.seats_used) == (1, 1)


def test_support_may_resend_but_not_cancel(company):
    order = make_order(company)
    client = _client("support")
    assert client.get(f"/staff/orders/{order.order_number}/cancel/").status_code == 403
    page = client.post(f"/staff/orders/{order.order_number}/resend-contact-mail/", {"reason": "r"})
    assert page.status_code == 422  # no contact mail to send: readable, not a 500
    assert "no contact mail" in page.content.decode()


def test_customers_do_not_find_the_back_office(company):
    order = make_order(company)
    client = Client()
    client.force_login(make_user("admin@acme.test", company=company, role="administrator"))
    assert client.get(f"/staff/orders/{order.order_number}/cancel/").status_code == 404
    assert client.get("/staff/duplicates/").status_code == 404


def test_transfer_page_moves_the_key(company):
    buyer = make_company(name="Buyer AG")
    key = make_key(company, packs=[("WE", 3)])
    client = _client()
    url = f"/staff/subscription-keys/{key.key}/transfer/"
    assert client.get(url).status_code == 200
    wrong = client.post(url, {"to_gaid": "GANOPE", "reason": "r"})
    assert wrong.status_code == 422 and "No company" in wrong.content.decode()
    done = client.post(url, {"to_gaid": buyer.gaid, "reason": "M&A"}, follow=True)
    assert done.status_code == 200
    assert SubscriptionKey.objects.get(pk=key.pk).company_id == buyer.pk


def test_duplicates_page_and_merge_confirmation(company):
    Company.objects.filter(pk=company.pk).update(postal_code="1010")
    twin = make_company(name="ACME  GmbH", postal_code="1010")
    client = _client()
    listed = client.get("/staff/duplicates/")
    assert listed.status_code == 200
    assert f"/staff/companies/{twin.gaid}/merge-into/{company.gaid}/" in listed.content.decode()
    url = f"/staff/companies/{twin.gaid}/merge-into/{company.gaid}/"
    assert client.get(url).status_code == 200
    done = client.post(url, {"reason": "duplicate", "confirm": "1"}, follow=True)
    assert done.status_code == 200
    assert Company.objects.get(pk=twin.pk).merged_into_id == company.pk
    # The old GAID's pages answer 410 for staff, with the way to the target.
    gone = client.get(f"/companies/{twin.gaid}/")
    assert gone.status_code == 410
    assert f"/companies/{company.gaid}/" in gone.content.decode()


def test_support_sees_duplicates_without_merge_buttons(company):
    Company.objects.filter(pk=company.pk).update(postal_code="1010")
    twin = make_company(name="Acme GmbH", postal_code="1010")
    client = _client("support")
    page = client.get("/staff/duplicates/")
    assert page.status_code == 200 and twin.gaid in page.content.decode()
    assert "merge-into" not in page.content.decode()
    assert client.get(f"/staff/companies/{twin.gaid}/merge-into/{company.gaid}/").status_code == 403
