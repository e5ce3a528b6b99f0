"""The revocation list (rule 21) after the security review's third round: it names only the
licenses issued through the caller's packs, and it expires."""

import datetime
import json
import time

import pytest
from django.core.management import call_command
from django.utils import timezone
from joserfc import jwt
from joserfc.errors import ExpiredTokenError
from joserfc.jwk import KeySet

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


# --- the list expires (ILP_REVOCATIONS_TTL_HOURS) ---------------------------------------------


def _verify(token, capsys, *extra):
    with pytest.raises(SystemExit) as exc:
        call_command("verify_license", token, *extra)
        raise SystemExit(0)
    out = capsys.readouterr()
    return exc.value.code, out.out + out.err


def _fetched_hours_ago(monkeypatch, client, hours: int) -> str:
    real = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real() - datetime.timedelta(hours=hours))
    try:
        return client.get("/ums/revocations").json()["token"]
    finally:
        monkeypatch.setattr(timezone, "now", real)


def test_the_revocation_list_carries_exp(ums_api, settings):
    claims = signing.jws_verify(ums_api.get("/ums/revocations").json()["token"], signing.jwks())[1]
    assert claims["exp"] == claims["iat"] + 48 * 3600
    settings.ILP_REVOCATIONS_TTL_HOURS = 2
    claims = signing.jws_verify(ums_api.get("/ums/revocations").json()["token"], signing.jwks())[1]
    assert claims["exp"] == claims["iat"] + 2 * 3600


def test_verify_license_refuses_a_stale_revocation_list(
    ums, ums_api, tmp_path, capsys, monkeypatch
):
    """Security review, third round: a list fetched before a return still said VALID."""
    kept, gone = (r.license for r in issue(ums, "WE", "AAAAAA01", "AAAAAA02"))
    stale = tmp_path / "stale.jwt"
    stale.write_text(_fetched_hours_ago(monkeypatch, ums_api, 49))
    assert ums_api.delete(f"/ums/licenses/{gone.license_id}").status_code == 204
    code, out = _verify(gone.token, capsys, "--revocations", str(stale))
    assert code == 1 and "revocation list expired" in out and "VALID (" not in out
    # Within its TTL an older list is still accepted; a fresh one lists the returned license.
    recent = tmp_path / "recent.jwt"
    recent.write_text(_fetched_hours_ago(monkeypatch, ums_api, 47))
    assert _verify(kept.token, capsys, "--revocations", str(recent))[0] == 0
    fresh = tmp_path / "fresh.json"
    fresh.write_text(json.dumps(ums_api.get("/ums/revocations").json()))
    code, out = _verify(gone.token, capsys, "--revocations", str(fresh))
    assert code == 1 and "revoked" in out
    assert _verify(kept.token, capsys, "--revocations", str(fresh))[0] == 0


def test_verify_license_refuses_a_list_without_exp(ums, tmp_path, capsys):
    lic = issue(ums, "WE", "AAAAAA01")[0].license
    claims = {"iss": "x", "iat": int(time.time()), "gaid": ums.company.gaid, "revoked": []}
    old = tmp_path / "old.jwt"
    old.write_text(
        signing.jws_sign(claims, pair=signing.signing_key_current(), typ=signing.REVOCATIONS_TYP)
    )
    code, out = _verify(lic.token, capsys, "--revocations", str(old))
    assert code == 1 and "revocation list expired" in out


@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")  # RFC 9864's new name, same algorithm
def test_an_outside_jwt_library_reads_the_lists_exp(ums_api):
    """joserfc (an independent JOSE implementation) checks the same `exp`."""
    token = ums_api.get("/ums/revocations").json()["token"]
    keys = KeySet.import_key_set(signing.jwks())
    claims = jwt.decode(token, keys, algorithms=["EdDSA"]).claims
    jwt.JWTClaimsRegistry(exp={"essential": True}).validate(claims)
    later = claims["iat"] + 48 * 3600 + 1
    with pytest.raises(ExpiredTokenError):
        jwt.JWTClaimsRegistry(now=later, exp={"essential": True}).validate(claims)
