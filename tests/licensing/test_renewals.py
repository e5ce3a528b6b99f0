"""Renewal services (rules 6–8): same, more and fewer seats; redeem."""

import datetime

import pytest
from django.db.models import Sum

from ilp.accounts.models import Membership
from ilp.audit.models import AuditEvent
from ilp.core.actors import Actor
from ilp.core.errors import Conflict, Invalid
from ilp.licensing.models import Order, ProductPack, Renewal
from ilp.licensing.selectors import renewal_candidates
from ilp.licensing.services.packs import add_months as months_add
from ilp.licensing.services.renewals import renewal_order_apply, renewal_redeem
from ilp.notifications.models import OutboxMail
from ilp.rollout.models import DeviceLicense
from ilp.rollout.services import pack_merge, pack_split
from tests.accounts.factories import add_member, make_user
from tests.licensing.factories import make_key, make_license, make_pack, product
from tests.rollout.factories import resign_tasks_queued, resign_tasks_run

pytestmark = pytest.mark.django_db

ACTOR = Actor.system()
D = datetime.date


def make_order(key, number="R-1", invoice_date=None) -> Order:
    return Order.objects.create(
        order_number=number,
        kind="renewal",
        invoice_date=invoice_date or datetime.date.today(),
        company=key.company,
        subscription_key=key,
        request_hash="x",
    )


def renew(key, items, number="R-1"):
    order = make_order(key, number)
    return renewal_order_apply(
        actor=ACTOR,
        order=order,
        subscription_key=key,
        items=[
            {"product": sku, "seats": seats, "term_months": months} for sku, seats, months in items
        ],
    )


def live(key, sku="WE"):
    return ProductPack.objects.filter(
        subscription_key=key, product__sku=sku, state="live"
    ).order_by("pk")


def test_months_add_uses_calendar_months_and_clamps_the_day():
    assert months_add(D(2026, 11, 1), 12) == D(2027, 11, 1)
    assert months_add(D(2027, 1, 31), 1) == D(2027, 2, 28)
    assert months_add(D(2027, 11, 30), 3) == D(2028, 2, 29)
    assert months_add(D(2026, 12, 15), 1) == D(2027, 1, 15)


def test_same_seats_extend_the_key_and_every_active_pack(company):
    key = make_key(company, packs=[("WE", 10), ("WE", 5), ("EMP", 3)])
    old = key.expires_on
    status, packs = renew(key, [("WE", 15, 12)])
    new = months_add(old, 12)
    assert status == "fulfilled"
    assert {p.pk for p in packs} == set(live(key).values_list("pk", flat=True))
    assert all(p.expires_on == new for p in live(key))
    assert live(key, "EMP").get().expires_on == old  # not renewed by this order
    key.refresh_from_db()
    assert key.expires_on == new
    renewal = Renewal.objects.get()
    assert (renewal.status, renewal.old_expires_on, renewal.expires_on) == ("applied", old, new)
    assert AuditEvent.objects.filter(action="renewal.applied").count() == 1


def test_a_late_renewal_is_backdated_from_the_old_expiry(company):
    today = datetime.date.today()
    expired = today - datetime.timedelta(days=40)
    key = make_key(
        company,
        packs=[("WE", 10)],
        starts_on=expired - datetime.timedelta(days=365),
        expires_on=expired,
    )
    assert live(key).get().status == "expired"
    status, packs = renew(key, [("WE", 10, 12)])
    assert status == "fulfilled"
    pack = live(key).get()
    assert pack.expires_on == months_add(expired, 12)  # not today + 12
    assert pack.status == "active"


def test_packs_left_behind_by_an_earlier_decrease_are_not_renewed(company):
    key = make_key(company, packs=[("WE", 10)])
    old = key.expires_on
    leftover = make_pack(key, "WE", 4, expires_on=old - datetime.timedelta(days=100))
    status, packs = renew(key, [("WE", 10, 12)])
    assert status == "fulfilled" and leftover.pk not in {p.pk for p in packs}
    leftover.refresh_from_db()
    assert leftover.expires_on == old - datetime.timedelta(days=100)


