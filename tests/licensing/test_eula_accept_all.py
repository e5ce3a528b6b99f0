"""`POST /companies/{gaid}/eula/accept-all` (API.md, third round): every EULA the company waits
for, vendor and third-party, in one call; the portal's "Accept all" on the dashboard and the
orders list, with a confirmation naming what it accepts."""

import datetime

import pytest

from ilp.audit.models import AuditEvent
from ilp.licensing.models import Eula, EulaVersion, Order, Product, ProductPack
from tests.licensing.test_eula import new_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def third_party():
    """ICG carries a third-party EULA."""
    eula = Eula.objects.create(slug="relay", title="Relay terms", kind=Eula.Kind.THIRD_PARTY)
    EulaVersion.objects.create(
        eula=eula, version="r1", text="Relay text", published_on=datetime.date(2020, 1, 1)
    )
    Product.objects.filter(sku="ICG").update(third_party_eula=eula)
    return eula


def test_accept_all_accepts_every_order_and_third_party_eula(
    admin_api,
    company,
    third_party,
):
    new_order(company, "SO-1", items=(("WE", 10),))
    new_order(company, "SO-2", items=(("ICG", 10),))
    icg = ProductPack.objects.get(product__sku="ICG")
    answer = admin_api.post(f"/companies/{company.gaid}/eula/accept-all", {})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["accepted"] == ["SO-1", "SO-2"]
    assert sorted(body["packs"]) == sorted(ProductPack.objects.values_list("pack_id", flat=True))
    assert icg.pack_id in body["packs"]
    assert not Order.objects.filter(eula_accepted_at__isnull=True).exists()
    icg.refresh_from_db()
    assert icg.third_party_eula_accepted_at is not None
    # One audit event per acceptance, as one by one: two orders and the ICG pack.
    assert AuditEvent.objects.filter(action="eula.accepted").count() == 3
    again = admin_api.post(f"/companies/{company.gaid}/eula/accept-all", {})
    assert again.json() == {"accepted": [], "packs": []}


def test_accept_all_takes_the_third_party_eula_of_an_accepted_order(
    admin_api, company, third_party
):
    new_order(company, "SO-1", items=(("ICG", 10),))
    assert admin_api.post(f"/companies/{company.gaid}/orders/SO-1/eula", {}).status_code == 200
    body = admin_api.post(f"/companies/{company.gaid}/eula/accept-all", {}).json()
    assert body["accepted"] == []
    assert body["packs"] == [ProductPack.objects.get().pack_id]


def test_accept_all_is_for_administrators_and_service_providers(
    sp_api, user_api, outsider_api, company
):
    new_order(company, "SO-1")
    url = f"/companies/{company.gaid}/eula/accept-all"
    assert user_api.post(url, {}).status_code == 403
    assert outsider_api.post(url, {}).status_code == 404
    assert sp_api.post(url, {}).json()["accepted"] == ["SO-1"]


def test_accept_all_accepts_nothing_when_one_eula_has_no_version_in_force(admin_api, company):
    new_order(company, "SO-1")
    eula = Eula.objects.create(slug="late", title="Late", kind=Eula.Kind.THIRD_PARTY)
    pack = ProductPack.objects.first()
    ProductPack.objects.filter(pk=pack.pk).update(third_party_eula=eula)
    answer = admin_api.post(f"/companies/{company.gaid}/eula/accept-all", {})
    assert answer.status_code == 409
    assert answer.json()["code"] == "eula_unavailable"
    assert Order.objects.get().eula_accepted_at is None
    assert not EulaVersion.objects.filter(eula=eula).exists()
