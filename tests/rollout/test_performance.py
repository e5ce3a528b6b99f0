"""Issue 14, large customers: query counts that do not grow with the tenant, keyset paging,
the UMS page without per-pack forms, and the streamed license file equal to the old one."""

import datetime
import json
import os
import re

import pytest
from bench.bench_large_tenant import targets
from bench.tenant import build
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ilp.accounts.models import Membership
from ilp.core.actors import Actor
from ilp.core.pagination import CappedPaginator
from ilp.licensing.models import ProductPack
from ilp.rollout import files, selectors, services, signing
from ilp.rollout.ed25519_stream import sign_chunks
from ilp.rollout.models import DeviceLicense, PackAssignment
from tests.licensing.factories import make_key
from tests.rollout.factories import assign, issue, make_ums

pytestmark = pytest.mark.django_db

SMALL, LARGE = 0.0005, 0.003  # 10 / 60 packs, 250 / 1,500 licenses, 250 / 1,500 events


def _queries(request) -> tuple[int, int]:
    request()  # warm-up (sessions, caches)
    reset_queries()  # request_started resets the log: capture from an empty one
    with CaptureQueriesContext(connection) as ctx:
        response = request()
    return len(ctx.captured_queries), response.status_code


def test_pages_and_lists_run_the_same_queries_for_a_small_and_a_larger_tenant(settings):
    settings.ILP_SIGNING_KEY = ""
    small = build(factor=SMALL, name="Small")
    large = build(factor=LARGE, name="Large")
    assert large.licenses > 5 * small.licenses
    by_size = []
    for tenant in (small, large):
        found = targets(tenant.company, tenant.user, tenant.ums, tenant.credentials)
        by_size.append({label: _queries(req) for label, req in found.items() if req})
    for label, (queries, status) in by_size[0].items():
        assert status == 200, label
        assert queries > 0 or label.startswith("bare"), label
        assert by_size[1][label] == (queries, 200), label


def _ums_page(tenant) -> str:
    client = Client()
    client.force_login(tenant.user)
    url = reverse("rollout:ums_list", kwargs={"gaid": tenant.company.gaid})
    return client.get(url).content.decode()


def test_ums_page_renders_no_form_per_pack(settings):
    settings.ILP_SIGNING_KEY = ""
    small, large = build(factor=SMALL, name="Small"), build(factor=LARGE, name="Large")
    html_small, html = _ums_page(small), _ums_page(large)
    assigned = PackAssignment.objects.filter(ums__company=large.company).count()
    assert assigned >= 50
    # The same forms (and CSRF tokens) for 10 packs as for 80: none per pack.
    assert html.count("<form") == html_small.count("<form")
    assert html.count("csrfmiddlewaretoken") == html_small.count("csrfmiddlewaretoken")
    rows = re.findall(r'aria-label="Unassign ([A-Z0-9-]+)"', html)
    assert len(rows) <= 10 * len(large.ums) < assigned
    assert "onsubmit=" not in html and "onclick=" not in html
    # The summary counts every pack; the link leads to all of them.
    count = PackAssignment.objects.filter(ums=large.ums[0]).count()
    assert f"All {count} packs of this UMS" in html
    # The "+" list of every UMS offers the same unassigned packs (rendered once).

    free = list(selectors.packs_assignable(membership=Membership(company=large.company))[:50])
    assert free
    for p in (free[0], free[-1]):
        assert html.count(f'<option value="{p.pack_id}">{p.pack_id} · ') == len(large.ums)


def test_ums_pack_list_pages_by_key_without_gaps_or_duplicates(settings, monkeypatch):
    from ilp.rollout.views import ums as views

    settings.ILP_SIGNING_KEY = ""
    monkeypatch.setattr(views, "PACKS_PAGE", 10)
    tenant = build(factor=LARGE, name="Large")
    big = tenant.ums[0]
    expected = list(
        PackAssignment.objects.filter(ums=big).order_by("pack_id").values_list("pack__pack_id")
    )
    expected = [p for (p,) in expected]
    assert len(expected) > 30
    seen, after = [], None
    while True:
        page = selectors.ums_assigned_packs(ums=big, after=after, limit=7)
        seen += [p.pack_id for p in page[:7]]
        if len(page) <= 7:
            break
        after = page[6].pk
    assert seen == expected
    # The page itself: "Next page" links chain through every pack.
    client = Client()
    client.force_login(tenant.user)
    url = reverse("rollout:ums_packs", kwargs={"gaid": tenant.company.gaid, "ums_id": big.ums_id})
    shown, next_url = [], url
    while next_url:
        html = client.get(next_url).content.decode()
        shown += re.findall(r'aria-label="Unassign ([A-Z0-9-]+)"', html)
        found = re.search(r'href="\?(after=\d+)" rel="next"', html)
        next_url = f"{url}?{found.group(1)}" if found else None
    assert shown == expected