def test_more_seats_add_a_pack_with_the_extra_seats_that_can_be_merged(company):

    key = make_key(company, packs=[("WE", 10)])
    original = live(key).get()
    status, packs = renew(key, [("WE", 12, 12)], number="R-MORE")
    assert status == "fulfilled"
    extra = live(key).exclude(pk=original.pk).get()
    assert extra.seats == 2 and extra.order.order_number == "R-MORE"
    key.refresh_from_db()
    assert extra.expires_on == key.expires_on == live(key).first().expires_on
    assert {p.pk for p in packs} == {original.pk, extra.pk}
    target, _ = pack_merge(actor=ACTOR, packs=[original, extra])  # rule 7: merge later
    assert target.seats == 12


def test_fewer_seats_wait_for_redemption_and_change_nothing(company):
    key = make_key(company, packs=[("WE", 10), ("WE", 5)])
    old = key.expires_on
    status, packs = renew(key, [("WE", 10, 12)])
    assert status == "awaiting_redemption" and packs == []
    assert all(p.expires_on == old for p in live(key))
    key.refresh_from_db()
    assert key.expires_on == old
    assert Renewal.objects.get().status == "awaiting_redemption"


def test_redeem_picks_whole_packs_that_add_up_exactly(company):
    key = make_key(company, packs=[("WE", 10), ("WE", 5)])
    old = key.expires_on
    renew(key, [("WE", 10, 12)])
    renewal = Renewal.objects.get()
    ten, five = live(key)
    with pytest.raises(Invalid) as exc:
        renewal_redeem(actor=ACTOR, renewal=renewal, packs=[five])
    assert exc.value.code == "seats_not_conserved"
    picked = renewal_redeem(actor=ACTOR, renewal=renewal, packs=[ten])
    assert [p.pk for p in picked] == [ten.pk]
    ten.refresh_from_db()
    five.refresh_from_db()
    assert ten.expires_on == months_add(old, 12) and five.expires_on == old
    renewal.refresh_from_db()
    assert renewal.status == "redeemed" and renewal.redeemed_at is not None
    key.refresh_from_db()
    assert key.expires_on == months_add(old, 12)
    with pytest.raises(Conflict) as exc:
        renewal_redeem(actor=ACTOR, renewal=renewal, packs=[ten])
    assert exc.value.code == "renewal_already_redeemed"
    assert AuditEvent.objects.filter(action="renewal.redeemed").count() == 1


def test_redeem_after_a_split_to_fit(company):
    key = make_key(company, packs=[("WE", 10)])
    renew(key, [("WE", 7, 12)])
    renewal = Renewal.objects.get()
    membership = add_member(make_user(), company)
    (pack,) = renewal_candidates(membership=membership, renewal=renewal)
    with pytest.raises(Invalid):
        renewal_redeem(actor=ACTOR, renewal=renewal, packs=[pack])
    source, created = pack_split(actor=ACTOR, pack=pack, seats=3)
    candidates = renewal_candidates(membership=membership, renewal=renewal)
    assert {p.pk for p in candidates} == {source.pk, created.pk}
    renewal_redeem(actor=ACTOR, renewal=renewal, packs=[source])
    source.refresh_from_db()
    created.refresh_from_db()
    assert source.expires_on == renewal.expires_on and created.expires_on == renewal.old_expires_on


def test_redeem_refuses_packs_of_another_key_or_product(company):
    key = make_key(company, packs=[("WE", 10), ("WE", 5), ("EMP", 10)])
    other = make_key(company, packs=[("WE", 10)])
    renew(key, [("WE", 10, 12)])
    renewal = Renewal.objects.get()
    for pack in (other.product_packs.get(), live(key, "EMP").get()):
        with pytest.raises(Invalid) as exc:
            renewal_redeem(actor=ACTOR, renewal=renewal, packs=[pack])
        assert exc.value.code == "pack_not_renewable"
    with pytest.raises(Invalid) as exc:
        renewal_redeem(actor=ACTOR, renewal=renewal, packs=[])
    assert exc.value.code == "no_packs_picked"


def test_an_applied_renewal_cannot_be_redeemed(company):
    key = make_key(company, packs=[("WE", 10)])
    renew(key, [("WE", 10, 12)])
    with pytest.raises(Conflict) as exc:
        renewal_redeem(actor=ACTOR, renewal=Renewal.objects.get(), packs=list(live(key)))
    assert exc.value.code == "renewal_not_awaiting"


def test_a_second_renewal_waits_for_the_pending_one(company):
    key = make_key(company, packs=[("WE", 10)])
    renew(key, [("WE", 5, 12)], number="R-1")
    with pytest.raises(Conflict) as exc:
        renew(key, [("WE", 10, 12)], number="R-2")
    assert exc.value.code == "renewal_pending"


