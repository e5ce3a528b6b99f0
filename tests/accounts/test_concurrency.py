"""Concurrent demotions cannot remove the last administrator, concurrent wrong codes cannot
slip past the two-factor lock (PostgreSQL row locks)."""

import threading

import pytest
from django.db import connection

from ilp.accounts import services
from ilp.accounts.models import AccessRequest, Membership, TwoFactor
from ilp.core.actors import Actor
from ilp.core.errors import Conflict, Throttled
from ilp.licensing.models import SubscriptionKey
from ilp.notifications.models import OutboxMail
from tests.accounts.factories import make_company, make_user
from tests.accounts.test_two_factor import enable

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_admins_demoting_each_other_at_once_leave_one_administrator():
    company = make_company()
    a = make_user("a@x.test", company=company, role="administrator")
    b = make_user("b@x.test", company=company, role="administrator")
    barrier = threading.Barrier(2)
    outcomes = []

    def demote(actor_user, target_email):
        try:
            barrier.wait()
            services.member_role_change(
                actor=Actor.for_user(actor_user), company=company, email=target_email, role="user"
            )
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=demote, args=(a, "b@x.test")),
        threading.Thread(target=demote, args=(b, "a@x.test")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["last_administrator", "ok"]
    assert Membership.objects.filter(company=company, role="administrator").count() == 1


def test_concurrent_removals_leave_one_administrator():
    company = make_company()
    make_user("a@x.test", company=company, role="administrator")
    make_user("b@x.test", company=company, role="administrator")
    barrier = threading.Barrier(2)
    outcomes = []

    def remove(email):
        try:
            barrier.wait()
            services.member_remove(actor=Actor.system(), company=company, email=email)
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=remove, args=(e,)) for e in ("a@x.test", "b@x.test")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["last_administrator", "ok"]
    assert Membership.objects.filter(company=company, role="administrator").count() == 1


def test_the_last_two_administrators_deleting_their_accounts_at_once_leave_one():
    company = make_company()
    people = [make_user(f"{name}@x.test", company=company, role="administrator") for name in "ab"]
    links = []
    for person in people:
        services.account_deletion_request(actor=Actor.for_user(person), user=person)
        body = OutboxMail.objects.filter(to=person.email).latest("pk").body_text
        links.append(body.split("/account/delete/", 1)[1].split()[0])
    barrier = threading.Barrier(2)
    outcomes = []

    def delete(person, token):
        try:
            barrier.wait()
            services.account_deletion_confirm(
                actor=Actor.for_user(person), user=person, token=token
            )
            outcomes.append("deleted")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    pairs = zip(people, links, strict=True)
    threads = [threading.Thread(target=delete, args=pair) for pair in pairs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["deleted", "last_administrator"]
    assert Membership.objects.filter(company=company, role="administrator").count() == 1


def test_two_claims_finalised_at_once_give_exactly_one_administrator():
    """Security review, third round: two claim links of a company without administrator,
    finalised at the same moment; the company's row lock lets exactly one through."""
    company = make_company()
    SubscriptionKey.objects.create(company=company, key="SK-AAAA-BBBB-CCCC")
    tokens = []
    for email in ("a@x.test", "b@x.test"):
        services.registration_create(
            email=email,
            first_name="A",
            last_name="B",
            gaid=company.gaid,
            subscription_key="SK-AAAA-BBBB-CCCC",
        )
        body = OutboxMail.objects.filter(to=email).latest("pk").body_text
        tokens.append(body.split("/invitations/", 1)[1].split()[0])
    barrier = threading.Barrier(2)
    outcomes = []

    def finalise(token):
        try:
            barrier.wait()
            services.invitation_accept(
                token=token, first_name="A", last_name="B", password="a-long enough passphrase 42"
            )
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=finalise, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["company_has_administrator", "ok"]
    assert Membership.objects.filter(company=company).count() == 1
    assert Membership.objects.get(company=company).role == "administrator"
    assert AccessRequest.objects.filter(company=company, resolved_at__isnull=True).count() == 1


def test_concurrent_wrong_codes_cannot_slip_past_the_lock():
    """Ten guesses at once: the TwoFactor row's lock makes each see the count of the one
    before, so exactly five are checked (the 5th locks) and the others get otp_locked."""
    user = make_user("anna@x.test")
    enable(user)
    barrier = threading.Barrier(10)
    outcomes = []

    def guess():
        try:
            barrier.wait()
            outcomes.append(services.otp_verify(user=user, code="000000"))
        except Throttled as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=guess) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(str, outcomes)) == ["False"] * 5 + ["otp_locked"] * 5
    assert TwoFactor.objects.get(user=user).failures == 5
    assert OutboxMail.objects.filter(template="two_factor_locked").count() == 1
