"""Dead ends of issue 24: an upload's "EULA not accepted" leads to accepting it; "free seats
not assigned" (`not_assigned`) is told apart from `no_free_seat` and leads to assigning; a
UMS without packs assigns its first one in one step."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from ilp.licensing.models import Eula, EulaVersion, ProductPack
from ilp.rollout.models import PackAssignment
from tests.accounts.factories import PASSWORD
from tests.licensing.factories import make_key
from tests.rollout.factories import make_ums

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    assert client.login(email=admin_user.email, password=PASSWORD)
    return client


def upload(client, company, ums, *unit_ids):
    url = reverse("rollout:upload", kwargs={"gaid": company.gaid, "ums_id": ums.ums_id})
    response = client.post(url, {"product": "WE", "unit_ids": "\n".join(unit_ids)})
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def test_eula_not_accepted_links_to_accepting(admin_client, company):
    pack = make_key(company, packs=[("WE", 10)]).product_packs.get()
    eula = Eula.objects.create(slug="relay", title="Relay", kind=Eula.Kind.THIRD_PARTY)
    EulaVersion.objects.create(
        eula=eula, version="1", text="t", published_on=datetime.date(2020, 1, 1)
    )
    ProductPack.objects.filter(pk=pack.pk).update(third_party_eula=eula)
    ums, _ = make_ums(company, packs=[pack])
    html = upload(admin_client, company, ums, "00E0C5000001")
    assert "EULA not accepted" in html
    assert f'href="/companies/{company.gaid}/eula/accept-all/?next=' in html
    assert 'href="#why-eula"' in html  # the row leads to the way out


def test_not_assigned_is_told_apart_and_leads_to_assigning(admin_client, company):
    key = make_key(company, packs=[("WE", 1), ("WE", 10)])
    first, second = key.product_packs.order_by("pk")
    ums, _ = make_ums(company, packs=[first])
    html = upload(admin_client, company, ums, "00E0C5000001", "00E0C5000002")
    assert "free seats not assigned to this UMS" in html
    assert "the company has free seats of this product, but on packs this UMS may not use" in html
    assert f'href="/companies/{company.gaid}/ums/{ums.ums_id}/packs/#assign"' in html
    assert "No free seat: the company has no free seat" not in html
    # With the other pack full too, it is no_free_seat, said differently.
    ProductPack.objects.filter(pk=second.pk).update(seats_used=10)
    html = upload(admin_client, company, ums, "00E0C5000003")
    assert "No free seat: the company has no free seat of this product" in html
    assert "#why-not-assigned" not in html


def test_a_ums_without_packs_assigns_its_first_in_one_step(admin_client, company):
    pack = make_key(company, packs=[("WE", 10)]).product_packs.get()
    ums, _ = make_ums(company, name="New site")
    page = admin_client.get(reverse("rollout:ums_list", kwargs={"gaid": company.gaid}))
    html = page.content.decode()
    assert "No product packs assigned yet." in html
    assert f'id="first-assign-{ums.ums_id}"' in html and f'value="{pack.pack_id}"' in html
    action = reverse("rollout:pack_assign", kwargs={"gaid": company.gaid, "ums_id": ums.ums_id})
    assert admin_client.post(action, {"pack_id": pack.pack_id}).status_code == 302
    assert PackAssignment.objects.filter(ums=ums, pack=pack).exists()
