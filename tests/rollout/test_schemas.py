"""The fast answer of POST /ums/licenses (`issue_out_data`) equals what the schema makes."""

import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from ilp.core.actors import Actor
from ilp.rollout.schemas import IssueOut, issue_out_data
from ilp.rollout.services import license_return, licenses_issue
from tests.licensing.factories import make_key
from tests.rollout.factories import issue, make_ums

pytestmark = pytest.mark.django_db


def _both(results):
    fast = json.loads(json.dumps(issue_out_data(results), cls=DjangoJSONEncoder))
    schema = IssueOut.model_validate({"results": results}, from_attributes=True)
    return fast, json.loads(json.dumps(schema.model_dump(), cls=DjangoJSONEncoder))


def test_issued_existing_refused_and_returned_licenses_answer_as_the_schema_does(ums, pack):
    results = issue(ums, "WE", "AAAAAA01", "not a unit id", "AAAAAA02", "AAAAAA01")
    results += issue(ums, "WE", *(f"BBBBBB{n:02d}" for n in range(5)))  # past the 5 seats
    license_return(actor=Actor.system(), license=results[0].license)
    statuses = {r.status for r in results}
    assert {"issued", "existing", "invalid_unit_id", "no_free_seat"} <= statuses
    fast, schema = _both(results)
    assert fast == schema
    assert fast["results"][0]["license"]["status"] == "returned"


def test_demo_licenses_answer_as_the_schema_does(ums, pack):
    results = licenses_issue(
        actor=Actor.for_ums(ums), ums=ums, product="EMP", unit_ids=["CCCCCC01"], demo=True
    )
    assert results[0].status == "demo_issued"
    fast, schema = _both(results)
    assert fast == schema
    assert fast["results"][0]["license"]["demo"] is True


def test_licenses_of_several_packs_and_instances_each_name_their_own(company):
    """The answer's names are memoised per (product, pack, UMS): each license still names
    its own pack and UMS when one answer, or one memo, spans several."""
    first, second = make_key(company, packs=[("WE", 2), ("WE", 2)]).product_packs.order_by("pk")
    berlin, _ = make_ums(company, name="Berlin", packs=[first, second])
    results = issue(berlin, "WE", *(f"DDDDDD{n:02d}" for n in range(4)))
    assert {r.license.pack_id for r in results} == {first.pk, second.pk}
    fast, schema = _both(results)
    assert fast == schema
    assert {r["license"]["pack_id"] for r in fast["results"]} == {first.pack_id, second.pack_id}
    license_return(actor=Actor.system(), license=results[0].license)
    munich, _ = make_ums(company, name="Munich", packs=make_key(company).product_packs.all())
    again = issue(munich, "WE", "EEEEEE01")
    fast, schema = _both(results + again)
    assert fast == schema
    assert {r["license"]["ums_id"] for r in fast["results"]} == {berlin.ums_id, munich.ums_id}
