"""A full journey produces every contract event type; a receiver that verifies each delivery
with `standardwebhooks` gets them all (SQLite here, PostgreSQL in CI's PostgreSQL run)."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from ilp.accounts.services import member_add, member_remove
from ilp.core.actors import Actor
from ilp.licensing.models import Order, ProductPack
from ilp.licensing.services.eula import order_eula_accept
from ilp.licensing.services.reminders import reminders_queue
from ilp.notifications.services import outbox_deliver_due
from ilp.rollout import services as rollout
from ilp.webhooks.events import EVENT_TYPES
from ilp.webhooks.models import WebhookDelivery, WebhookEndpoint
from ilp.webhooks.services import RETRY_SCHEDULE, deliveries_send_due
from tests.accounts.factories import make_user
from tests.conftest import ApiClient
from tests.licensing.factories import make_key
from tests.rollout.factories import issue, make_ums
from tests.webhooks.receiver import Receiver

SYSTEM = Actor.system()
pytestmark = pytest.mark.usefixtures("catalogue")


@pytest.fixture(autouse=True)
def _allow_local(settings, tmp_path):
    settings.ILP_WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
    settings.DATA_DIR = tmp_path
    settings.ILP_SIGNING_KEY = ""


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


def _subscribe(admin_api, company, receiver, events=None) -> dict:
    response = admin_api.post(
        f"/companies/{company.gaid}/webhooks",
        {"url": receiver.url, "events": events or list(EVENT_TYPES), "description": "ERP"},
    )
    assert response.status_code == 201, response.content
    receiver.secrets.append(response.json()["secret"])
    return response.json()


def _order(staff_api, company, number, **extra):
    body = {
        "order_number": number,
        "kind": "new",
        "invoice_date": (datetime.date.today() - datetime.timedelta(days=3)).isoformat(),
        "end_customer": {"gaid": company.gaid, "name": company.name, "country": "DE"},
        "items": [{"product": "WE", "seats": 10, "term_months": 12}],
        **extra,
    }
    response = staff_api.post("/orders", body)
    assert response.status_code == 201, response.content
    return response.json()


def _deliver_all():
    """Send until nothing is due (a retry due within seconds is made due now)."""
    for _ in range(20):
        deliveries_send_due()
        pending = WebhookDelivery.objects.filter(status="pending")
        if not pending.exists():
            return
        pending.update(next_attempt_at=timezone.now())


def test_every_event_type_arrives_verified(
    company, admin_api, staff_api, staff_admin_api, receiver
):
    hook = _subscribe(admin_api, company, receiver)
    vendor = staff_admin_api.post(
        "/staff/webhooks", {"url": receiver.url, "events": ["order.delivered"]}
    )
    assert vendor.status_code == 201, vendor.content
    receiver.secrets.append(vendor.json()["secret"])

    # ums.created (auto-assign: the order's pack goes to it)
    ums_response = admin_api.post(
        f"/companies/{company.gaid}/ums", {"name": "Plant", "auto_assign": True}
    )
    assert ums_response.status_code == 201
    credential = ums_response.json()["credential"]
    # order.delivered, order.eula_pending, product_pack.created
    order = _order(staff_api, company, "WH-1")
    pack = ProductPack.objects.get(pack_id=order["product_packs"][0]["id"])
    # product_pack.changed (eula)
    order_eula_accept(actor=SYSTEM, order=Order.objects.get(order_number="WH-1"))
    # license.issued ×3 (one request) and license.returned
    ums_api = ApiClient(credential)
    issued = ums_api.post(
        "/ums/licenses",
        {"product": "WE", "unit_ids": ["00E0C5000001", "00E0C5000002", "00E0C5000003"]},
    )
    assert [r["status"] for r in issued.json()["results"]] == ["issued"] * 3
    returned = ums_api.delete(f"/ums/licenses/{issued.json()['results'][0]['license']['id']}")
    assert returned.status_code in (200, 204), returned.content
    # product_pack.changed (split) and product_pack.created
    pack.refresh_from_db()
    rollout.pack_split(actor=SYSTEM, pack=pack, seats=2)
    # product_pack.changed (renewal)
    _order(staff_api, company, "WH-2", kind="renewal", subscription_key=order["subscription_key"])
    # license.exchanged: a pack expiring in 5 days and a later one on another UMS
    today = datetime.date.today()
    old = make_key(company, packs=[("ICG", 2)], expires_on=today + datetime.timedelta(days=5))
    new = make_key(company, packs=[("ICG", 4)], expires_on=today + datetime.timedelta(days=300))
    fleet, _ = make_ums(company, name="Fleet", packs=[old.product_packs.get()])
    issue(fleet, "ICG", "AAAAAA01")
    rollout.pack_assign(actor=SYSTEM, ums=fleet, pack=new.product_packs.get())
    assert rollout.licenses_exchange(actor=SYSTEM).moved == 1
    # license.revoked: the later pack taken off the UMS with its license
    rollout.pack_unassign(actor=SYSTEM, ums=fleet, pack=new.product_packs.get(), force=True)
    # product_pack.expiring (the 7-day reminder of the old pack)
    assert reminders_queue(today=today).reminders >= 1
    # member.added, member.removed
    colleague = make_user("colleague@acme.test")
    member_add(actor=SYSTEM, company=company, user=colleague, role="user")
    member_remove(actor=SYSTEM, company=company, email="colleague@acme.test")
    # webhook.test
    test = admin_api.post(f"/companies/{company.gaid}/webhooks/{hook['id']}/test")
    assert test.status_code == 202

    _deliver_all()

    assert receiver.rejected == []
    got = receiver.accepted()
    assert {r["type"] for r in got} == set(EVENT_TYPES)
    issued_ids = {r["data"]["id"] for r in got if r["type"] == "license.issued"}
    assert len(issued_ids) == 4  # three by the UMS, one on the fleet UMS
    changes = {r["data"].get("change") for r in got if r["type"] == "product_pack.changed"}
    assert {"eula", "split", "renewal"} <= changes
    delivered = [r for r in got if r["type"] == "order.delivered"]
    # Twice each order: the company's endpoint and the vendor's.
    assert sorted(r["data"]["order_number"] for r in delivered) == ["WH-1", "WH-1", "WH-2", "WH-2"]
    for r in got:
        assert set(r["body"]) == {"type", "timestamp", "data"}
    # One webhook-id per delivery, never reused for another.
    assert len({r["id"] for r in got}) == len(got) == WebhookDelivery.objects.count()
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"succeeded"}
    log = admin_api.get(f"/companies/{company.gaid}/webhooks/{hook['id']}/deliveries").json()
    assert log["count"] == WebhookDelivery.objects.filter(endpoint__endpoint_id=hook["id"]).count()
    item = log["items"][0]
    assert set(item) == {
        "id",
        "event_type",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "created_at",
        "next_attempt_at",
    }
    assert item["status"] == "succeeded" and item["last_status_code"] == 204


def test_no_endpoint_writes_no_delivery(company, admin_api, staff_api):
    _order(staff_api, company, "WH-9")
    assert WebhookDelivery.objects.count() == 0


def test_only_subscribed_types_are_written(company, admin_api, staff_api, receiver):
    _subscribe(admin_api, company, receiver, events=["member.added"])
    _order(staff_api, company, "WH-3")
    member_add(actor=SYSTEM, company=company, user=make_user("x@acme.test"), role="user")
    assert list(WebhookDelivery.objects.values_list("event_type", flat=True)) == ["member.added"]


def test_receiver_down_then_back_gets_everything(company, admin_api, receiver):
    _subscribe(admin_api, company, receiver, events=["member.added"])
    receiver.mode = "fail"
    for i in range(5):
        member_add(actor=SYSTEM, company=company, user=make_user(f"p{i}@acme.test"), role="user")
    deliveries_send_due()
    assert receiver.accepted() == [] and len(receiver.received) == 5
    first = WebhookDelivery.objects.first()
    assert first.attempts == 1 and first.last_status_code == 503
    assert first.last_error == "HTTP 503"
    # The first retry waits about five seconds.
    wait = (first.next_attempt_at - first.last_attempt_at).total_seconds()
    assert abs(wait - RETRY_SCHEDULE[0].total_seconds()) < 1
    deliveries_send_due()  # nothing due yet
    assert len(receiver.received) == 5
    # An hour later the receiver is back.
    receiver.mode = "ok"
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    deliveries_send_due()
    accepted = receiver.accepted()
    assert len(accepted) == 5
    # The retry carried the same webhook-id as the failed attempt.
    assert {r["id"] for r in accepted} == {r["id"] for r in receiver.received if r["status"] == 503}
    assert set(WebhookDelivery.objects.values_list("attempts", flat=True)) == {2}


def test_the_schedule_runs_out_to_failed_and_a_retry_sends_again(company, admin_api, receiver):
    hook = _subscribe(admin_api, company, receiver, events=["webhook.test"])
    receiver.mode = "fail"
    admin_api.post(f"/companies/{company.gaid}/webhooks/{hook['id']}/test")
    waits = []
    for _ in range(len(RETRY_SCHEDULE) + 1):
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        deliveries_send_due()
        d = WebhookDelivery.objects.get()
        if d.next_attempt_at:
            waits.append(round((d.next_attempt_at - d.last_attempt_at).total_seconds()))
    d = WebhookDelivery.objects.get()
    assert d.status == "failed" and d.attempts == 8 and d.next_attempt_at is None
    assert waits == [5, 300, 1800, 7200, 18000, 36000, 36000]
    receiver.mode = "ok"
    url = f"/companies/{company.gaid}/webhooks/{hook['id']}/deliveries/{d.message_id}/retry"
    assert admin_api.post(url).status_code == 202
    deliveries_send_due()
    d.refresh_from_db()
    assert d.status == "succeeded"
    assert {r["id"] for r in receiver.received} == {d.message_id}


def test_an_endpoint_failing_for_five_days_is_disabled_and_the_admins_are_told(
    company, admin_api, receiver
):
    hook = _subscribe(admin_api, company, receiver, events=["member.added"])
    receiver.mode = "fail"
    member_add(actor=SYSTEM, company=company, user=make_user("a@acme.test"), role="user")
    deliveries_send_due()
    endpoint = WebhookEndpoint.objects.get(endpoint_id=hook["id"])
    assert endpoint.failing_since is not None and endpoint.enabled
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now() - datetime.timedelta(days=5, minutes=1)
    )
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    deliveries_send_due()
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.disabled_reason == "failing"
    outbox_deliver_due()
    assert [m.to for m in mail.outbox] == [["admin@acme.test"]]
    assert hook["url"] in mail.outbox[0].body
    # Nothing is sent to a disabled endpoint; enabling it again sends what waits.
    member_add(actor=SYSTEM, company=company, user=make_user("b@acme.test"), role="user")
    assert WebhookDelivery.objects.count() == 1
    receiver.mode = "ok"
    patched = admin_api.patch(f"/companies/{company.gaid}/webhooks/{hook['id']}", {"enabled": True})
    assert patched.json()["enabled"] is True
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    deliveries_send_due()
    assert len(receiver.accepted()) == 1


def test_a_rotated_secret_signs_with_both_for_a_day(company, admin_api, receiver):
    hook = _subscribe(admin_api, company, receiver, events=["webhook.test"])
    old = receiver.secrets[:]
    rotated = admin_api.post(f"/companies/{company.gaid}/webhooks/{hook['id']}/rotate-secret")
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new.startswith("whsec_") and new not in old
    admin_api.post(f"/companies/{company.gaid}/webhooks/{hook['id']}/test")
    # A receiver that knows only the new secret verifies; one that knows only the old too.
    receiver.secrets = [new]
    deliveries_send_due()
    receiver.secrets = old
    admin_api.post(f"/companies/{company.gaid}/webhooks/{hook['id']}/test")
    deliveries_send_due()
    assert receiver.rejected == []
    assert [r["signatures"] for r in receiver.accepted()] == [2, 2]
    # After 24 hours only the new one signs.
    WebhookEndpoint.objects.update(previous_secret_until=timezone.now())
    admin_api.post(f"/companies/{company.gaid}/webhooks/{hook['id']}/test")
    deliveries_send_due()
    assert len(receiver.rejected) == 1
    receiver.secrets = [new]
    WebhookDelivery.objects.filter(status="pending").update(next_attempt_at=timezone.now())
    deliveries_send_due()
    assert receiver.accepted()[-1]["signatures"] == 1
