"""License documents verify with an outside JWS implementation: node's `jose` (panva's, the
library oidc-provider is built on; installed in tests/idp by `make idp`), given only the
published JWKS — as a UMS written in JavaScript would check them offline."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ilp.rollout import signing
from tests.rollout.factories import issue

IDP = Path(__file__).resolve().parent.parent / "idp"

VERIFY = """
const { createLocalJWKSet, jwtVerify } = require("jose");
const [jwks, token] = [JSON.parse(process.argv[1]), process.argv[2]];
jwtVerify(token, createLocalJWKSet(jwks), { algorithms: ["EdDSA"] })
  .then(({ payload, protectedHeader }) => {
    console.log(JSON.stringify({ ok: true, sub: payload.sub, kid: protectedHeader.kid }));
  })
  .catch((e) => { console.log(JSON.stringify({ ok: false, error: e.code || String(e) })); });
"""


def _node_verify(jwks: dict, token: str) -> dict:
    if shutil.which("node") is None or not (IDP / "node_modules" / "jose").is_dir():
        pytest.fail("node and tests/idp/node_modules (make idp) are needed for this test")
    run = subprocess.run(
        ["node", "-e", VERIFY, json.dumps(jwks), token],
        cwd=IDP,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.django_db
def test_a_license_verifies_with_node_jose_and_a_tampered_one_does_not(ums):
    token = issue(ums, "WE", "AAAAAA01")[0].license.token
    verified = _node_verify(signing.jwks(), token)
    assert verified == {"ok": True, "sub": "AAAAAA01", "kid": signing.jwks()["keys"][0]["kid"]}
    header, payload, sig = token.split(".")
    forged = ".".join([header, payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB"), sig])
    assert _node_verify(signing.jwks(), forged)["ok"] is False
