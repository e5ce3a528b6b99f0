"""Staff corrections (rule 26), the services: cancel an order's seats, transfer a key, merge a
duplicate company. Seats are money: every test checks the ledger against the licenses."""

import datetime
import json

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from ilp.accounts.models import ApiToken, Company, Membership, User
from ilp.accounts.selectors import company_duplicates, membership_get
from ilp.accounts.services import api_token_create
from ilp.audit.models import AuditEvent
from ilp.core.errors import Conflict, Gone, Invalid, NotFound
from ilp.licensing.models import Order, ProductPack, Renewal, SubscriptionKey
from ilp.licensing.services.corrections import order_contact_mail_resend
from ilp.notifications.models import OutboxMail
from ilp.rollout.models import AldToken, DeviceLicense, PackAssignment, UmsInstance
from ilp.rollout.services import ald_token_generate, pack_split
from ilp.rollout.services.corrections import company_merge, key_transfer, order_cancel
from ilp.scim.models import ScimToken
from ilp.scim.services import scim_token_issue
from ilp.sso.models import CompanyDomain, CompanySso
from ilp.webhooks.models import WebhookDelivery, WebhookEndpoint
from ilp.webhooks.services import secret_new
from tests.accounts.factories import make_company, make_user
from tests.licensing.factories import make_key, make_license
from tests.rollout.corrections_factories import make_order, staff_actor
from tests.rollout.factories import make_ums

pytestmark = pytest.mark.django_db


def _ledger_exact(*packs):
    for pack in packs:
        pack.refresh_from_db()
        live = DeviceLicense.objects.filter(pack=pack, status="active").count()
        assert pack.seats_used == live, pack.pack_id
        assert pack.seats_used <= pack.seats


# --- cancel -------------------------------------------------------------------------------


def test_cancel_takes_back_every_seat_and_the_order_reads_cancelled(company, admin_user):
    order = make_order(company, packs=[("WE", 10), ("EMP", 5)])
    result = order_cancel(actor=staff_actor(), order_number=order.order_number, reason="credit")
    assert sorted(p.seats for p in result.packs) == [0, 0]
    assert {p.status for p in result.packs} == {"cancelled"}
    assert Order.objects.get(pk=order.pk).status == "cancelled"
    assert not ProductPack.objects.issuable().filter(order=order).exists()
    event = AuditEvent.objects.get(action="order.cancelled")
    assert event.company_id == company.pk and event.actor_kind == "staff"
    assert event.reason == "credit"
    assert AuditEvent.objects.filter(action="pack.cancelled", company=company).count() == 2
    [mail] = OutboxMail.objects.filter(to=admin_user.email)
    assert order.order_number in mail.subject
    assert "Reason given by the vendor: credit" in mail.body_text
    assert mail.about == f"order:{order.order_number}"  # on the staff's order page


def test_cancel_part_of_a_pack_leaves_the_rest_and_the_order_partly_cancelled(company):
    order = make_order(company, packs=[("WE", 10)])
    pack = order.product_packs.get()
    result = order_cancel(
        actor=staff_actor(),
        order_number=order.order_number,
        reason="half",
        items=[(pack.pack_id, 4)],
    )
    pack.refresh_from_db()
    assert (pack.seats, pack.seats_cancelled, pack.status) == (6, 4, "active")
    assert result.order.status == "partly_cancelled"
    # What is left can be taken back later; then the order is cancelled.
    order_cancel(actor=staff_actor(), order_number=order.order_number, reason="rest")
    assert Order.objects.get(pk=order.pk).status == "cancelled"
    with pytest.raises(Conflict) as nothing:
        order_cancel(actor=staff_actor(), order_number=order.order_number, reason="again")
    assert nothing.value.code == "nothing_to_cancel"


