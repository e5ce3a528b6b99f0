"""Review after the merges (h13b): the UMS sub-pages' back link, their search form, the link to
an empty UMS's pack list, and the icon every page names (no 404 in the browser console)."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from tests.rollout.factories import make_ums

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def test_empty_ums_links_to_search_not_to_all_zero_packs(admin_client, company, ums):
    make_ums(company, name="UMS Leer")
    html = admin_client.get(reverse("rollout:ums_list", kwargs={"gaid": company.gaid})).content
    html = html.decode()
    assert "All 0 packs" not in html
    assert "Search packs and assign them" in html
    assert "All 1 pack of this UMS, search and assign" in html  # the UMS with its one pack


@pytest.mark.parametrize("name", ["ums_packs", "upload"])
def test_ums_sub_pages_have_the_common_back_link(admin_client, company, ums, name):
    url = reverse(f"rollout:{name}", kwargs={"gaid": company.gaid, "ums_id": ums.ums_id})
    html = admin_client.get(url).content.decode()
    assert re.search(
        r'<p class="crumbs"><a href="[^"]*/ums/#' + ums.ums_id + '">← UMS IDs</a>', html
    )


def test_ums_pack_search_is_a_plain_form_not_a_pill_group(admin_client, company, ums):
    # Pico draws role=search as one rounded group: with a label inside, the button grew to
    # half the page width. A <search> element keeps the landmark without that style.
    url = reverse("rollout:ums_packs", kwargs={"gaid": company.gaid, "ums_id": ums.ums_id})
    html = admin_client.get(url).content.decode()
    assert '<search><form method="get" class="inline-form">' in html
    assert 'role="search"' not in html


def test_pages_name_an_icon_that_exists(admin_client, company):
    html = admin_client.get(reverse("licensing:dashboard", kwargs={"gaid": company.gaid}))
    found = re.search(
        r'<link rel="icon" href="/static/(ilp/favicon[^"]*\.svg)"', html.content.decode()
    )
    assert found and finders.find(re.sub(r"\.[0-9a-f]{12}\.svg$", ".svg", found.group(1)))


def test_dates_in_list_tables_do_not_break_at_their_hyphens(admin_client, company, pack):
    # At 1366 px the pack list's "Starts" column broke "2026-10-|20" over two lines.
    html = admin_client.get(reverse("licensing:packs", kwargs={"gaid": company.gaid}))
    starts = pack.starts_on.strftime("%Y-%m-%d")
    assert f'<td class="nowrap">{starts}</td>' in html.content.decode()


def test_profile_leads_back_to_the_start_page(admin_client):
    # The profile has no side navigation; only the brand in the top bar led back.
    html = admin_client.get(reverse("accounts:profile")).content.decode()
    assert (
        f'<p class="crumbs"><a href="{reverse("web:home")}">← Back to the start page</a></p>'
        in html
    )


def test_a_key_without_packs_says_so_without_an_empty_table(admin_client, company):
    from tests.licensing.factories import make_key

    key = make_key(company, packs=())
    url = reverse("licensing:key", kwargs={"gaid": company.gaid, "key": key.key})
    html = admin_client.get(url).content.decode()
    assert '<p class="muted">No product packs.</p>' in html
    assert 'class="striped packs"' not in html
