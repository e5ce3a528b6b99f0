"""Provisioning races on PostgreSQL: two POSTs of one new person make one member (the other
is 409 `uniqueness`, never a 500); two deactivations of a company's two administrators leave
one (row locks of accounts' last-administrator rule)."""

import threading

import pytest
from django.db import connection

from ilp.accounts.models import Membership, User
from ilp.core.actors import Actor
from ilp.scim.services import scim_token_issue
from tests.accounts.factories import make_company, make_user
from tests.scim.test_scim_api import USER_SCHEMA, Scim

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(*calls):
    barrier = threading.Barrier(len(calls))
    statuses = []

    def run(call):
        try:
            barrier.wait()
            statuses.append(call().status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(statuses)


def test_two_posts_of_one_new_person_make_one_member():
    company = make_company()
    admin = make_user("it@x.test", company=company, role="administrator")
    token = scim_token_issue(actor=Actor.for_user(admin), company=company)
    body = {"schemas": [USER_SCHEMA], "userName": "twice@x.test", "active": True}
    statuses = _race(
        lambda: Scim(company.gaid, token).post("Users", body),
        lambda: Scim(company.gaid, token).post("Users", body),
    )
    assert statuses == [201, 409]
    assert User.objects.filter(email="twice@x.test").count() == 1
    assert Membership.objects.filter(company=company, user__email="twice@x.test").count() == 1


def test_deactivating_both_administrators_at_once_leaves_one():
    company = make_company()
    a = make_user("a@x.test", company=company, role="administrator")
    make_user("b@x.test", company=company, role="administrator")
    token = scim_token_issue(actor=Actor.for_user(a), company=company)
    scim = Scim(company.gaid, token)
    ids = [
        scim.get("Users", filter=f'userName eq "{e}"').json()["Resources"][0]["id"]
        for e in ("a@x.test", "b@x.test")
    ]
    off = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }
    statuses = _race(
        *[lambda i=i: Scim(company.gaid, token)._send("patch", f"Users/{i}", off) for i in ids]
    )
    assert statuses == [200, 409]
    assert Membership.objects.filter(company=company, role="administrator").count() == 1