def test_seats_in_use_block_a_cancel_and_name_the_devices_in_the_way(company):
    order = make_order(company, packs=[("WE", 4)])
    pack = order.product_packs.get()
    ums, _ = make_ums(company, packs=[pack])
    old = make_license(pack, "00E0C5000001", ums=ums)
    new = make_license(pack, "00E0C5000002", ums=ums)
    DeviceLicense.objects.filter(pk=old.pk).update(
        issued_at=new.issued_at - datetime.timedelta(hours=1)
    )
    # 3 of 4 seats back: 2 are free, one device is in the way — the newest.
    with pytest.raises(Conflict) as blocked:
        order_cancel(
            actor=staff_actor(),
            order_number=order.order_number,
            reason="r",
            items=[(pack.pack_id, 3)],
        )
    assert blocked.value.code == "seats_in_use"
    assert blocked.value.extra == {"unit_ids": ["00E0C5000002"]}
    pack.refresh_from_db()
    assert pack.seats == 4 and not AuditEvent.objects.filter(action="pack.cancelled").exists()

    result = order_cancel(
        actor=staff_actor(),
        order_number=order.order_number,
        reason="r",
        items=[(pack.pack_id, 3)],
        return_licenses=True,
    )
    assert [r["unit_id"] for r in result.returned] == ["00E0C5000002"]
    assert DeviceLicense.objects.get(pk=new.pk).status == "returned"
    assert DeviceLicense.objects.get(pk=old.pk).status == "active"
    pack.refresh_from_db()
    assert (pack.seats, pack.seats_used) == (1, 1)
    _ledger_exact(pack)


def test_a_pack_cancelled_whole_is_unassigned(company):
    order = make_order(company, packs=[("WE", 2)])
    pack = order.product_packs.get()
    ums, _ = make_ums(company, packs=[pack])
    make_license(pack, "00E0C5000001", ums=ums)
    order_cancel(
        actor=staff_actor(), order_number=order.order_number, reason="r", return_licenses=True
    )
    pack.refresh_from_db()
    assert pack.state == "cancelled" and pack.assigned_to is None
    assert not PackAssignment.objects.filter(pack=pack).exists()
    _ledger_exact(pack)


@pytest.mark.parametrize(
    ("items", "code"),
    [
        ([("WE-NOPE1", 1)], "pack_not_on_order"),
        ([("{pack}", 11)], "cancel_too_many"),
    ],
)
def test_a_cancel_that_asks_the_impossible_is_422_and_changes_nothing(company, items, code):
    order = make_order(company, packs=[("WE", 10)])
    pack = order.product_packs.get()
    items = [(p.format(pack=pack.pack_id), n) for p, n in items]
    with pytest.raises(Invalid) as refused:
        order_cancel(actor=staff_actor(), order_number=order.order_number, reason="r", items=items)
    assert refused.value.code == code
    pack.refresh_from_db()
    assert pack.seats == 10


def test_seats_come_back_in_the_product_s_multiples(company):
    order = make_order(company, packs=[("ICG", 20)])
    pack = order.product_packs.get()
    with pytest.raises(Invalid) as refused:
        order_cancel(
            actor=staff_actor(),
            order_number=order.order_number,
            reason="r",
            items=[(pack.pack_id, 5)],
        )
    assert refused.value.code == "seats_not_multiple"


def test_a_cancel_needs_a_reason_and_an_order(company):
    order = make_order(company)
    with pytest.raises(Invalid) as blank:
        order_cancel(actor=staff_actor(), order_number=order.order_number, reason="  ")
    assert blank.value.code == "reason_required"
    with pytest.raises(NotFound):
        order_cancel(actor=staff_actor(), order_number="SO-NONE", reason="r")


def test_split_off_packs_carry_the_order_and_are_taken_back_too(company):
    order = make_order(company, packs=[("WE", 10)])
    pack = order.product_packs.get()
    _source, created = pack_split(actor=staff_actor(), pack=pack, seats=4)
    result = order_cancel(actor=staff_actor(), order_number=order.order_number, reason="r")
    assert {p.pack_id for p in result.packs} == {pack.pack_id, created.pack_id}
    assert sum(p.seats_cancelled for p in result.packs) == 10


