"""The staff corrections through the API (API.md, "Vendor back office (staff)"): cancel,
transfer, duplicates and merge, resend; their reasons, roles, replays and 410 afterwards.
Runs on SQLite and PostgreSQL."""

import datetime

import pytest

from ilp.accounts.models import Membership
from ilp.audit.models import AuditEvent
from ilp.licensing.models import Order, ProductPack
from ilp.notifications.models import OutboxMail
from ilp.rollout.models import DeviceLicense
from tests.accounts.factories import (
    make_company,
    make_staff_token,
    make_staff_user,
    make_user,
    make_user_token,
)
from tests.conftest import ApiClient
from tests.licensing.factories import make_key, make_license
from tests.rollout.corrections_factories import make_order
from tests.rollout.factories import make_ums

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return ApiClient(make_staff_token("desk", role="operator"))


@pytest.fixture
def support():
    return ApiClient(make_staff_token("help", role="support"))


def _dated(*licenses):
    """Issue times one minute apart, in the order given (the last is the newest)."""
    base = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    for i, lic in enumerate(licenses):
        DeviceLicense.objects.filter(pk=lic.pk).update(
            issued_at=base + datetime.timedelta(minutes=i)
        )


def test_cancel_half_an_order_answers_the_changed_packs(operator, company, admin_user):
    order = make_order(company, packs=[("WE", 10), ("EMP", 4)])
    we = order.product_packs.get(product__sku="WE")
    response = operator.post(
        f"/staff/orders/{order.order_number}/cancel",
        {"reason": "credit note 4711", "items": [{"pack_id": we.pack_id.lower(), "seats": 5}]},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "partly_cancelled" and body["returned"] == []
    [pack] = body["product_packs"]
    assert (pack["id"], pack["seats"], pack["status"]) == (we.pack_id, 5, "active")
    event = AuditEvent.objects.get(company=company, action="order.partly_cancelled")
    assert event.actor_kind == "staff" and event.reason == "credit note 4711"
    # The customer reads it in its own log, with the reason.
    events = ApiClient(make_user_token(admin_user)).get(
        f"/companies/{company.gaid}/events", {"action": "order.partly_cancelled"}
    )
    assert events.json()["items"][0]["reason"] == "credit note 4711"
    assert OutboxMail.objects.filter(to=admin_user.email, template="seats_cancelled").exists()


def test_cancel_all_reads_cancelled(operator, company):
    order = make_order(company, packs=[("WE", 3)])
    response = operator.post(f"/staff/orders/{order.order_number}/cancel", {"reason": "r"})
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["product_packs"][0]["status"] == "cancelled"
    assert response.json()["product_packs"][0]["seats"] == 0
    got = ApiClient(make_staff_token("erp")).get(f"/orders/{order.order_number}")
    assert got.json()["status"] == "cancelled"


def test_seats_in_use_are_409_with_the_devices_unless_returned_newest_first(operator, company):
    order = make_order(company, packs=[("WE", 3)])
    pack = order.product_packs.get()
    ums, _ = make_ums(company, packs=[pack])
    lics = [make_license(pack, f"00E0C500000{i}", ums=ums) for i in range(3)]
    _dated(*lics)
    url = f"/staff/orders/{order.order_number}/cancel"
    body = {"reason": "r", "items": [{"pack_id": pack.pack_id, "seats": 2}]}
    blocked = operator.post(url, body)
    assert blocked.status_code == 409
    assert blocked.json()["code"] == "seats_in_use"
    assert blocked.json()["unit_ids"] == ["00E0C5000002", "00E0C5000001"]
    assert ProductPack.objects.get(pk=pack.pk).seats == 3

    done = operator.post(url, {**body, "return_licenses": True})
    assert done.status_code == 200, done.content
    assert [r["unit_id"] for r in done.json()["returned"]] == ["00E0C5000002", "00E0C5000001"]
    assert done.json()["product_packs"][0]["seats_used"] == 1
    assert DeviceLicense.objects.get(pk=lics[0].pk).status == "active"


@pytest.mark.parametrize(
    "body",
    [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}],
    ids=["missing", "empty", "blank", "too-long"],
)
def test_every_correction_needs_a_reason(operator, company, body):
    order = make_order(company)
    key = order.subscription_key
    other = make_company()
    for url, extra in (
        (f"/staff/orders/{order.order_number}/cancel", {}),
        (f"/staff/subscription-keys/{key.key}/transfer", {"to_gaid": other.gaid}),
        (f"/staff/companies/{company.gaid}/merge-into/{other.gaid}", {}),
        (f"/staff/orders/{order.order_number}/resend-contact-mail", {}),
    ):
        response = operator.post(url, {**body, **extra})
        assert response.status_code == 422, (url, response.content)
    assert Order.objects.get(pk=order.pk).status == "fulfilled"
    assert not AuditEvent.objects.filter(actor_kind="staff").exists()


