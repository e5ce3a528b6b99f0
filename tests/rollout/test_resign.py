"""Renewals re-sign after the commit (issue 20): the renewal's transaction commits seats and
dates only; the worker signs the renewed packs' licenses again in batches; a UMS asking in
between already gets the new expiry."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ilp.audit.models import AuditEvent
from ilp.core.actors import Actor
from ilp.licensing.models import Order, ProductPack
from ilp.licensing.services.renewals import renewal_order_apply
from ilp.rollout import signing
from ilp.rollout.models import DeviceLicense
from ilp.rollout.services import licenses_resign
from tests.conftest import ApiClient
from tests.licensing.factories import make_key
from tests.rollout.factories import issue, make_ums, resign_tasks_queued, resign_tasks_run

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system()


def _fleet(company, n: int, name: str):
    key = make_key(company, packs=[("WE", 60)])
    pack = key.product_packs.get()
    ums, credential = make_ums(company, name=name, packs=[pack])
    issue(ums, "WE", *(f"{name[-1]}A{i:010X}" for i in range(n)))
    return key, pack, ums, ApiClient(credential)


def _renew(key, number: str):
    order = Order.objects.create(
        order_number=number,
        kind="renewal",
        invoice_date=datetime.date.today(),
        company=key.company,
        subscription_key=key,
        request_hash="x",
    )
    return renewal_order_apply(
        actor=SYSTEM,
        order=order,
        subscription_key=key,
        items=[{"product": "WE", "seats": 60, "term_months": 12}],
    )


def _entitled_until(token) -> int:
    return signing.jws_verify(token, signing.jwks())[1]["entitled_until"]


def test_a_renewal_s_transaction_does_not_grow_with_the_licenses_and_leaves_them_to_the_worker(
    company, django_capture_on_commit_callbacks
):
    small, small_pack, _u, _a = _fleet(company, 5, "UMS 1")
    large, large_pack, _u, _a = _fleet(company, 50, "UMS 2")
    counts, touched = [], []
    for key, number in ((small, "R-5"), (large, "R-50")):
        with (
            django_capture_on_commit_callbacks(execute=True),
            CaptureQueriesContext(connection) as queries,
        ):
            _renew(key, number)
        counts.append(len(queries))
        table = DeviceLicense._meta.db_table
        touched += [q["sql"][:80] for q in queries.captured_queries if table in q["sql"]]
    assert counts[0] == counts[1]  # the same statements for 5 and for 50 licenses
    assert touched == []  # no license row is read, locked or signed under the packs' locks
    assert resign_tasks_queued() == [[small_pack.pk], [large_pack.pk]]
    large_pack.refresh_from_db()
    stale = DeviceLicense.objects.filter(pack=large_pack).exclude(expires_on=large_pack.expires_on)
    assert stale.count() == 50  # still the old documents: the worker has not run yet


def test_the_worker_signs_them_again_in_batches_once_and_changed_since_lists_them(
    company, django_capture_on_commit_callbacks
):
    key, pack, _ums, ums_api = _fleet(company, 12, "UMS 1")
    mark = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        _renew(key, "R-1")
    pack.refresh_from_db()
    new_end = signing.date_to_epoch(pack.expires_on)
    assert resign_tasks_run() == 12
    licenses = DeviceLicense.objects.filter(pack=pack)
    assert {lic.expires_on for lic in licenses} == {pack.expires_on}
    assert {_entitled_until(lic.token) for lic in licenses} == {new_end}
    assert AuditEvent.objects.filter(action="license.resigned").count() == 12
    assert licenses_resign(actor=SYSTEM, pack_ids=[pack.pk], batch=5) == 0  # safe to run twice
    assert AuditEvent.objects.filter(action="license.resigned").count() == 12
    listed = ums_api.get("/ums/licenses", {"changed_since": mark.isoformat()}).json()
    assert listed["count"] == 12
    assert {_entitled_until(item["token"]) for item in listed["items"]} == {new_end}


def test_a_ums_asking_before_the_worker_ran_gets_the_new_expiry(
    company, django_capture_on_commit_callbacks
):
    key, pack, ums, ums_api = _fleet(company, 3, "UMS 1")
    with django_capture_on_commit_callbacks(execute=False):  # the task is never enqueued
        _renew(key, "R-1")
    pack.refresh_from_db()
    new_end = signing.date_to_epoch(pack.expires_on)
    again = issue(ums, "WE", "1A0000000000")[0]  # a device asking again (issuance)
    assert again.status == "existing" and _entitled_until(again.license.token) == new_end
    listed = ums_api.get("/ums/licenses").json()  # the UMS's poll
    assert {_entitled_until(item["token"]) for item in listed["items"]} == {new_end}
    # and the daily sweep finds nothing left to do
    assert licenses_resign(actor=SYSTEM) == 0
    assert set(ProductPack.objects.filter(pk=pack.pk).values_list("expires_on", flat=True)) == {
        lic.expires_on for lic in DeviceLicense.objects.filter(pack=pack)
    }


def test_the_daily_sweep_re_signs_what_a_lost_task_left(
    company, django_capture_on_commit_callbacks
):
    key, pack, _ums, _api = _fleet(company, 4, "UMS 1")
    with django_capture_on_commit_callbacks(execute=False):  # the enqueue is lost
        _renew(key, "R-1")
    assert licenses_resign(actor=SYSTEM, batch=3) == 4
    pack.refresh_from_db()
    assert set(DeviceLicense.objects.values_list("expires_on", flat=True)) == {pack.expires_on}


def test_a_renewal_with_more_seats_assigns_its_new_pack_and_its_answer_names_the_ums(
    company, staff_api
):
    key, pack, ums, _api = _fleet(company, 2, "UMS 1")
    auto, _credential = make_ums(company, name="UMS auto", auto_assign=True)
    body = {
        "order_number": "R-MORE",
        "kind": "renewal",
        "invoice_date": datetime.date.today().isoformat(),
        "end_customer": {"gaid": company.gaid},
        "subscription_key": key.key,
        "items": [{"product": "WE", "seats": 70, "term_months": 12}],
    }
    answer = staff_api.post("/orders", body)
    assert answer.status_code == 201, answer.content
    by_id = {p["id"]: p for p in answer.json()["product_packs"]}
    extra = next(p for p in ProductPack.objects.filter(subscription_key=key) if p.pk != pack.pk)
    assert by_id[pack.pack_id]["ums_id"] == ums.ums_id  # the renewed pack keeps its UMS
    assert by_id[extra.pack_id]["ums_id"] == auto.ums_id and extra.seats == 10
    assert extra.assigned_to == auto.ums_id
    assert staff_api.get("/orders/R-MORE").json() == answer.json()
    assert staff_api.post("/orders", body).json() == answer.json()  # the replay, as stored