@settings(max_examples=40, deadline=None)
@given(
    seats=st.integers(min_value=1, max_value=12),
    used=st.integers(min_value=0, max_value=12),
    take=st.integers(min_value=1, max_value=12),
    return_licenses=st.booleans(),
)
def test_cancel_arithmetic(seats, used, take, return_licenses):
    """Whatever the figures: seats taken back + seats left = seats before, never fewer seats
    than licenses, and the licenses returned are exactly those in the way (newest first)."""
    used = min(used, seats)
    take = min(take, seats)
    company = make_company()
    order = make_order(company, packs=[("WE", seats)])
    pack = order.product_packs.get()
    licenses = [make_license(pack, f"00E0C5{i:06d}") for i in range(used)]
    base = licenses[0].issued_at if licenses else None
    for i, lic in enumerate(licenses):
        DeviceLicense.objects.filter(pk=lic.pk).update(
            issued_at=base + datetime.timedelta(minutes=i)
        )
    in_way = max(0, take - (seats - used))
    newest = [f"00E0C5{i:06d}" for i in reversed(range(used))][:in_way]
    try:
        result = order_cancel(
            actor=staff_actor(),
            order_number=order.order_number,
            reason="r",
            items=[(pack.pack_id, take)],
            return_licenses=return_licenses,
        )
    except Conflict as blocked:
        assert in_way and not return_licenses
        assert blocked.extra["unit_ids"] == newest
        pack.refresh_from_db()
        assert (pack.seats, pack.seats_used) == (seats, used)
        return
    assert not in_way or return_licenses
    assert [r["unit_id"] for r in result.returned] == newest
    pack.refresh_from_db()
    assert pack.seats + pack.seats_cancelled == seats
    assert pack.seats == seats - take
    assert pack.seats_used == used - in_way
    assert pack.status == ("cancelled" if take == seats else "active")
    _ledger_exact(pack)


# --- transfer -----------------------------------------------------------------------------


def test_transfer_moves_key_and_packs_revokes_licenses_and_tells_both(company, admin_user):
    buyer = make_company(name="Buyer AG")
    buyer_admin = make_user("boss@buyer.test", company=buyer, role="administrator")
    order = make_order(company, packs=[("WE", 5), ("EMP", 3)])
    key = order.subscription_key
    we, emp = key.product_packs.order_by("pk")
    ums, _ = make_ums(company, packs=[we, emp])
    make_license(we, "00E0C5000001", ums=ums)
    make_license(emp, "00E0C5000002", ums=ums)
    ald_token_generate(actor=staff_actor(), key=key)

    result = key_transfer(actor=staff_actor(), key=key.key, to_gaid=buyer.gaid, reason="M&A")
    assert result.revoked == 2
    key.refresh_from_db()
    assert key.company_id == buyer.pk
    assert set(
        ProductPack.objects.filter(subscription_key=key).values_list("company", flat=True)
    ) == {buyer.pk}
    assert Order.objects.get(pk=order.pk).company_id == buyer.pk
    assert not PackAssignment.objects.filter(pack__in=[we, emp]).exists()
    assert DeviceLicense.objects.filter(status="revoked").count() == 2
    assert not AldToken.objects.filter(subscription_key=key).exists()
    _ledger_exact(we, emp)
    assert we.seats_used == 0 and we.assigned_to is None
    assert AuditEvent.objects.filter(company=company, action="key.transferred_out").exists()
    assert AuditEvent.objects.get(company=buyer, action="key.transferred_in").reason == "M&A"
    assert OutboxMail.objects.filter(to=admin_user.email, subject__contains=key.key).exists()
    mail = OutboxMail.objects.get(to=buyer_admin.email, subject__contains=key.key)
    assert "Reason given by the vendor: M&A" in mail.body_text


def test_a_key_with_a_renewal_awaiting_redemption_stays(company):
    order = make_order(company, packs=[("WE", 5)])
    key = order.subscription_key
    renewal_order = Order.objects.create(
        order_number="SO-REN",
        kind="renewal",
        invoice_date=datetime.date.today(),
        company=company,
        subscription_key=key,
        request_hash="y",
    )
    Renewal.objects.create(
        order=renewal_order,
        subscription_key=key,
        company=company,
        product=key.product_packs.get().product,
        seats=3,
        term_months=12,
        old_expires_on=key.expires_on,
        expires_on=key.expires_on + datetime.timedelta(days=365),
        status=Renewal.Status.AWAITING_REDEMPTION,
    )
    with pytest.raises(Conflict) as pending:
        key_transfer(actor=staff_actor(), key=key.key, to_gaid=make_company().gaid, reason="r")
    assert pending.value.code == "renewal_pending"
    assert SubscriptionKey.objects.get(pk=key.pk).company_id == company.pk


def test_transfer_refuses_an_unknown_or_the_same_company(company):
    key = make_key(company)
    with pytest.raises(Invalid) as unknown:
        key_transfer(actor=staff_actor(), key=key.key, to_gaid="GANOPE", reason="r")
    assert unknown.value.code == "unknown_gaid"
    with pytest.raises(Invalid) as same:
        key_transfer(actor=staff_actor(), key=key.key, to_gaid=company.gaid, reason="r")
    assert same.value.code == "transfer_same_company"