def test_ums_pack_list_search_finds_assigned_and_assignable_packs(admin_client, company, ums):
    free = make_key(company, packs=[("EMP", 2)]).product_packs.get()
    url = reverse("rollout:ums_packs", kwargs={"gaid": company.gaid, "ums_id": ums.ums_id})
    html = admin_client.get(url, {"q": free.pack_id[-5:]}).content.decode()
    assert f"Assign {free.pack_id}" in html
    response = admin_client.post(
        reverse("rollout:pack_assign", kwargs={"gaid": company.gaid, "ums_id": ums.ums_id}),
        {"pack_id": free.pack_id, "back": "packs", "q": free.pack_id[-5:]},
    )
    assert response.status_code == 302 and response["Location"].startswith(url)
    assert PackAssignment.objects.filter(pack=free, ums=ums).exists()


def test_assignable_packs_are_the_live_unexpired_unassigned_ones_in_product_order(company, ums):
    """`packs_assignable` (the "+" list): plain conditions and NOT EXISTS (issue 14) pick
    what `current_status` and the assignment say, ordered by product, creation, id."""
    day = datetime.date.today()

    def d(n):
        return day + datetime.timedelta(days=n)

    for starts, ends in ((-10, 0), (-10, 1), (5, 40), (-400, -1), (-10, None)):
        key = make_key(
            company, packs=[("WE", 3), ("EMP", 2)], starts_on=d(starts), expires_on=d(ends or 1)
        )
        if ends is None:
            key.product_packs.update(expires_on=None)
    archived = make_key(company, packs=[("ICG", 2)]).product_packs.get()
    ProductPack.objects.filter(pk=archived.pk).update(state="archived")
    taken = make_key(company, packs=[("ICG", 2)]).product_packs.get()
    assign(taken, ums)
    found = list(selectors.packs_assignable(membership=Membership(company=company)))
    expected = sorted(
        (
            p
            for p in ProductPack.objects.filter(company=company).with_status(day)
            if p.current_status in ("active", "not_yet_active")
            and not PackAssignment.objects.filter(pack=p).exists()
        ),
        key=lambda p: (p.product.sku, p.created_at, p.pk),
    )
    assert [p.pack_id for p in found] == [p.pack_id for p in expected]
    assert len(found) >= 6 and taken not in found and archived not in found


def test_lease_figures_name_only_the_ums_with_active_licenses(company, ums, pack):
    """`ums_lease_figures` finds a UMS's first active license by the partial index (issue 14:
    EXISTS was a sequential scan of every license for a UMS without one)."""
    idle, _ = make_ums(company, name="Idle")
    drained, _ = make_ums(company, name="Drained", packs=[make_key(company).product_packs.get()])
    issue(ums, "WE", "AAAAAA01", "AAAAAA02")
    gone = issue(drained, "WE", "BBBBBB01")[0].license
    services.license_return(actor=Actor.system(), license=gone)
    now = timezone.now()
    figures = selectors.ums_lease_figures(ums_list=[ums, idle, drained], now=now)
    assert set(figures) == {ums.pk}
    row = figures[ums.pk]
    assert row["active"] and row["ums_id"] == ums.pk
    active = DeviceLicense.objects.filter(ums=ums, status="active")
    assert row["earliest"] == min(lic.document_expires_at for lic in active)
    assert row["last_signed"] == max(lic.document_signed_at for lic in active)


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def test_api_lists_pack_ids_of_each_ums_in_pack_order(admin_api, company, ums, pack):
    more = list(make_key(company, packs=[("WE", 2), ("EMP", 3)]).product_packs.all())
    for p in more:
        assign(p, ums)
    body = admin_api.get(f"/companies/{company.gaid}/ums").json()
    expected = [p.pack_id for p in sorted([pack, *more], key=lambda p: (p.created_at, p.pk))]
    assert body["items"][0]["product_packs"] == expected
    detail = admin_api.get(f"/companies/{company.gaid}/ums/{ums.ums_id}").json()
    assert detail["product_packs"] == expected


