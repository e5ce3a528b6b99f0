"""EULA acceptance (rule 20): once per order, from the order or any of its packs; per pack
for a product with a third-party EULA. Through the API, as API.md describes it."""

import datetime

import pytest

from ilp.audit.models import AuditEvent
from ilp.core.actors import Actor
from ilp.licensing.models import Eula, EulaVersion, Order, Product, ProductPack
from ilp.licensing.services.orders import order_create
from ilp.notifications.models import OutboxMail
from tests.licensing.factories import make_key

pytestmark = pytest.mark.django_db


def today() -> datetime.date:
    """Today, read when a test runs (a module constant goes stale across midnight)."""
    return datetime.date.today()


def new_order(company, number="SO-1", items=(("WE", 10), ("EMP", 5)), **fields):
    order, _created = order_create(
        actor=Actor.system(),
        order_number=number,
        kind=fields.pop("kind", "new"),
        invoice_date=fields.pop("invoice_date", today() - datetime.timedelta(days=5)),
        end_customer={"gaid": company.gaid},
        items=[{"product": sku, "seats": seats, "term_months": 12} for sku, seats in items],
        **fields,
    )
    return order


@pytest.fixture
def third_party():
    """ICG carries a third-party EULA from now on."""
    eula = Eula.objects.create(slug="relay", title="Relay terms", kind=Eula.Kind.THIRD_PARTY)
    EulaVersion.objects.create(
        eula=eula, version="r1", text="Relay text", published_on=datetime.date(2020, 1, 1)
    )
    Product.objects.filter(sku="ICG").update(third_party_eula=eula)
    return eula


def packs_of(admin_api, company, order_number):
    body = admin_api.get(f"/companies/{company.gaid}/orders/{order_number}").json()
    return body, {p["product"]: p for p in body["product_packs"]}


def test_a_new_order_waits_for_its_eula(admin_api, company):
    new_order(company)
    body, packs = packs_of(admin_api, company, "SO-1")
    assert body["eula_accepted"] is False and body["eula_version"] is None
    assert not any(p["eula_accepted"] for p in packs.values())
    pending = admin_api.get(f"/companies/{company.gaid}/orders", {"eula": "pending"}).json()
    assert [o["order_number"] for o in pending["items"]] == ["SO-1"]
    listed = admin_api.get(f"/companies/{company.gaid}/product-packs", {"eula_accepted": False})
    assert listed.json()["count"] == 2


def test_accepting_an_order_answers_the_record_and_again_the_same(admin_api, sp_api, company):
    new_order(company)
    url = f"/companies/{company.gaid}/orders/SO-1/eula"
    first = admin_api.post(url, {})
    assert first.status_code == 200, first.content
    record = first.json()
    assert set(record) == {"order_number", "eula_version", "accepted_at", "accepted_by"}
    assert record["order_number"] == "SO-1" and record["eula_version"] == "sample-1"
    assert record["accepted_by"] == "admin@acme.test" and record["accepted_at"].endswith("Z")
    again = sp_api.post(url, {})
    assert again.status_code == 200 and again.json() == record
    # One audit event: who, when, which version.
    (event,) = AuditEvent.objects.filter(action="eula.accepted")
    assert (event.object_type, event.object_id, event.actor_label) == (
        "order",
        "SO-1",
        "admin@acme.test",
    )
    assert event.after["eula_version"] == "sample-1" and len(event.after["product_packs"]) == 2
    body, packs = packs_of(admin_api, company, "SO-1")
    assert body["eula_accepted"] is True and body["eula_version"] == "sample-1"
    assert all(p["eula_accepted"] for p in packs.values())
    assert (
        admin_api.get(f"/companies/{company.gaid}/orders", {"eula": "pending"}).json()["count"] == 0
    )


def test_the_staff_view_shows_the_eula_state(staff_api, admin_api, company):
    new_order(company)
    assert staff_api.get("/orders/SO-1").json()["eula_accepted"] is False
    admin_api.post(f"/companies/{company.gaid}/orders/SO-1/eula", {})
    seen = staff_api.get("/orders/SO-1").json()
    assert seen["eula_accepted"] is True and seen["eula_accepted_by"] == "admin@acme.test"
    assert all(p["eula_accepted"] for p in seen["product_packs"])


def test_accepting_from_one_pack_covers_the_whole_order(admin_api, company):
    order = new_order(company)
    we, emp = order.product_packs.order_by("product__sku").reverse()
    response = admin_api.post(f"/companies/{company.gaid}/product-packs/{we.pack_id}/eula")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["product_pack"]["id"] == we.pack_id and body["product_pack"]["eula_accepted"]
    assert body["order"]["order_number"] == "SO-1" and body["third_party"] is None
    emp = admin_api.get(f"/companies/{company.gaid}/product-packs/{emp.pack_id}").json()
    assert emp["eula_accepted"] is True
    assert Order.objects.get(order_number="SO-1").eula_accepted_by == "admin@acme.test"


