"""Company search (API.md, third round), the company switcher keeping the kind of page, and
where a person in several companies lands (issue 24)."""

import pytest
from django.test import Client

from ilp.licensing.models import Order
from tests.accounts.factories import add_member, make_company, make_user
from tests.licensing.factories import make_key
from tests.rollout.factories import issue, make_ums

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(company, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.ILP_SIGNING_KEY = ""
    key = make_key(company, packs=[("WE", 10)])
    pack = key.product_packs.get()
    ums, _ = make_ums(company, name="Bremen lab", packs=[pack])
    issue(ums, "WE", "00E0C5AA0001")
    Order.objects.create(
        order_number="SO-4711",
        kind="new",
        invoice_date="2026-01-05",
        company=company,
        subscription_key=key,
        request_hash="x",
    )
    make_user("erika.muster@acme.test", company=company, role="user", first_name="Erika")
    # Another company's objects never match.
    other = make_company("Other GmbH")
    other_key = make_key(other, packs=[("WE", 10)])
    other_ums, _ = make_ums(other, name="Bremen other", packs=[other_key.product_packs.get()])
    issue(other_ums, "WE", "00E0C5AA0002")
    return {"key": key, "pack": pack, "ums": ums, "other_key": other_key}


def kinds(api, company, q):
    answer = api.get(f"/companies/{company.gaid}/search", {"q": q})
    assert answer.status_code == 200, answer.content
    return [(i["kind"], i["id"]) for i in answer.json()["items"]]


def test_search_finds_each_kind(user_api, company, data):
    pack, key, ums = data["pack"], data["key"], data["ums"]
    assert ("pack", pack.pack_id) in kinds(user_api, company, pack.pack_id.lower())
    assert ("key", key.key) in kinds(user_api, company, key.key.replace("-", ""))
    assert kinds(user_api, company, "so4711") == [("order", "SO-4711")]
    assert kinds(user_api, company, "bremen") == [("ums", ums.ums_id)]
    assert ("member", "erika.muster@acme.test") in kinds(user_api, company, "erika")
    # Unit IDs with any separator.
    assert kinds(user_api, company, "00:e0:c5:aa") == [("unit_id", "00E0C5AA0001")]
    assert kinds(user_api, company, "00-E0-C5-AA-00-01") == [("unit_id", "00E0C5AA0001")]
    item = user_api.get(f"/companies/{company.gaid}/search", {"q": "so-4711"}).json()["items"][0]
    assert set(item) == {"kind", "id", "label"} and "SO-4711" in item["label"]


def test_search_never_shows_another_company(user_api, outsider_api, company, data):
    assert data["other_key"].key not in str(kinds(user_api, company, data["other_key"].key))
    assert outsider_api.get(f"/companies/{company.gaid}/search", {"q": "so"}).status_code == 404


def test_search_of_one_character_finds_nothing(user_api, company, data):
    assert kinds(user_api, company, "s") == []
    assert kinds(user_api, company, "") == []


def test_the_search_page_links_each_result(company, data):
    client = Client()
    client.force_login(make_user("reader@acme.test", company=company, role="user"))
    dashboard = client.get(f"/companies/{company.gaid}/").content.decode()
    assert f'action="/companies/{company.gaid}/search/"' in dashboard
    html = client.get(f"/companies/{company.gaid}/search/", {"q": "bremen"}).content.decode()
    assert f'href="/companies/{company.gaid}/ums/{data["ums"].ums_id}/packs/"' in html
    assert "Bremen other" not in html
    html = client.get(f"/companies/{company.gaid}/search/", {"q": "00e0c5aa"}).content.decode()
    assert f'href="/companies/{company.gaid}/hardware/?q=00E0C5AA0001"' in html
    nothing = client.get(f"/companies/{company.gaid}/search/", {"q": "zzzz"}).content.decode()
    assert "Nothing in this company matches" in nothing


# --- landing and switching ---------------------------------------------------------------------


def test_a_person_in_several_companies_lands_on_the_overview(company):
    partner = make_company("Partner AG")
    sp = make_user("sp@partner.test", company=company, role="service_provider")
    client = Client()
    client.force_login(sp)
    assert client.get("/").url == f"/companies/{company.gaid}/"
    add_member(sp, partner, role="service_provider")
    assert client.get("/").url == "/overview/"


def test_the_switcher_keeps_the_kind_of_page(company):
    partner = make_company("Partner AG")
    sp = make_user("sp@partner.test", company=company, role="service_provider")
    add_member(sp, partner, role="user")
    client = Client()
    client.force_login(sp)
    a, b = company.gaid, partner.gaid
    page = client.get(f"/companies/{a}/packs/").content.decode()
    assert f'name="from" value="/companies/{a}/packs/"' in page
    switch = client.get("/switch/", {"gaid": b, "from": f"/companies/{a}/packs/"})
    assert switch.url == f"/companies/{b}/packs/"
    # An object page leads to the list of its kind in the other company.
    switch = client.get("/switch/", {"gaid": b, "from": f"/companies/{a}/packs/WE-AAAAA/"})
    assert switch.url == f"/companies/{b}/packs/"
    # A page the role there does not reach (the audit log for a user): the dashboard.
    switch = client.get("/switch/", {"gaid": b, "from": f"/companies/{a}/audit/"})
    assert switch.url == f"/companies/{b}/"
    switch = client.get("/switch/", {"gaid": b, "from": "/profile/"})
    assert switch.url == f"/companies/{b}/"
