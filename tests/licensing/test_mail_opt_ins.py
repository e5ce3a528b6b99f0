"""The two mail opt-ins of a member (profile): "a new subscription key arrived" decides the
new-key and packs-added mails; "a pack is about to expire" the expiry reminders. Every
administrator gets both, always."""

import datetime

import pytest

from ilp.accounts.models import Membership
from ilp.core.actors import Actor
from ilp.licensing.services.orders import order_create
from ilp.licensing.services.reminders import reminders_queue
from ilp.notifications.models import OutboxMail
from tests.accounts.factories import make_user
from tests.licensing.factories import make_key


def today() -> datetime.date:
    """Today, read when a test runs (a module constant goes stale across midnight)."""
    return datetime.date.today()


@pytest.fixture
def people(company):
    admin = make_user("admin@acme.test", company=company, role="administrator")
    keys = make_user("keys@acme.test", company=company, role="user")
    expiry = make_user("expiry@acme.test", company=company, role="user")
    silent = make_user("silent@acme.test", company=company, role="user")
    Membership.objects.filter(user=keys).update(notify=False, notify_new_key=True)
    Membership.objects.filter(user=expiry).update(notify=True, notify_new_key=False)
    Membership.objects.filter(user=silent).update(notify=False, notify_new_key=False)
    return admin, keys, expiry, silent


def _mailed(template: str) -> set[str]:
    return set(OutboxMail.objects.filter(template=template).values_list("to", flat=True))


def test_a_new_key_mails_the_administrators_and_who_opted_in_to_new_keys(company, people):
    order_create(
        actor=Actor.system(),
        order_number="SO-OPT-1",
        kind="new",
        invoice_date=today(),
        end_customer={"gaid": company.gaid},
        items=[{"product": "WE", "seats": 5, "term_months": 12}],
    )
    assert _mailed("new_subscription_key") == {"admin@acme.test", "keys@acme.test"}


def test_expiry_reminders_mail_the_administrators_and_who_opted_in_to_expiry(company, people):
    make_key(company, packs=[("WE", 10)], expires_on=today() + datetime.timedelta(days=7))
    reminders_queue(today=today())
    assert _mailed("expiry_reminder") == {"admin@acme.test", "expiry@acme.test"}