# --- duplicates and merge ----------------------------------------------------------------


def test_duplicates_are_found_by_canonical_name_and_address():
    a = make_company(name="Harbour Freight GmbH", postal_code="20457")
    b = make_company(name="harbour-fréight  gmbh", postal_code="20 457")
    other_country = make_company(name="Harbour Freight GmbH", postal_code="20457")
    Company.objects.filter(pk=other_country.pk).update(country="AT")
    make_company(name="Other GmbH", postal_code="20457")
    assert company_duplicates() == [
        {"companies": [a.gaid, b.gaid], "reason": "same_name_and_address"}
    ]


def test_merge_moves_everything_and_the_old_gaid_answers_410(company):
    target = make_company(name="Acme GmbH (the one)")
    both = make_user("both@acme.test", company=company, role="administrator")
    Membership.objects.create(user=both, company=target, role="user")
    only = make_user("only@acme.test", company=company, role="service_provider")
    make_user("keep@acme.test", company=target, role="administrator")
    order = make_order(company, packs=[("WE", 5)])
    pack = order.product_packs.get()
    ums, _ = make_ums(company, packs=[pack])
    make_license(pack, "00E0C5000001", ums=ums)
    theirs = make_key(target, packs=[("WE", 5)]).product_packs.get()
    make_license(theirs, "00E0C5000002")  # another device: no conflict
    old_events = AuditEvent.objects.filter(company=company).count()

    result = company_merge(
        actor=staff_actor(), gaid=company.gaid, target_gaid=target.gaid, reason="duplicate"
    )
    assert result.moved["product_packs"] == 1
    assert Membership.objects.get(user=both, company=target).role == "administrator"
    assert Membership.objects.get(user=only, company=target).role == "service_provider"
    assert not Membership.objects.filter(company=company).exists()
    assert UmsInstance.objects.get(pk=ums.pk).company_id == target.pk
    assert DeviceLicense.objects.filter(company=target, status="active").count() == 2
    assert Order.objects.get(pk=order.pk).company_id == target.pk
    assert AuditEvent.objects.filter(company=company).count() == 0
    assert AuditEvent.objects.filter(company=target).count() >= old_events + 1
    merged = Company.objects.get(pk=company.pk)
    assert merged.merged_into_id == target.pk
    _ledger_exact(pack, theirs)

    with pytest.raises(Gone) as gone:
        membership_get(user=both, gaid=company.gaid)
    assert gone.value.code == "company_merged"
    assert gone.value.extra == {"merged_into": target.gaid}
    stranger = make_user("stranger@else.test", company=make_company())
    with pytest.raises(NotFound):
        membership_get(user=stranger, gaid=company.gaid)


def test_merge_refuses_a_device_licensed_in_both_and_moves_nothing(company):
    target = make_company()
    a = make_key(company, packs=[("WE", 5)]).product_packs.get()
    b = make_key(target, packs=[("WE", 5)]).product_packs.get()
    make_license(a, "00E0C5000009")
    make_license(b, "00E0C5000009")
    with pytest.raises(Conflict) as conflict:
        company_merge(actor=staff_actor(), gaid=company.gaid, target_gaid=target.gaid, reason="r")
    assert conflict.value.code == "merge_conflict"
    assert conflict.value.extra == {"unit_ids": ["00E0C5000009"]}
    assert ProductPack.objects.get(pk=a.pk).company_id == company.pk
    assert Company.objects.get(pk=company.pk).merged_into_id is None


def test_merge_refuses_itself_and_a_merged_company(company):
    target = make_company()
    with pytest.raises(Invalid):
        company_merge(actor=staff_actor(), gaid=company.gaid, target_gaid=company.gaid, reason="r")
    company_merge(actor=staff_actor(), gaid=company.gaid, target_gaid=target.gaid, reason="r")
    with pytest.raises(NotFound):
        company_merge(actor=staff_actor(), gaid=company.gaid, target_gaid=target.gaid, reason="r")


# --- resend the contact mail ---------------------------------------------------------------


