"""Fleet views (API.md "Fleet views and exports"): the devices list, its filters, paging,
query count, CSV export and tenancy; the Devices page."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from ilp.core.csv_export import csv_cell
from ilp.licensing.models import Product
from ilp.rollout.api import devices as rollout_api
from tests.accounts.factories import PASSWORD, make_company
from tests.licensing.factories import make_key
from tests.rollout.factories import issue, make_ums

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet(company):
    """Two UMS, two products: 5 WE devices on Berlin, 2 of them also EMP, 1 WE on Bremen."""
    key = make_key(company, packs=[("WE", 10), ("EMP", 10)])
    we = key.product_packs.get(product__sku="WE")
    emp = key.product_packs.get(product__sku="EMP")
    we_bremen = make_key(company, packs=[("WE", 10)]).product_packs.get()
    berlin, _ = make_ums(company, name="Berlin", packs=[we, emp])
    bremen, _ = make_ums(company, name="Bremen", packs=[we_bremen])
    issue(berlin, "WE", *[f"00E0C5AA000{i}" for i in range(1, 6)])
    issue(berlin, "EMP", "00E0C5AA0001", "00E0C5AA0002")
    issue(bremen, "WE", "00E0C5BB0001")
    return {"we": we, "we_bremen": we_bremen, "emp": emp, "berlin": berlin, "bremen": bremen}


def _devices(api, company, **params):
    response = api.get(f"/companies/{company.gaid}/devices", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_devices_list_groups_licenses_by_device(user_api, company, fleet):
    body = _devices(user_api, company)
    assert body["count"] == 6
    first = body["items"][0]
    assert first["unit_id"] == "00E0C5AA0001"
    assert sorted(lic["product"] for lic in first["licenses"]) == ["EMP", "WE"]
    assert all("token" not in lic for lic in first["licenses"])
    assert first["licenses"][0]["ums_id"] == fleet["berlin"].ums_id


def test_devices_filters(user_api, company, fleet):
    assert _devices(user_api, company, product="emp")["count"] == 2
    assert _devices(user_api, company, pack_id=fleet["emp"].pack_id)["count"] == 2
    assert _devices(user_api, company, ums_id=fleet["bremen"].ums_id)["count"] == 1
    # q is a unit-ID prefix, with any separator and case.
    assert _devices(user_api, company, q="00:e0:c5:bb")["count"] == 1
    assert _devices(user_api, company, q="00E0C5AA")["count"] == 5
    only_emp = _devices(user_api, company, product="EMP")["items"][0]
    assert [lic["product"] for lic in only_emp["licenses"]] == ["EMP"]


def test_devices_paging(user_api, company, fleet):
    page = _devices(user_api, company, limit=2, offset=2)
    assert page["count"] == 6
    assert [d["unit_id"] for d in page["items"]] == ["00E0C5AA0003", "00E0C5AA0004"]


def test_devices_query_count_does_not_grow(user_api, company, fleet, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        small = _devices(user_api, company, limit=2)
    issue(fleet["bremen"], "WE", *[f"00E0C5CC000{i}" for i in range(1, 4)])
    with django_assert_max_num_queries(8):
        big = _devices(user_api, company, limit=100)
    assert len(big["items"]) > len(small["items"])


def test_devices_tenancy(outsider_api, company, fleet):
    assert outsider_api.get(f"/companies/{company.gaid}/devices").status_code == 404
    assert outsider_api.get(f"/companies/{company.gaid}/devices?format=csv").status_code == 404


def test_other_company_devices_are_not_listed(user_api, company, fleet):
    other = make_company("Other GmbH")
    key = make_key(other, packs=[("WE", 5)])
    theirs, _ = make_ums(other, packs=[key.product_packs.get()])
    issue(theirs, "WE", "00E0C5DD0001")
    assert _devices(user_api, company, q="00E0C5DD")["count"] == 0


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_devices_csv_has_every_row(user_api, company, fleet):
    response = user_api.get(f"/companies/{company.gaid}/devices?format=csv&limit=1")
    assert response.status_code == 200
    rows = _csv(response)
    assert rows[0][:4] == ["unit_id", "product", "pack_id", "ums_id"]
    assert len(rows) == 1 + 8  # every license, not one page
    last = ["00E0C5BB0001", "WE", fleet["we_bremen"].pack_id, fleet["bremen"].ums_id]
    assert rows[-1][:4] == last


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Acme", "Acme"),
        (-5, "-5"),
        (None, ""),
    ],
)
def test_formula_cells_are_escaped(value, cell):
    assert csv_cell(value) == cell


def test_devices_page(company, fleet, admin_user, django_assert_max_num_queries):
    client = Client()
    assert client.login(email=admin_user.email, password=PASSWORD)
    url = reverse("rollout:devices", kwargs={"gaid": company.gaid})
    with django_assert_max_num_queries(20):
        response = client.get(url)
    assert response.status_code == 200
    text = response.content.decode()
    assert "00E0C5AA0001" in text and "00E0C5BB0001" in text
    assert fleet["emp"].pack_id in text
    filtered = client.get(url, {"ums_id": fleet["bremen"].ums_id}).content.decode()
    assert "00E0C5BB0001" in filtered and "00E0C5AA0001" not in filtered
    export = client.get(url, {"format": "csv", "product": "EMP"})
    assert len(_csv(export)) == 1 + 2


def test_devices_page_is_company_scoped(company, fleet):
    other = make_company("Other GmbH")
    from tests.accounts.factories import make_user

    make_user("x@other.test", company=other, role="administrator")
    client = Client()
    assert client.login(email="x@other.test", password=PASSWORD)
    url = reverse("rollout:devices", kwargs={"gaid": company.gaid})
    assert client.get(url).status_code == 404
    assert client.get(url + "?format=csv").status_code == 404
    assert Product.objects.filter(sku="EMP").exists()


def test_devices_count_is_capped_past_the_offset_and_paging_still_reaches_every_device(
    user_api, company, fleet, monkeypatch
):
    """Issue 14: the count reads at most `cap` devices past the offset; beyond, it says so
    (`count_capped`), and a client paging while `offset < count` still gets every device."""
    monkeypatch.setattr(rollout_api, "DEVICES_COUNT_CAP", 3)
    first = _devices(user_api, company, limit=2)
    assert (first["count"], first["count_capped"]) == (3, True)
    assert (_devices(user_api, company, limit=2, offset=2)["count"]) == 5
    last = _devices(user_api, company, limit=2, offset=4)
    assert (last["count"], last["count_capped"]) == (6, False)
    seen, offset, count = [], 0, 1
    while offset < count:
        page = _devices(user_api, company, limit=2, offset=offset)
        seen += [d["unit_id"] for d in page["items"]]
        offset, count = offset + 2, page["count"]
    assert len(seen) == 6 == len(set(seen))
    assert _devices(user_api, company, product="EMP")["count_capped"] is False
    monkeypatch.setattr(rollout_api, "DEVICES_COUNT_CAP", 10_000)
    assert _devices(user_api, company) | {"items": []} == {
        "items": [],
        "count": 6,
        "count_capped": False,
    }
