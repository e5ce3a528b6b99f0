"""Remove hardware in bulk (API.md, third round): `POST /companies/{gaid}/devices/remove`,
the devices list's multi-select "Remove", and the split page's device search."""

import pytest
from django.test import Client

from ilp.audit.models import AuditEvent
from ilp.licensing.models import ProductPack
from ilp.rollout.models import DeviceLicense
from tests.accounts.factories import make_company, make_user
from tests.licensing.factories import make_key
from tests.rollout.factories import issue, make_ums

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet(company):
    key = make_key(company, packs=[("WE", 10), ("EMP", 10)])
    we = key.product_packs.get(product__sku="WE")
    emp = key.product_packs.get(product__sku="EMP")
    ums, _ = make_ums(company, name="Berlin", packs=[we, emp])
    issue(ums, "WE", "00E0C5AA0001", "00E0C5AA0002", "00E0C5AA0003")
    issue(ums, "EMP", "00E0C5AA0001")
    return {"we": we, "emp": emp, "ums": ums}


def active(unit_id):
    return DeviceLicense.objects.filter(unit_id=unit_id, status="active").count()


def test_remove_returns_every_license_of_the_devices(admin_api, company, fleet):
    answer = admin_api.post(
        f"/companies/{company.gaid}/devices/remove",
        {"unit_ids": ["00:e0:c5:aa:00:01", "00-E0-C5-AA-00-02", "00E0C5FFFFFF", "ab-1"]},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json() == {
        "results": [
            {"unit_id": "00E0C5AA0001", "status": "removed"},
            {"unit_id": "00E0C5AA0002", "status": "removed"},
            {"unit_id": "00E0C5FFFFFF", "status": "not_found"},
            {"unit_id": "ab-1", "status": "not_found"},
        ]
    }
    assert active("00E0C5AA0001") == 0 and active("00E0C5AA0002") == 0
    assert active("00E0C5AA0003") == 1
    fleet["we"].refresh_from_db()
    fleet["emp"].refresh_from_db()
    assert (fleet["we"].seats_used, fleet["emp"].seats_used) == (1, 0)
    assert AuditEvent.objects.filter(action="license.returned").count() == 3


def test_remove_of_one_product_keeps_the_others(admin_api, company, fleet):
    answer = admin_api.post(
        f"/companies/{company.gaid}/devices/remove",
        {"unit_ids": ["00E0C5AA0001", "00E0C5AA0002"], "product": "emp"},
    )
    assert [r["status"] for r in answer.json()["results"]] == ["removed", "not_found"]
    assert DeviceLicense.objects.get(unit_id="00E0C5AA0001", status="active").product.sku == "WE"


def test_remove_is_for_administrators_and_service_providers(
    sp_api, user_api, outsider_api, company, fleet
):
    url = f"/companies/{company.gaid}/devices/remove"
    body = {"unit_ids": ["00E0C5AA0003"]}
    assert user_api.post(url, body).status_code == 403
    assert outsider_api.post(url, body).status_code == 404
    assert active("00E0C5AA0003") == 1
    assert sp_api.post(url, body).json()["results"][0]["status"] == "removed"


def test_remove_never_touches_another_companys_device(admin_api, company, fleet):
    other = make_company("Other GmbH")
    pack = make_key(other, packs=[("WE", 10)]).product_packs.get()
    ums, _ = make_ums(other, packs=[pack])
    issue(ums, "WE", "00E0C5CC0001")
    answer = admin_api.post(
        f"/companies/{company.gaid}/devices/remove", {"unit_ids": ["00E0C5CC0001"]}
    )
    assert answer.json()["results"] == [{"unit_id": "00E0C5CC0001", "status": "not_found"}]
    assert active("00E0C5CC0001") == 1


def test_remove_refuses_too_many_and_none(admin_api, company):
    url = f"/companies/{company.gaid}/devices/remove"
    too_many = admin_api.post(url, {"unit_ids": [f"00E0C5{i:06d}" for i in range(1001)]})
    assert too_many.status_code == 422 and too_many.json()["code"] == "too_many_unit_ids"
    assert admin_api.post(url, {"unit_ids": []}).status_code == 422


# --- the pages ---------------------------------------------------------------------------------


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_devices_list_removes_the_ticked_devices(admin_user, company, fleet):
    client = client_for(admin_user)
    url = f"/companies/{company.gaid}/devices/"
    html = client.get(url).content.decode()
    assert 'name="unit_id" value="00E0C5AA0001"' in html
    assert f'action="/companies/{company.gaid}/devices/remove/"' in html
    picked = {"unit_id": ["00E0C5AA0001", "00E0C5AA0003"], "next": url}
    confirm = client.post(f"/companies/{company.gaid}/devices/remove/", picked)
    text = confirm.content.decode()
    assert "Remove these 2 devices?" in text and "EMP" in text  # names what goes
    assert active("00E0C5AA0001") == 2  # nothing yet (WE and EMP)
    done = client.post(
        f"/companies/{company.gaid}/devices/remove/", {**picked, "confirm": "1"}, follow=True
    )
    page = done.content.decode()
    assert "2 devices removed" in page
    assert active("00E0C5AA0001") == 0 and active("00E0C5AA0003") == 0
    assert active("00E0C5AA0002") == 1


def test_a_user_sees_no_remove_in_the_devices_list(company, fleet):
    client = client_for(make_user("reader@acme.test", company=company, role="user"))
    html = client.get(f"/companies/{company.gaid}/devices/").content.decode()
    assert 'name="unit_id"' not in html
    assert (
        client.post(
            f"/companies/{company.gaid}/devices/remove/", {"unit_id": ["00E0C5AA0001"]}
        ).status_code
        == 403
    )


def test_the_split_page_searches_its_devices(admin_user, company, fleet):
    client = client_for(admin_user)
    url = f"/companies/{company.gaid}/packs/{fleet['we'].pack_id}/split/"
    html = client.get(url).content.decode()
    assert "00E0C5AA0001" in html and "00E0C5AA0003" in html
    assert 'type="search"' in html and "hx-get" in html
    found = client.get(url, {"q": "00:e0:c5:aa:00:03"}, headers={"HX-Request": "true"})
    fragment = found.content.decode()
    assert "00E0C5AA0003" in fragment and "00E0C5AA0001" not in fragment
    assert "<html" not in fragment
    # Paged: 50 to a page.
    pack = fleet["we"]
    ProductPack.objects.filter(pk=pack.pk).update(seats=80)
    issue(fleet["ums"], "WE", *[f"00E0C5BB{i:04d}" for i in range(60)])
    first = client.get(url).content.decode()
    assert "00E0C5BB0046" in first and "00E0C5BB0047" not in first
    second = client.get(url, {"page": 2}).content.decode()
    assert "00E0C5BB0059" in second