def test_order_with_several_products_is_applied_per_product(company):
    key = make_key(company, packs=[("WE", 10), ("EMP", 10)])
    old = key.expires_on
    status, packs = renew(key, [("WE", 10, 12), ("EMP", 4, 12)])
    assert status == "awaiting_redemption"
    assert [p.product.sku for p in packs] == ["WE"]
    assert live(key, "EMP").get().expires_on == old
    assert set(Renewal.objects.values_list("product__sku", "status")) == {
        ("WE", "applied"),
        ("EMP", "awaiting_redemption"),
    }


@pytest.mark.parametrize(
    ("items", "code"),
    [
        ([("WE-P", 10, 12)], "renewal_perpetual_product"),
        ([("EMP", 10, 12)], "product_not_on_key"),
        ([("WE", 5, 12), ("WE", 5, 24)], "renewal_terms_differ"),
    ],
)
def test_invalid_renewal_items(company, items, code):
    key = make_key(company, packs=[("WE", 10)])
    with pytest.raises(Invalid) as exc:
        renew(key, items)
    assert exc.value.code == code


def test_items_of_one_product_add_up(company):
    key = make_key(company, packs=[("WE", 10)])
    status, _ = renew(key, [("WE", 6, 12), ("WE", 4, 12)])
    assert status == "fulfilled" and live(key).count() == 1


def test_order_items_as_model_rows_are_accepted(company):
    key = make_key(company, packs=[("WE", 10)])
    order = make_order(key)
    item = order.items.create(product=product("WE"), seats=10, term_months=12)
    status, _ = renewal_order_apply(actor=ACTOR, order=order, subscription_key=key, items=[item])
    assert status == "fulfilled"


def test_renewal_mail_goes_to_administrators_and_opted_in_members(company):
    make_user("admin@acme.test", company=company, role="administrator")
    make_user("sp@acme.test", company=company, role="service_provider")
    keen = make_user("keen@acme.test", company=company, role="user")
    Membership.objects.filter(user=keen).update(notify=True)
    key = make_key(company, packs=[("WE", 10)])
    renew(key, [("WE", 10, 12)])
    mails = OutboxMail.objects.filter(template="renewal_applied")
    assert set(mails.values_list("to", flat=True)) == {"admin@acme.test", "keen@acme.test"}
    mail = mails.get(to="admin@acme.test")
    assert key.key in mail.subject and "R-1" in mail.body_text


def test_a_decrease_asks_administrators_to_redeem(company):
    make_user("admin@acme.test", company=company, role="administrator")
    key = make_key(company, packs=[("WE", 10)])
    renew(key, [("WE", 4, 12)])
    mail = OutboxMail.objects.get(template="renewal_awaiting")
    assert mail.to == "admin@acme.test" and "Redeem renewal" in mail.body_text
    assert not OutboxMail.objects.filter(template="renewal_applied").exists()


def test_renewals_never_change_seats_unless_more_were_ordered(company):
    key = make_key(company, packs=[("WE", 10), ("WE", 5)])

    def total():
        return live(key).aggregate(s=Sum("seats"))["s"]

    renew(key, [("WE", 15, 12)], number="R-1")
    assert total() == 15
    renew(key, [("WE", 20, 12)], number="R-2")
    assert total() == 20


def test_licenses_of_renewed_packs_are_signed_again_with_the_new_expiry(
    company, django_capture_on_commit_callbacks
):
    key = make_key(company, packs=[("WE", 10), ("WE", 5)])
    ten, five = live(key)
    on_ten = make_license(ten, "00E0C5000010")
    on_five = make_license(five, "00E0C5000005")
    renew(key, [("WE", 10, 12)], number="R-1")
    with django_capture_on_commit_callbacks(execute=True):
        renewal_redeem(actor=ACTOR, renewal=Renewal.objects.get(), packs=[ten])
    # The redemption committed its dates only; the worker signs the documents afterwards.
    assert DeviceLicense.objects.get(pk=on_ten.pk).token == "test-token"
    assert resign_tasks_queued() == [[ten.pk]]
    assert resign_tasks_run() == 1
    ten.refresh_from_db()
    on_ten = DeviceLicense.objects.get(pk=on_ten.pk)
    assert on_ten.expires_on == ten.expires_on and on_ten.token != "test-token"
    assert DeviceLicense.objects.get(pk=on_five.pk).token == "test-token"  # not renewed