def test_a_retried_cancel_cancels_once(operator, company):
    order = make_order(company, packs=[("WE", 10)])
    pack = order.product_packs.get()
    url = f"/staff/orders/{order.order_number}/cancel"
    body = {"reason": "r", "items": [{"pack_id": pack.pack_id, "seats": 2}]}
    headers = {"Idempotency-Key": "cancel-1"}
    first = operator.post(url, body, headers=headers)
    again = operator.post(url, body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert first.json() == again.json()
    assert ProductPack.objects.get(pk=pack.pk).seats == 8
    other = operator.post(url, {**body, "reason": "other"}, headers=headers)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"


def test_roles_support_may_resend_not_cancel(support, company):
    order = make_order(company)
    cancel = support.post(f"/staff/orders/{order.order_number}/cancel", {"reason": "r"})
    assert cancel.status_code == 403 and cancel.json()["code"] == "permission_denied"
    resend = support.post(
        f"/staff/orders/{order.order_number}/resend-contact-mail", {"reason": "r"}
    )
    assert resend.status_code == 409 and resend.json()["code"] == "no_contact_mail"


def test_a_customer_cannot_reach_the_corrections(admin_api, company):
    order = make_order(company)
    response = admin_api.post(f"/staff/orders/{order.order_number}/cancel", {"reason": "r"})
    assert response.status_code == 403


def test_resend_the_contact_mail_is_202(support, company, admin_user):
    order = make_order(company)
    order.contact = {"email": "new@acme.test", "first_name": "N", "last_name": "N"}
    order.contact_outcome = "administrators_notified"
    order.save()
    response = support.post(
        f"/staff/orders/{order.order_number}/resend-contact-mail", {"reason": "bounced"}
    )
    assert response.status_code == 202, response.content
    assert response.json() == {"order_number": order.order_number, "mail": "access_requested"}
    assert OutboxMail.objects.filter(to=admin_user.email, template="access_requested").exists()
    assert AuditEvent.objects.get(action="order.contact_mail_resent").reason == "bounced"


def test_transfer_a_key(operator, company, admin_user):
    buyer = make_company(name="Buyer AG")
    make_user("boss@buyer.test", company=buyer, role="administrator")
    order = make_order(company, packs=[("WE", 5)])
    key = order.subscription_key
    pack = order.product_packs.get()
    ums, _ = make_ums(company, packs=[pack])
    make_license(pack, "00E0C5000001", ums=ums)
    response = operator.post(
        f"/staff/subscription-keys/{key.key}/transfer", {"to_gaid": buyer.gaid, "reason": "M&A"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["from_gaid"], body["to_gaid"], body["revoked_licenses"]) == (
        company.gaid,
        buyer.gaid,
        1,
    )
    assert body["product_packs"][0]["seats_used"] == 0
    assert body["product_packs"][0]["ums_id"] is None
    # The old company no longer sees it; the new one does.
    mine = ApiClient(make_user_token(admin_user)).get(
        f"/companies/{company.gaid}/subscription-keys/{key.key}"
    )
    assert mine.status_code == 404
    assert {m.to for m in OutboxMail.objects.filter(template="key_transferred")} == {
        admin_user.email,
        "boss@buyer.test",
    }
    unknown = operator.post(
        "/staff/subscription-keys/SK-0000-0000-0000/transfer",
        {"to_gaid": buyer.gaid, "reason": "r"},
    )
    assert unknown.status_code == 404


def test_duplicates_and_merge_then_410_for_staff_and_target_members(operator, company):
    company.postal_code = "20457"
    company.save()
    twin = make_company(name="ACME gmbh", postal_code="20457")
    member = make_user("m@acme.test", company=company, role="administrator")
    target_member = make_user("t@acme.test", company=twin, role="user")
    stranger = make_user("s@else.test", company=make_company(), role="administrator")
    make_key(company, packs=[("WE", 5)])

    listed = operator.get("/staff/duplicates")
    assert listed.status_code == 200
    assert listed.json() == {
        "items": [{"companies": [company.gaid, twin.gaid], "reason": "same_name_and_address"}],
        "count": 1,
    }
    merged = operator.post(
        f"/staff/companies/{company.gaid}/merge-into/{twin.gaid}", {"reason": "duplicate"}
    )
    assert merged.status_code == 200, merged.content
    assert merged.json()["merged_into"] == twin.gaid
    assert merged.json()["moved"]["product_packs"] == 1
    assert Membership.objects.get(user=member, company=twin).role == "administrator"
    assert operator.get("/staff/duplicates").json()["count"] == 0

    for client in (
        ApiClient(make_user_token(member)),
        ApiClient(make_user_token(target_member)),
        ApiClient(make_staff_token("reader", role="support")),
    ):
        for path in ("", "/product-packs", "/members"):
            gone = client.get(f"/companies/{company.gaid}{path}")
            assert gone.status_code == 410, gone.content
            assert gone.json()["code"] == "company_merged"
            assert gone.json()["merged_into"] == twin.gaid
    hidden = ApiClient(make_user_token(stranger)).get(f"/companies/{company.gaid}")
    assert hidden.status_code == 404


def test_merge_conflict_moves_nothing(operator, company):
    twin = make_company()
    a = make_key(company, packs=[("WE", 5)]).product_packs.get()
    b = make_key(twin, packs=[("WE", 5)]).product_packs.get()
    make_license(a, "00E0C5ABCDEF")
    make_license(b, "00E0C5ABCDEF")
    response = operator.post(
        f"/staff/companies/{company.gaid}/merge-into/{twin.gaid}", {"reason": "r"}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "merge_conflict"
    assert response.json()["unit_ids"] == ["00E0C5ABCDEF"]
    assert ProductPack.objects.get(pk=a.pk).company_id == company.pk


def test_a_staff_user_with_the_operator_role_cancels_and_the_log_names_them(company, client):
    person = make_staff_user("desk@vendor.test", role="operator")
    order = make_order(company, packs=[("WE", 2)])
    response = ApiClient(make_user_token(person)).post(
        f"/staff/orders/{order.order_number}/cancel", {"reason": "r"}
    )
    assert response.status_code == 200, response.content
    event = AuditEvent.objects.get(action="order.cancelled")
    assert event.actor_label == "staff:desk@vendor.test"


def test_an_order_naming_a_merged_company_lands_in_the_target(operator, company):
    company.customer_number = "K-0001"  # the target keeps its own; the twin's stays on it
    company.save()
    twin = make_company(customer_number="K-1001")
    assert (
        operator.post(
            f"/staff/companies/{twin.gaid}/merge-into/{company.gaid}", {"reason": "dup"}
        ).status_code
        == 200
    )
    for n, end_customer in enumerate(({"gaid": twin.gaid}, {"customer_number": "K-1001"}), start=1):
        response = operator.post(
            "/orders",
            {
                "order_number": f"SO-MERGED-{n}",
                "kind": "new",
                "invoice_date": "2026-11-01",
                "end_customer": {"name": "Twin", "country": "DE", **end_customer},
                "items": [{"product": "WE", "seats": 1, "term_months": 12}],
            },
        )
        assert response.status_code == 201, response.content
        assert response.json()["gaid"] == company.gaid
        assert response.json()["company_created"] is False
