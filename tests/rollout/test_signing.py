"""Signing keys, JWKS after rotation, `ilp verify-license` and `ilp rotate-signing-key`."""

import base64
import datetime
import json

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from ilp.licensing.models import ProductPack
from ilp.rollout import signing
from ilp.rollout.models import DeviceLicense, SigningKey
from ilp.rollout.services.common import license_sign, new_licenses_sign
from tests.licensing.factories import make_key
from tests.rollout.factories import issue

pytestmark = pytest.mark.django_db


def _verify_pyjwt(token, keyset):
    kid = jwt.get_unverified_header(token)["kid"]
    return jwt.decode(
        token,
        key=jwt.PyJWKSet.from_dict(keyset)[kid],
        algorithms=["EdDSA"],
        options={"verify_iss": False},
    )


def _run(*args, capsys):
    with pytest.raises(SystemExit) as exc:
        call_command("verify_license", *args)
        raise SystemExit(0)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def test_key_is_generated_once_into_the_data_dir(settings):
    first = signing.signing_key_current()
    path = settings.DATA_DIR / "signing" / "current.pem"
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
    assert signing.signing_key_current().kid == first.kid
    assert SigningKey.objects.count() == 1


def test_kid_is_the_rfc7638_thumbprint():
    # RFC 8037 appendix A.3: the thumbprint of its example Ed25519 key.
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert signing.thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


@pytest.mark.parametrize("form", ["pem", "base64", "base64url"])
def test_signing_key_from_the_environment(settings, form):
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    settings.ILP_SIGNING_KEY = {
        "pem": key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        "base64": base64.b64encode(raw).decode(),
        "base64url": base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }[form]
    pair = signing.signing_key_current()
    assert pair.public_jwk == signing.public_jwk(key.public_key())
    assert not (settings.DATA_DIR / "signing").exists()
    with pytest.raises(CommandError):
        call_command("rotate_signing_key")


def test_rotation_keeps_old_licenses_verifiable(ums, client):
    old_token = issue(ums, "WE", "AAAAAA01")[0].license.token
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    call_command("rotate_signing_key")
    new_token = issue(ums, "WE", "AAAAAA02")[0].license.token
    new_kid = jwt.get_unverified_header(new_token)["kid"]
    assert new_kid != old_kid
    keyset = client.get("/.well-known/jwks.json").json()
    assert {k["kid"] for k in keyset["keys"]} == {old_kid, new_kid}
    assert keyset["keys"][0]["kid"] == new_kid  # the current key first
    assert _verify_pyjwt(old_token, keyset)["sub"] == "AAAAAA01"
    assert _verify_pyjwt(new_token, keyset)["sub"] == "AAAAAA02"


def test_jwks_is_public_and_well_formed(client):
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    [key] = response.json()["keys"]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["alg"] == "EdDSA"
    assert key["kid"] == signing.thumbprint(key)


def test_verify_license_valid_token_and_file(ums, capsys, tmp_path):
    lic = issue(ums, "WE", "AAAAAA01")[0].license
    code, out, _ = _run(lic.token, capsys=capsys)
    assert code == 0 and "VALID" in out and lic.license_id in out
    token_file = tmp_path / "license.jwt"
    token_file.write_text(lic.token + "\n")
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(signing.jwks()))
    code, out, _ = _run(str(token_file), "--jwks", str(jwks_file), capsys=capsys)
    assert code == 0 and '"sub": "AAAAAA01"' in out


def test_verify_license_rejects_tampering_and_unknown_keys(ums, capsys, tmp_path):
    token = issue(ums, "WE", "AAAAAA01")[0].license.token
    head, payload, sig = token.split(".")
    claims = json.loads(signing.b64u_decode(payload))
    claims["sub"] = "BBBBBB01"
    forged = f"{head}.{signing.b64u(json.dumps(claims).encode())}.{sig}"
    code, _, err = _run(forged, capsys=capsys)
    assert code == 1 and "bad signature" in err
    empty = tmp_path / "empty.json"
    empty.write_text('{"keys": []}')
    code, _, err = _run(token, "--jwks", str(empty), capsys=capsys)
    assert code == 1 and "unknown key" in err
    code, _, _ = _run("not-a-token", capsys=capsys)
    assert code == 1


def test_verify_license_grace_days(company, ums, pack, capsys):
    today = datetime.date.today()
    # Signed for a pack that expired 10 days ago: inside the 28 grace days, still valid.
    ProductPack.objects.filter(pk=pack.pk).update(expires_on=today - datetime.timedelta(days=10))
    pack.refresh_from_db()
    pair = signing.signing_key_current()
    claims = {"jti": "LIC-X", "sub": "AAAAAA01", "grace_days": 28}
    recent = signing.jws_sign(
        {**claims, "exp": signing.date_to_epoch(today - datetime.timedelta(days=10))}, pair=pair
    )
    code, out, _ = _run(recent, capsys=capsys)
    assert code == 0 and "grace" in out
    old = signing.jws_sign(
        {**claims, "exp": signing.date_to_epoch(today - datetime.timedelta(days=29))}, pair=pair
    )
    code, _, err = _run(old, capsys=capsys)
    assert code == 1 and "beyond the grace period" in err


def test_verify_license_checks_a_license_file(admin_api, company, ums, capsys, tmp_path):
    issue(ums, "WE", "AAAAAA01", "AAAAAA02")
    body = admin_api.get(f"/companies/{company.gaid}/ums/{ums.ums_id}/license-file").content
    path = tmp_path / "ums.jwt"
    path.write_bytes(body)
    code, out, _ = _run(str(path), capsys=capsys)
    assert code == 0 and "2 licenses" in out and "VALID license file" in out


def test_the_current_key_is_registered_once_per_process_after_a_commit(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    signing.registered_forget()
    with django_capture_on_commit_callbacks(execute=False):
        pair = signing.signing_key_current()  # rolled back (never committed): not remembered
    assert SigningKey.objects.filter(kid=pair.kid).exists()
    with django_capture_on_commit_callbacks(execute=True), django_assert_num_queries(1):
        signing.signing_key_current()  # the row exists: one look-up, then remembered
    with django_assert_num_queries(0):
        assert signing.signing_key_current().kid == pair.kid
    signing.registered_forget()  # what a flushed database triggers (post_migrate)
    with django_assert_num_queries(1):
        signing.signing_key_current()


def test_signing_a_batch_gives_the_documents_license_sign_gives(company, ums):
    key = make_key(company, packs=[("WE", 5), ("WE", 5)])
    first, second = key.product_packs.order_by("pk")
    ProductPack.objects.filter(pk=second.pk).update(expires_on=None)  # a perpetual pack too
    second.refresh_from_db()
    now = timezone.now()
    pair = signing.signing_key_current()

    def planned():
        return [
            DeviceLicense(
                license_id=f"LIC-BATCH{n:04d}",
                company=company,
                product=p.product,
                pack=p,
                unit_id=f"UNIT{n:04d}",
                ums=ums,
                issued_at=now,
            )
            for n, p in enumerate([first, second, first, second, first])
        ]

    one_by_one, batch = planned(), planned()
    for lic in one_by_one:
        license_sign(lic, pack=lic.pack, gaid=company.gaid, pair=pair, now=now, lease_days=30)
    new_licenses_sign(batch, gaid=company.gaid, pair=pair, now=now, lease_days=30)
    fields = ["token", "expires_on", "document_signed_at", "document_expires_at", "listed_until"]
    assert [[getattr(x, f) for f in fields] for x in batch] == [
        [getattr(x, f) for f in fields] for x in one_by_one
    ]
    assert len({x.token for x in batch}) == 5