def _with_contact(order, email, outcome):
    order.contact = {"email": email, "first_name": "Cora", "last_name": "Contact"}
    order.contact_outcome = outcome
    order.save(update_fields=["contact", "contact_outcome"])
    return order


def test_resend_gives_a_pending_administrator_a_new_finalise_link(company):
    User.objects.create_user("cora@acme.test", None)
    Membership.objects.create(
        user=User.objects.get(email="cora@acme.test"), company=company, role="administrator"
    )
    order = _with_contact(make_order(company), "cora@acme.test", "administrator_created")
    sent = order_contact_mail_resend(
        actor=staff_actor(), order_number=order.order_number, reason="lost it"
    )
    assert sent == "registration_finalise"
    [mail] = OutboxMail.objects.filter(to="cora@acme.test")
    assert "/invitations/ilp" in mail.body_text and mail.template == "registration_finalise"
    event = AuditEvent.objects.get(action="order.contact_mail_resent")
    assert event.company_id == company.pk and event.reason == "lost it"


def test_resend_asks_the_administrators_again(company, admin_user):
    order = _with_contact(make_order(company), "new@acme.test", "administrators_notified")
    sent = order_contact_mail_resend(
        actor=staff_actor(), order_number=order.order_number, reason="r"
    )
    assert sent == "access_requested"
    assert OutboxMail.objects.filter(to=admin_user.email).count() == 1


def test_resend_without_a_contact_mail_is_409(company):
    order = make_order(company)
    with pytest.raises(Conflict) as none:
        order_contact_mail_resend(actor=staff_actor(), order_number=order.order_number, reason="r")
    assert none.value.code == "no_contact_mail"
    assert not OutboxMail.objects.exists()


def test_merge_cuts_the_merged_company_s_connections(company):
    target = make_company(name="Acme GmbH (the one)")
    admin = make_user("admin2@acme.test", company=company, role="administrator")
    CompanySso.objects.create(
        company=company, issuer="https://idp.acme.test", client_id="ilp", client_secret="s"
    )
    CompanyDomain.objects.create(
        company=company, domain="acme.test", token="t", verified_at=timezone.now()
    )
    scim_token_issue(actor=staff_actor(), company=company)
    WebhookEndpoint.objects.create(
        endpoint_id="we_MERGED", company=company, url="https://hooks.acme.test/ilp",
        events=["license.issued"], secret=secret_new(),
    )  # fmt: skip
    only, _raw = api_token_create(
        actor=staff_actor(), user=admin, name="only", companies=[company.gaid]
    )
    everywhere, _raw = api_token_create(actor=staff_actor(), user=admin, name="all")

    result = company_merge(
        actor=staff_actor(), gaid=company.gaid, target_gaid=target.gaid, reason="duplicate"
    )
    assert not CompanySso.objects.filter(company=company).exists()
    assert not CompanyDomain.objects.filter(company=company).exists()
    assert not ScimToken.objects.filter(company=company).exists()
    assert not WebhookEndpoint.objects.filter(company=company).exists()
    assert ApiToken.objects.get(pk=only.pk).revoked_at is not None
    assert ApiToken.objects.get(pk=everywhere.pk).revoked_at is None
    dropped = AuditEvent.objects.get(company=target, action="company.merged").after["dropped"]
    assert dropped == {
        "api_tokens_revoked": 1, "sso": True, "domains": ["acme.test"], "scim_token": True,
        "webhooks": 1,
    }  # fmt: skip
    assert result.target == target


def test_a_cancel_tells_the_company_s_webhooks(company):
    endpoint = WebhookEndpoint.objects.create(
        endpoint_id="we_CANCEL", company=company, url="https://hooks.acme.test/ilp",
        events=["product_pack.changed", "license.returned"], secret=secret_new(),
    )  # fmt: skip
    order = make_order(company, packs=[("WE", 5)])
    pack = order.product_packs.get()
    make_license(pack, "00E0C5000009")
    order_cancel(
        actor=staff_actor(), order_number=order.order_number, reason="credit note",
        return_licenses=True,
    )  # fmt: skip
    sent = {
        d.event_type: json.loads(d.body)["data"]
        for d in WebhookDelivery.objects.filter(endpoint=endpoint)
    }
    assert sent["product_pack.changed"]["id"] == pack.pack_id
    assert sent["product_pack.changed"]["change"] == "cancel"
    assert sent["license.returned"]["unit_id"] == "00E0C5000009"
