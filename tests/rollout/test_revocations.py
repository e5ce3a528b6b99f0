"""The revocation list (rule 21) after the security review's third round: it names only the
licenses issued through the caller's packs, and it expires."""

import pytest

from ilp.rollout import signing
from ilp.rollout.models import DeviceLicense
from tests.conftest import ApiClient
from tests.licensing.factories import make_key
from tests.rollout.factories import issue, make_ums

pytestmark = pytest.mark.django_db


def _revoked(client) -> list[str]:
    token = client.get("/ums/revocations").json()["token"]
    return signing.jws_verify(token, signing.jwks())[1]["revoked"]


def _revoked_in_file(client) -> list[str]:
    file_claims = signing.jws_verify(
        client.get("/ums/license-file").content.decode(), signing.jwks()
    )
    return signing.jws_verify(file_claims[1]["revocations"], signing.jwks())[1]["revoked"]


def test_a_ums_does_not_see_another_ums_returned_licenses(company):
    """Security review, third round: two UMS of one company; each list (and license file)
    names only the licenses that UMS returned."""
    key = make_key(company, packs=[("WE", 5), ("WE", 5)])
    first_pack, second_pack = key.product_packs.order_by("pk")
    berlin, berlin_credential = make_ums(company, name="UMS Berlin", packs=[first_pack])
    hamburg, hamburg_credential = make_ums(company, name="UMS Hamburg", packs=[second_pack])
    in_berlin = issue(berlin, "WE", "AAAAAA01")[0].license
    in_hamburg = issue(hamburg, "WE", "AAAAAA02")[0].license
    berlin_api, hamburg_api = ApiClient(berlin_credential), ApiClient(hamburg_credential)
    assert berlin_api.delete(f"/ums/licenses/{in_berlin.license_id}").status_code == 204
    assert hamburg_api.delete(f"/ums/licenses/{in_hamburg.license_id}").status_code == 204
    assert _revoked(berlin_api) == [in_berlin.license_id]
    assert _revoked(hamburg_api) == [in_hamburg.license_id]
    assert _revoked_in_file(berlin_api) == [in_berlin.license_id]
    assert _revoked_in_file(hamburg_api) == [in_hamburg.license_id]


def test_an_ald_token_sees_only_its_keys_returned_licenses(company, admin_api):
    mine, theirs = make_key(company, packs=[("WE", 5)]), make_key(company, packs=[("WE", 5)])
    tokens = {}
    for key in (mine, theirs):
        response = admin_api.post(
            f"/companies/{company.gaid}/subscription-keys/{key.key}/ald-token"
        )
        tokens[key.key] = ApiClient(response.json()["ald_token"])
    ald, other_ald = tokens[mine.key], tokens[theirs.key]
    # A UMS of the company with the other key's pack, and the other key's own ALD token.
    ums, credential = make_ums(company, packs=[theirs.product_packs.get()])
    by_ums = issue(ums, "WE", "AAAAAA01")[0].license
    ApiClient(credential).delete(f"/ums/licenses/{by_ums.license_id}")
    by_other = other_ald.post("/ums/licenses", {"product": "WE", "unit_ids": ["AAAAAA02"]})
    other_id = by_other.json()["results"][0]["license"]["id"]
    other_ald.delete(f"/ums/licenses/{other_id}")
    issued = ald.post("/ums/licenses", {"product": "WE", "unit_ids": ["AAAAAA03"]})
    own_id = issued.json()["results"][0]["license"]["id"]
    assert ald.delete(f"/ums/licenses/{own_id}").status_code == 204
    assert DeviceLicense.objects.exclude(status="active").count() == 3
    assert _revoked(ald) == [own_id]
    assert _revoked_in_file(ald) == [own_id]
    assert sorted(_revoked(other_ald)) == sorted([other_id, by_ums.license_id])
