"""Events cost one indexed read per transaction when nobody subscribes, and a batch writes its
events in bulk, not one insert per license."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ilp.core.actors import Actor
from ilp.webhooks.models import WebhookDelivery
from ilp.webhooks.services import endpoint_create
from tests.conftest import ApiClient
from tests.licensing.factories import make_key
from tests.rollout.factories import make_ums

# Committed like real requests: the endpoint read is remembered only within a transaction.
pytestmark = [pytest.mark.usefixtures("catalogue"), pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.ILP_SIGNING_KEY = ""
    settings.ILP_WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]


def _issue(credential, unit_ids):
    client = ApiClient(credential)
    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/ums/licenses", {"product": "WE", "unit_ids": unit_ids})
    assert response.status_code == 200, response.content
    return [q["sql"] for q in ctx.captured_queries]


def _webhook_statements(sqls):
    return [s for s in sqls if "webhooks_" in s]


@pytest.mark.parametrize("subscribed_elsewhere", [False, True])
def test_single_device_issuance_adds_one_read_and_no_write(company, subscribed_elsewhere):
    pack = make_key(company, packs=[("WE", 20)]).product_packs.get()
    _ums, credential = make_ums(company, packs=[pack])
    if subscribed_elsewhere:  # an endpoint that does not take license.issued
        endpoint_create(
            actor=Actor.system(),
            company=company,
            url="http://127.0.0.1:9/x",
            events=["member.added"],
        )
    _issue(credential, ["00E0C5000001"])  # warm-up
    sqls = _issue(credential, ["00E0C5000002"])
    touching = _webhook_statements(sqls)
    assert len(touching) == 1 and touching[0].lstrip().upper().startswith("SELECT")
    assert WebhookDelivery.objects.count() == 0


def test_a_batch_writes_its_events_in_bulk(company):
    pack = make_key(company, packs=[("WE", 1000)]).product_packs.get()
    _ums, credential = make_ums(company, packs=[pack])
    endpoint_create(
        actor=Actor.system(),
        company=company,
        url="http://127.0.0.1:9/x",
        events=["license.issued"],
    )
    sqls = _issue(credential, [f"00E0C5{i:06d}" for i in range(1000)])
    assert WebhookDelivery.objects.filter(event_type="license.issued").count() == 1000
    writes = [s for s in _webhook_statements(sqls) if "INSERT" in s.upper() or "COPY" in s]
    # COPY on PostgreSQL (one, which Django's query log does not show) or bulk_create batches
    # (SQLite: its variable limit), never one insert per license.
    assert len(writes) <= 20
    if connection.vendor == "sqlite":
        assert writes


def test_the_schema_names_exactly_the_contract_s_event_types():
    from typing import get_args

    from ilp.webhooks.events import EVENT_TYPES
    from ilp.webhooks.schemas import EventType

    assert list(get_args(EventType)) == list(EVENT_TYPES)
