"""CSV export of product packs (API.md "Fleet views and exports")."""

import csv
import io

import pytest

from tests.licensing.factories import make_key

pytestmark = pytest.mark.django_db


def _rows(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode()[1:])))


def test_packs_csv_has_every_pack_in_api_shape(user_api, company):
    for _ in range(3):
        make_key(company, packs=[("WE", 5), ("EMP", 5)])
    rows = _rows(user_api.get(f"/companies/{company.gaid}/product-packs?format=csv&limit=1"))
    assert rows[0][:5] == ["id", "product", "subscription_key", "seats", "seats_used"]
    assert len(rows) == 1 + 6
    only_emp = _rows(
        user_api.get(f"/companies/{company.gaid}/product-packs?format=csv&product=EMP")
    )
    assert {row[1] for row in only_emp[1:]} == {"EMP"}


def test_packs_csv_escapes_formula_comments(admin_api, company):
    pack = make_key(company, packs=[("WE", 5)]).product_packs.get()
    pack.comment = '=HYPERLINK("http://evil")'
    pack.save(update_fields=["comment"])
    rows = _rows(admin_api.get(f"/companies/{company.gaid}/product-packs?format=csv"))
    comment = rows[0].index("comment")
    assert rows[1][comment] == '\'=HYPERLINK("http://evil")'


@pytest.mark.parametrize("separator", [";", ",", "|", "\t", "\n"])
def test_packs_csv_escapes_a_formula_after_a_separator(admin_api, company, separator):
    pack = make_key(company, packs=[("WE", 5)]).product_packs.get()
    pack.comment = f"ok{separator}=cmd|' /C calc'!A0"
    pack.save(update_fields=["comment"])
    rows = _rows(admin_api.get(f"/companies/{company.gaid}/product-packs?format=csv"))
    comment = rows[0].index("comment")
    assert rows[1][comment] == f"'ok{separator}=cmd|' /C calc'!A0"


def test_packs_csv_is_scoped(outsider_api, company):
    make_key(company, packs=[("WE", 5)])
    assert (
        outsider_api.get(f"/companies/{company.gaid}/product-packs?format=csv").status_code == 404
    )


def test_packs_json_still_paged(user_api, company):
    make_key(company, packs=[("WE", 5), ("EMP", 5)])
    body = user_api.get(f"/companies/{company.gaid}/product-packs?limit=1").json()
    assert body["count"] == 2 and len(body["items"]) == 1


def test_packs_page_exports_csv(company, admin_user):
    from django.test import Client

    make_key(company, packs=[("WE", 5), ("EMP", 5)])
    client = Client()
    client.force_login(admin_user)
    page = client.get(f"/companies/{company.gaid}/packs/").content.decode()
    assert "format=csv" in page
    rows = _rows(client.get(f"/companies/{company.gaid}/packs/?format=csv&product=WE"))
    assert len(rows) == 2 and rows[1][1] == "WE"