def test_a_third_party_eula_is_accepted_per_pack(admin_api, company, third_party):
    order = new_order(company, items=(("WE", 10), ("ICG", 20), ("ICG", 10)))
    url = f"/companies/{company.gaid}"
    assert admin_api.post(f"{url}/orders/SO-1/eula", {}).status_code == 200
    _body, _packs = packs_of(admin_api, company, "SO-1")
    packs = {p.pk: p for p in order.product_packs.all()}
    seen = {
        p["id"]: p["eula_accepted"] for p in admin_api.get(f"{url}/product-packs").json()["items"]
    }
    icg_a, icg_b = sorted((p for p in packs.values() if p.product.sku == "ICG"), key=lambda p: p.pk)
    we = next(p for p in packs.values() if p.product.sku == "WE")
    assert seen == {we.pack_id: True, icg_a.pack_id: False, icg_b.pack_id: False}
    # The order still waits: for the third-party EULA of its Cloud Gateway packs.
    body = admin_api.get(f"{url}/orders", {"eula": "pending"}).json()
    assert [o["order_number"] for o in body["items"]] == ["SO-1"]
    assert body["items"][0]["eula_accepted"] is True  # the order's own (vendor) EULA

    response = admin_api.post(f"{url}/product-packs/{icg_a.pack_id}/eula", {})
    assert response.status_code == 200, response.content
    third = response.json()["third_party"]
    assert third["eula"] == "Relay terms" and third["eula_version"] == "r1"
    assert third["accepted_by"] == "admin@acme.test"
    assert admin_api.get(f"{url}/product-packs/{icg_a.pack_id}").json()["eula_accepted"]
    assert not admin_api.get(f"{url}/product-packs/{icg_b.pack_id}").json()["eula_accepted"]
    event = AuditEvent.objects.get(action="eula.accepted", object_type="product_pack")
    assert event.object_id == icg_a.pack_id and event.after["third_party"] is True
    # Again: the same record, no second event.
    again = admin_api.post(f"{url}/product-packs/{icg_a.pack_id}/eula", {})
    assert again.json()["third_party"] == third
    assert AuditEvent.objects.filter(action="eula.accepted").count() == 2


def test_a_split_pack_keeps_its_eula_state(admin_api, company, third_party):
    order = new_order(company, items=(("ICG", 30),))
    admin_api.post(f"/companies/{company.gaid}/orders/SO-1/eula", {})
    pack = order.product_packs.get()
    split = admin_api.post(
        f"/companies/{company.gaid}/product-packs/{pack.pack_id}/split", {"seats": 10}
    )
    assert split.status_code == 201 and split.json()["created"]["eula_accepted"] is False
    admin_api.post(f"/companies/{company.gaid}/product-packs/{pack.pack_id}/eula", {})
    again = admin_api.post(
        f"/companies/{company.gaid}/product-packs/{pack.pack_id}/split", {"seats": 10}
    )
    assert again.json()["created"]["eula_accepted"] is True  # copied from the accepted source


def test_a_pending_pack_does_not_merge(admin_api, company):
    order = new_order(company, items=(("WE", 10), ("WE", 5)))
    ids = list(order.product_packs.order_by("pk").values_list("pack_id", flat=True))
    url = f"/companies/{company.gaid}/product-packs/merge"
    refused = admin_api.post(url, {"product_packs": ids})
    assert refused.status_code == 409 and refused.json()["code"] == "pack_not_mergeable"
    assert "EULA" in refused.json()["detail"]
    admin_api.post(f"/companies/{company.gaid}/orders/SO-1/eula", {})
    assert admin_api.post(url, {"product_packs": ids}).status_code == 200


def test_the_version_read_must_still_be_in_force(admin_api, company):
    new_order(company)
    url = f"/companies/{company.gaid}/orders/SO-1/eula"
    vendor = Eula.objects.get(kind="vendor")
    EulaVersion.objects.create(eula=vendor, version="2026-2", text="New text", published_on=today())
    outdated = admin_api.post(url, {"eula_version": "sample-1"})
    assert outdated.status_code == 409 and outdated.json()["code"] == "eula_version_outdated"
    response = admin_api.post(url, {"eula_version": "2026-2"})
    assert response.status_code == 200 and response.json()["eula_version"] == "2026-2"


def test_no_version_in_force_means_nothing_to_accept_and_a_clear_409(admin_api, company):
    EulaVersion.objects.update(published_on=today() + datetime.timedelta(days=30))
    order = new_order(company)
    # Delivered while no version was in force: it carries none, its packs issue.
    assert order.eula_id is None and not order.eula_pending
    assert all(p.eula_accepted for p in order.product_packs.all())
    response = admin_api.post(f"/companies/{company.gaid}/orders/SO-1/eula", {})
    assert response.status_code == 409 and response.json()["code"] == "eula_unavailable"


def test_bad_input_is_a_problem_never_a_500(admin_api, user_api, outsider_api, company):
    new_order(company)
    url = f"/companies/{company.gaid}/orders/SO-1/eula"
    assert admin_api.post(f"/companies/{company.gaid}/orders/NOPE/eula", {}).status_code == 404
    assert admin_api.post(url, "{not json").status_code == 400
    too_long = admin_api.post(url, {"eula_version": "x" * 40})
    assert too_long.status_code == 422
    assert user_api.post(url, {}).status_code == 403
    assert outsider_api.post(url, {}).status_code == 404
    assert admin_api.post(url).status_code == 200  # no body at all is fine
    pack_url = f"/companies/{company.gaid}/product-packs/WE-NOPE0/eula"
    assert admin_api.post(pack_url, {}).status_code == 404


def test_the_new_key_mail_says_that_the_eula_waits(staff_api, company, admin_user):
    response = staff_api.post(
        "/orders",
        {
            "order_number": "SO-MAIL",
            "kind": "new",
            "invoice_date": today().isoformat(),
            "end_customer": {"gaid": company.gaid},
            "items": [{"product": "WE", "seats": 3, "term_months": 12}],
        },
    )
    assert response.status_code == 201
    mail = OutboxMail.objects.get(template="new_subscription_key")
    assert "End User License Agreement (EULA)" in mail.body_text
    assert f"/companies/{company.gaid}/orders/SO-MAIL/" in mail.body_text


def test_packs_from_before_eulas_were_tracked_need_nothing(admin_api, company):
    pack = make_key(company).product_packs.get()
    assert pack.order is None and pack.eula_accepted
    assert ProductPack.objects.eula_pending().count() == 0
