"""Races of single sign-on on PostgreSQL: two companies verifying one domain at once, and
one person's two first sign-ins (just in time) at once."""

import threading

import pytest
from django.db import connection

from ilp.accounts.models import Membership, User
from ilp.core.actors import Actor
from ilp.core.errors import Conflict
from ilp.sso import services
from ilp.sso.models import CompanyDomain, CompanySso
from tests.accounts.factories import make_company, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _together(*calls):
    barrier = threading.Barrier(len(calls))
    outcomes = []

    def run(call):
        try:
            barrier.wait()
            outcomes.append(call())
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_two_companies_verifying_one_domain_at_once_give_it_to_one(test_dns, settings):
    memberships = []
    for name in ("One", "Two"):
        company = make_company(name=name)
        admin = make_user(f"boss@{name.lower()}.test", company=company, role="administrator")
        memberships.append(Membership.objects.select_related("company").get(user=admin))
    domains = [
        services.domain_add(actor=Actor.system(), membership=m, domain="race.test")
        for m in memberships
    ]
    test_dns.records["race.test"] = [d.verification for d in domains]
    outcomes = _together(
        *(
            lambda m=m: (
                services.domain_verify(
                    actor=Actor.system(), membership=m, domain="race.test"
                ).verified
            )
            for m in memberships
        )
    )
    assert sorted(map(str, outcomes)) == ["True", "domain_taken"]
    assert CompanyDomain.objects.filter(domain="race.test", verified_at__isnull=False).count() == 1


def test_two_first_sign_ins_at_once_make_one_member():
    company = make_company(name="Acme")
    sso = CompanySso.objects.create(
        company=company,
        issuer="http://127.0.0.1:1",
        client_id="c",
        client_secret="s",
        jit_role="user",
    )
    CompanyDomain.objects.create(
        company=company, domain="acme.test", token="t", verified_at="2026-01-01T00:00Z"
    )
    claims = {"email": "new@acme.test", "email_verified": True}
    outcomes = _together(
        *(lambda: services.sso_person(sso=sso, claims=claims).user.email for _ in range(2))
    )
    assert outcomes == ["new@acme.test", "new@acme.test"]
    assert User.objects.filter(email="new@acme.test").count() == 1
    assert Membership.objects.filter(company=company, user__email="new@acme.test").count() == 1
