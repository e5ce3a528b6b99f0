"""Rule 20 at the UMS: packs created by an order whose EULA waits issue no device licenses;
packs a renewal extended keep working. Issued through rollout's real service and API."""

import datetime

import pytest

from ilp.core.actors import Actor
from ilp.licensing.models import Eula, EulaVersion, Product, ProductPack
from ilp.licensing.services.eula import order_eula_accept, pack_eula_accept
from ilp.licensing.services.orders import order_create
from ilp.rollout.models import PackAssignment
from ilp.rollout.services import licenses_exchange
from tests.licensing.factories import make_key
from tests.rollout.factories import assign as assign_pack
from tests.rollout.factories import issue, make_ums

pytestmark = pytest.mark.django_db


def today() -> datetime.date:
    """Today, read when a test runs (a module constant goes stale across midnight)."""
    return datetime.date.today()


ADMIN = Actor.system()


@pytest.fixture(autouse=True)
def _signing_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.ILP_SIGNING_KEY = ""


def order(company, number, items, *, kind="new", key=None):
    result, _created = order_create(
        actor=ADMIN,
        order_number=number,
        kind=kind,
        invoice_date=today() - datetime.timedelta(days=10),
        end_customer={"gaid": company.gaid},
        subscription_key=key,
        items=[{"product": sku, "seats": seats, "term_months": 12} for sku, seats in items],
    )
    return result


def assign(ums, *packs):
    for pack in packs:
        if not PackAssignment.objects.filter(pack=pack).exists():
            assign_pack(pack, ums)


def statuses(results):
    return [r.status for r in results]


def test_a_pending_pack_is_skipped_while_an_accepted_one_has_seats(company):
    # The pending pack is the older one, so rule 12 alone would pick it first.
    pending = order(company, "SO-P", [("WE", 5)]).product_packs.get()
    accepted = make_key(company, packs=[("WE", 2)]).product_packs.get()
    ums, _credential = make_ums(company)
    assign(ums, pending, accepted)
    first = issue(ums, "WE", "00E0C5000001", "00E0C5000002")
    assert statuses(first) == ["issued", "issued"]
    assert {r.license.pack_id for r in first} == {accepted.pk}
    # The accepted pack is full: the next device could be served only by the pending one.
    assert statuses(issue(ums, "WE", "00E0C5000003")) == ["eula_not_accepted"]
    pending.refresh_from_db()
    assert pending.seats_used == 0

    order_eula_accept(actor=ADMIN, order=pending.order)
    (result,) = issue(ums, "WE", "00E0C5000003")
    assert result.status == "issued" and result.license.pack_id == pending.pk


def test_no_free_seat_when_no_pack_at_all_could_serve(company):
    pack = make_key(company, packs=[("WE", 1)]).product_packs.get()
    ums, _credential = make_ums(company, packs=[pack])
    assert statuses(issue(ums, "WE", "00E0C5000001", "00E0C5000002")) == [
        "issued",
        "no_free_seat",
    ]
    # A pending pack that is full itself changes nothing: still no free seat.
    pending = order(company, "SO-P", [("WE", 1)]).product_packs.get()
    ProductPack.objects.filter(pk=pending.pk).update(seats_used=1)
    assign(ums, pending)
    assert statuses(issue(ums, "WE", "00E0C5000002")) == ["no_free_seat"]


def test_the_ums_api_answers_eula_not_accepted_then_issues_after_acceptance(company, admin_api):
    pending = order(company, "SO-API", [("WE", 3)]).product_packs.get()
    ums, credential = make_ums(company, packs=[pending])
    from tests.conftest import ApiClient

    ums_api = ApiClient(credential)
    body = {"product": "WE", "unit_ids": ["00:E0:C5:00:00:01", "bad"]}
    response = ums_api.post("/ums/licenses", body)
    assert response.status_code == 200, response.content
    assert [(r["unit_id"], r["status"]) for r in response.json()["results"]] == [
        ("00E0C5000001", "eula_not_accepted"),
        ("bad", "invalid_unit_id"),
    ]
    listed = ums_api.get("/ums/product-packs").json()["items"]
    assert [p["eula_accepted"] for p in listed] == [False]
    assert admin_api.post(f"/companies/{company.gaid}/orders/SO-API/eula", {}).status_code == 200
    again = ums_api.post("/ums/licenses", body).json()["results"]
    assert again[0]["status"] == "issued" and again[0]["license"]["pack_id"] == pending.pack_id


def test_packs_extended_by_a_renewal_keep_working(company):
    first = order(company, "SO-1", [("WE", 2)])
    order_eula_accept(actor=ADMIN, order=first)
    key = first.subscription_key
    legacy = make_key(company, packs=[("EMP", 1)])  # from before EULAs: no order at all
    renewal = order(company, "SO-R", [("WE", 3)], kind="renewal", key=key.key)
    assert renewal.eula_pending
    ums, _credential = make_ums(company)
    we_packs = list(ProductPack.objects.filter(subscription_key=key).order_by("pk"))
    assign(ums, *we_packs, legacy.product_packs.get())
    original, extra = we_packs
    assert (original.order, extra.order) == (first, renewal)
    # The renewed pack issues; the renewal's extra seat waits for the renewal's EULA.
    assert statuses(issue(ums, "WE", "00E0C5000001", "00E0C5000002", "00E0C5000003")) == [
        "issued",
        "issued",
        "eula_not_accepted",
    ]
    assert statuses(issue(ums, "EMP", "00E0C5000001")) == ["issued"]
    order_eula_accept(actor=ADMIN, order=renewal)
    assert statuses(issue(ums, "WE", "00E0C5000003")) == ["issued"]


def test_a_third_party_eula_gates_its_pack_only(company):
    eula = Eula.objects.create(slug="relay", title="Relay terms", kind=Eula.Kind.THIRD_PARTY)
    EulaVersion.objects.create(
        eula=eula, version="r1", text="…", published_on=datetime.date(2020, 1, 1)
    )
    Product.objects.filter(sku="ICG").update(third_party_eula=eula)
    placed = order(company, "SO-ICG", [("ICG", 10), ("WE", 1)])
    order_eula_accept(actor=ADMIN, order=placed)
    icg = placed.product_packs.get(product__sku="ICG")
    we = placed.product_packs.get(product__sku="WE")
    ums, _credential = make_ums(company, packs=[icg, we])
    assert statuses(issue(ums, "WE", "00E0C5000001")) == ["issued"]
    assert statuses(issue(ums, "ICG", "00E0C5000001")) == ["eula_not_accepted"]
    pack_eula_accept(actor=ADMIN, pack=icg)
    assert statuses(issue(ums, "ICG", "00E0C5000001")) == ["issued"]


def test_automatic_exchange_moves_no_license_onto_a_pack_whose_eula_waits(company):
    old = make_key(company, packs=[("WE", 2)], expires_on=today() + datetime.timedelta(days=3))
    old_pack = old.product_packs.get()
    pending = order(company, "SO-X", [("WE", 5)]).product_packs.get()  # expires much later
    ums, _credential = make_ums(company)
    assign(ums, old_pack, pending)
    assert statuses(issue(ums, "WE", "00E0C5000011", "00E0C5000012")) == ["issued", "issued"]

    assert licenses_exchange(actor=ADMIN, today=today()).moved == 0
    pending.refresh_from_db()
    assert pending.seats_used == 0

    order_eula_accept(actor=ADMIN, order=pending.order)
    assert licenses_exchange(actor=ADMIN, today=today()).moved == 2
    pending.refresh_from_db()
    assert pending.seats_used == 2
