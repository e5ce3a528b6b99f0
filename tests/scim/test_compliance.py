"""scim2-tester, the outside SCIM compliance checker, against a running ILP server.

The test live server (a real HTTP server in a thread, over the test database) serves a
company with an administrator and a SCIM token; scim2-tester's `check_server` runs every
check against `<live server>/scim/v2/<gaid>/` through its httpx2 client, and the test asserts
that none failed (the results are printed: `pytest -s` shows them).

Two things the checker cannot learn from a SCIM schema are told to it here (docs/scim.md,
"Decisions"): a `userName` must be an e-mail address (the checker would invent a random
string), and the Groups are the three fixed roles, which cannot be created or deleted, so
the Group lifecycle checks (create, replace, delete a group) are not run; tests/scim/
test_scim_api.py covers the Groups.
"""

import uuid

import httpx2
import pytest
import scim2_tester.filling as filling
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from ilp.accounts.models import Membership
from ilp.core.actors import Actor
from ilp.scim.services import scim_token_issue
from tests.accounts.factories import make_company, make_user

FAILED = (Status.ERROR, Status.CRITICAL)


@pytest.fixture
def email_user_names(monkeypatch):
    """The checker fills `userName` with e-mail addresses (ILP's userName is the e-mail)."""
    original = filling.generate_random_value

    def generate(context, path, *args, **kwargs):
        if str(path).lower().endswith("username"):
            value = original(context, path, *args, **kwargs)
            if value is None:
                return None
            return f"{uuid.uuid4().hex}@scim-tester.example"
        return original(context, path, *args, **kwargs)

    monkeypatch.setattr(filling, "generate_random_value", generate)


@pytest.mark.django_db(transaction=True)
def test_scim2_tester_reports_no_failure(live_server, settings, email_user_names):
    settings.ILP_BASE_URL = live_server.url
    company = make_company(name="Provisioned GmbH")
    admin = make_user("it@provisioned.test", company=company, role="administrator")
    token = scim_token_issue(actor=Actor.for_user(admin), company=company)
    base = f"{live_server.url}/scim/v2/{company.gaid}/"

    with httpx2.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
        client = SyncSCIMClient(http)
        results = check_server(client, resource_types=["User"])

    for result in results:
        kind = result.resource_type or "-"
        print(f"{result.status.name:10} {kind:6} {result.title}: {result.reason}")
    failed = [r for r in results if r.status in FAILED]
    assert not failed, "\n".join(f"{r.title}: {r.reason} {r.data!r}" for r in failed)
    ran = [r for r in results if r.status == Status.SUCCESS]
    assert len(ran) >= 15, f"only {len(ran)} checks succeeded: did the checker run at all?"
    # The checker really provisioned through ILP: the administrator is still the only member
    # left (each user it made was deleted again), and nothing else changed her.
    assert list(
        Membership.objects.filter(company=company).values_list("user__email", flat=True)
    ) == ["it@provisioned.test"]