def test_streamed_signature_equals_the_library_signature():
    for size in (0, 1, 2, 3, 1000, 70_001):
        key = Ed25519PrivateKey.generate()
        message = os.urandom(size)
        parts = [message[i : i + 4096] for i in range(0, len(message), 4096)]
        assert sign_chunks(key, lambda parts=parts: iter(parts)) == key.sign(message)


def _resigned(token: str) -> str:
    """The file as the old in-memory build made it: its claims signed by `jws_sign`."""
    head, body, _sig = token.split(".")
    claims = json.loads(signing.b64u_decode(body))
    header = json.loads(signing.b64u_decode(head))
    pair = signing.current_key()
    assert header["kid"] == pair.kid
    return signing.jws_sign(claims, pair=pair, typ=signing.LICENSE_FILE_TYP)


def test_streamed_license_file_equals_the_in_memory_one(company, ums, monkeypatch, admin_api):
    issue(ums, "WE", "AAAAAA01", "AAAAAA02", "AAAAAA03")
    built = files.license_file_build(ums=ums, actor=Actor.system())
    # Byte for byte what jws_sign makes of the same claims (the old build).
    assert built == _resigned(built)
    claims = json.loads(signing.b64u_decode(built.split(".")[1]))
    assert [lic["unit_id"] for lic in claims["licenses"]] == ["AAAAAA01", "AAAAAA02", "AAAAAA03"]
    assert list(claims) == [
        "iss",
        "iat",
        "gaid",
        "ums_id",
        "product_packs",
        "licenses",
        "revocations",
        "lease_days",
        "refresh_by",
    ]
    # Streamed (every size streams), the download is the same file.
    monkeypatch.setattr(files, "STREAM_FROM", 0)
    response = admin_api.get(f"/companies/{company.gaid}/ums/{ums.ums_id}/license-file")
    assert response.streaming
    streamed = b"".join(response.streaming_content).decode()
    assert int(response["Content-Length"]) == len(streamed)
    assert streamed == _resigned(streamed)
    again = json.loads(signing.b64u_decode(streamed.split(".")[1]))
    assert {k: v for k, v in again.items() if k not in ("iat", "refresh_by", "revocations")} == {
        k: v for k, v in claims.items() if k not in ("iat", "refresh_by", "revocations")
    }
    assert DeviceLicense.objects.filter(ums=ums).count() == 3


def test_capped_paginator_counts_up_to_the_cap(company, ums):
    issue(ums, "WE", "AAAAAA01", "AAAAAA02", "AAAAAA03", "AAAAAA04")
    rows = DeviceLicense.objects.order_by("pk")
    capped = CappedPaginator(rows, 2, cap=3)
    assert capped.count == 3 and capped.capped and capped.num_pages == 2
    whole = CappedPaginator(rows, 2, cap=4)
    assert whole.count == 4 and not whole.capped


def test_license_rows_equal_the_schema_dump(company, ums):
    """The license file's rows are built without the schema; they must be what it dumps,
    down to how times are written (whole seconds, microseconds, none)."""
    from ilp.rollout.schemas import LicenseOut
    from ilp.rollout.selectors import ums_license_list

    issue(ums, "WE", "AAAAAA01", "AAAAAA02", "AAAAAA03")
    first, second, third = DeviceLicense.objects.order_by("pk")
    whole = datetime.datetime(2026, 5, 1, 12, 0, 0, tzinfo=datetime.UTC)
    DeviceLicense.objects.filter(pk=first.pk).update(issued_at=whole, document_signed_at=None)
    DeviceLicense.objects.filter(pk=second.pk).update(
        document_expires_at=None, expires_on=None, issued_at=whole.replace(microsecond=5)
    )
    licenses = ums_license_list(ums=ums)
    assert list(files._license_rows(licenses)) == [
        LicenseOut.from_orm(lic).model_dump(mode="json") for lic in licenses
    ]
    del third


@pytest.mark.parametrize("after", [str(2**63), str(10**30), "-" + str(10**30)])
def test_ums_pack_list_with_an_after_beyond_any_id_is_the_first_page(
    admin_client, company, ums, after
):
    url = reverse("rollout:ums_packs", kwargs={"gaid": company.gaid, "ums_id": ums.ums_id})
    assert admin_client.get(url, {"after": after}).status_code == 200
