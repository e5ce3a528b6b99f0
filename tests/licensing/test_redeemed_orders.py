"""A redeemed renewal finishes its order (issue 10's defect): `fulfilled`, listing the packs
it renewed, in the staff API, the company API and the order page; and the data migration
that repairs orders redeemed before the fix."""

import importlib

import pytest
from django.apps import apps
from django.test import Client

from ilp.audit.models import AuditEvent
from ilp.licensing.models import Order, Renewal
from tests.licensing.factories import make_key
from tests.licensing.test_renewals import months_add
from tests.licensing.test_renewals_orders import post_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


repair = importlib.import_module(
    "ilp.licensing.migrations.0007_repair_redeemed_renewal_orders"
).repair


def test_a_redeemed_renewal_reads_fulfilled_everywhere(staff_api, admin_api, company):
    key = make_key(company, packs=[("WE", 7), ("WE", 3)])
    keep, drop = key.product_packs.order_by("pk")
    created = post_order(staff_api, company, "R-LESS", "renewal", [("WE", 7)], key=key.key)
    first = created.json()
    assert first["status"] == "awaiting_redemption" and first["product_packs"] == []
    assert staff_api.get("/orders/R-LESS").json()["status"] == "awaiting_redemption"

    redeem = admin_api.post(
        f"/companies/{company.gaid}/renewals/R-LESS/redeem", {"product_packs": [keep.pack_id]}
    )
    assert redeem.status_code == 200, redeem.content
    new_expiry = months_add(key.expires_on, 12).isoformat()

    staff = staff_api.get("/orders/R-LESS").json()
    assert staff["status"] == "fulfilled"
    assert [(p["id"], p["expires_on"]) for p in staff["product_packs"]] == [
        (keep.pack_id, new_expiry)
    ]
    company_view = admin_api.get(f"/companies/{company.gaid}/orders/R-LESS").json()
    assert company_view["status"] == "fulfilled"
    assert [p["id"] for p in company_view["product_packs"]] == [keep.pack_id]
    listed = admin_api.get(f"/companies/{company.gaid}/orders").json()["items"]
    assert [o["status"] for o in listed if o["order_number"] == "R-LESS"] == ["fulfilled"]
    # A replay still answers the first response (rule 3); the reads are what changed.
    replay = post_order(staff_api, company, "R-LESS", "renewal", [("WE", 7)], key=key.key)
    assert replay.status_code == 200 and replay.json() == first
    event = AuditEvent.objects.get(action="renewal.redeemed")
    assert event.after["order_status"] == "fulfilled"
    assert event.after["product_packs"] == [keep.pack_id]


def test_the_order_page_shows_it_finished(staff_api, admin_api, admin_client, company):
    key = make_key(company, packs=[("WE", 7), ("WE", 3)])
    keep = key.product_packs.order_by("pk").first()
    post_order(staff_api, company, "R-PAGE", "renewal", [("WE", 7)], key=key.key)
    admin_api.post(
        f"/companies/{company.gaid}/renewals/R-PAGE/redeem", {"product_packs": [keep.pack_id]}
    )
    html = admin_client.get(f"/companies/{company.gaid}/orders/R-PAGE/").content.decode()
    assert "Fulfilled" in html and "Awaiting redemption" not in html
    assert keep.pack_id in html


def test_an_order_renewing_two_products_finishes_with_its_last_redemption(
    staff_api, admin_api, company
):
    key = make_key(company, packs=[("WE", 5), ("WE", 5), ("EMP", 4), ("EMP", 2)])
    we, _we2, emp, _emp2 = key.product_packs.order_by("pk")
    post_order(staff_api, company, "R-2", "renewal", [("WE", 5), ("EMP", 4)], key=key.key)
    url = f"/companies/{company.gaid}/renewals/R-2/redeem"
    admin_api.post(url, {"product_packs": [we.pack_id]})
    assert staff_api.get("/orders/R-2").json()["status"] == "awaiting_redemption"
    admin_api.post(url, {"product_packs": [emp.pack_id]})
    seen = staff_api.get("/orders/R-2").json()
    assert seen["status"] == "fulfilled"
    assert {p["id"] for p in seen["product_packs"]} == {we.pack_id, emp.pack_id}


def _as_before_the_fix(order_number: str) -> None:
    """What a redemption left behind before issue 10: no packs recorded, order waiting."""
    Renewal.objects.filter(order__order_number=order_number).update(redeemed_packs=[])
    Order.objects.filter(order_number=order_number).update(status="awaiting_redemption")


def test_the_migration_repairs_orders_redeemed_before(staff_api, admin_api, company):
    key = make_key(company, packs=[("WE", 7), ("WE", 3)])
    keep, _drop = key.product_packs.order_by("pk")
    post_order(staff_api, company, "R-OLD", "renewal", [("WE", 7)], key=key.key)
    admin_api.post(
        f"/companies/{company.gaid}/renewals/R-OLD/redeem", {"product_packs": [keep.pack_id]}
    )
    _as_before_the_fix("R-OLD")
    other = make_key(company, packs=[("EMP", 4), ("EMP", 2)])
    post_order(staff_api, company, "R-WAIT", "renewal", [("EMP", 4)], key=other.key)

    repair(apps, None)

    assert staff_api.get("/orders/R-OLD").json()["status"] == "fulfilled"
    assert [p["id"] for p in staff_api.get("/orders/R-OLD").json()["product_packs"]] == [
        keep.pack_id
    ]
    # One that still waits is left waiting.
    assert Order.objects.get(order_number="R-WAIT").status == "awaiting_redemption"


def test_the_migration_finds_the_packs_without_an_audit_event(staff_api, admin_api, company):
    key = make_key(company, packs=[("WE", 7), ("WE", 3)])
    keep, _drop = key.product_packs.order_by("pk")
    post_order(staff_api, company, "R-OLD", "renewal", [("WE", 7)], key=key.key)
    admin_api.post(
        f"/companies/{company.gaid}/renewals/R-OLD/redeem", {"product_packs": [keep.pack_id]}
    )
    _as_before_the_fix("R-OLD")
    AuditEvent.objects.filter(action="renewal.redeemed").delete()
    repair(apps, None)
    renewal = Renewal.objects.get(order__order_number="R-OLD")
    assert renewal.redeemed_packs == [keep.pack_id]  # the packs expiring on its new expiry
    assert Order.objects.get(order_number="R-OLD").status == "fulfilled"
