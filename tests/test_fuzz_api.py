"""Schemathesis against the API's own OpenAPI document, in-process through the WSGI app.

Every phase runs: examples, coverage (boundary and negative values of every parameter),
fuzzing (random valid and invalid input), and stateful (sequences chained through values one
response hands the next request). Every response must be: no 5xx, a status code the route
declares, the content type it declares (problem+json for errors), a body that matches the
declared schema, negative input refused with a 4xx and schema-valid input not refused with
400/422 unless the route documents business rules the schema cannot state (below).

Each case calls with the credential that fits the route (staff token for staff routes, a UMS
credential for UMS routes, an administrator of a company with data for company and user
routes, none for public ones), freshly minted or restored before every case: a case may revoke
the token it was given (`DELETE /auth/tokens/current`, `DELETE /me/tokens/{id}` with the id of
its own token) or rotate the UMS credential, and the next case must not inherit a dead token.

`ILP_FUZZ_EXAMPLES` (default 8) bounds the fuzzing phase per operation, `ILP_FUZZ_SCENARIOS`
(default 5) and `ILP_FUZZ_STEPS` (default 15) the stateful phase; `ILP_FUZZ_SEED` picks the
seed (fixed by default so that CI is reproducible; change it to explore). See docs/testing.md,
"Fuzzing the API".
"""

import os
from types import SimpleNamespace

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import override_settings
from schemathesis import checks as st_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi import checks as oa_checks

from ilp.accounts.models import ApiToken, StaffToken
from ilp.core.auth import STAFF_TOKEN_PREFIX, USER_TOKEN_PREFIX
from ilp.core.authz import Role
from ilp.core.ids import new_token, token_hash
from ilp.rollout.models import UmsInstance
from tests.test_tenancy_matrix import ROUTES, build_world

GAID = "GA7K3QX2M9"  # the world's company, so that company routes reach real data
EXAMPLES = int(os.environ.get("ILP_FUZZ_EXAMPLES", "8"))
SCENARIOS = int(os.environ.get("ILP_FUZZ_SCENARIOS", "5"))
STEPS = int(os.environ.get("ILP_FUZZ_STEPS", "15"))
SEED = int(os.environ.get("ILP_FUZZ_SEED", "1207"))

# Routes whose 422 also answers rules no JSON schema states, so schema-valid input may be
# refused there and `positive_data_acceptance` does not apply: a product must be in the
# catalogue (a table, not an enum) and fit its seat multiple; seats must add up; a token or
# password must be the right one; an e-mail address must be one (the schema says string);
# names must not be blank; a delivery token needs `accept_eula: true`; with two-factor on, a
# code must be the right one; a time zone must be an IANA name (a list of ~600 the schema
# does not repeat); at most 1,000 unit IDs go in one removal (`too_many_unit_ids`, as
# issuance); a staff correction names a pack of the order and seats it holds, and a company
# that exists and is another one.
BUSINESS_422 = {
    # webhooks: the URL must resolve to public addresses (DNS, not a schema), and vendor
    # endpoints take order.* only
    "POST /api/v1/companies/{gaid}/webhooks",
    "PATCH /api/v1/companies/{gaid}/webhooks/{endpoint_id}",
    "POST /api/v1/staff/webhooks",
    "PATCH /api/v1/staff/webhooks/{endpoint_id}",
    "POST /api/v1/auth/tokens",
    "POST /api/v1/auth/password-reset",
    "POST /api/v1/auth/password-reset/{token}",
    "POST /api/v1/me/password",
    "POST /api/v1/me/2fa",
    "POST /api/v1/me/2fa/confirm",
    "POST /api/v1/me/2fa/recovery-codes",
    "DELETE /api/v1/me/2fa",
    "POST /api/v1/registrations",
    "PATCH /api/v1/companies/{gaid}",
    "PATCH /api/v1/companies/{gaid}/members/{email}",
    "POST /api/v1/companies/{gaid}/invitations",
    "POST /api/v1/companies/{gaid}/access-requests/{access_request_id}/invite",
    "POST /api/v1/invitations/{token}/accept",
    "POST /api/v1/orders",
    "POST /api/v1/delivery-tokens",
    "POST /api/v1/companies/{gaid}/delivery-tokens",
    "POST /api/v1/companies/{gaid}/product-packs/merge",
    "POST /api/v1/companies/{gaid}/product-packs/{pack_id}/split",
    "POST /api/v1/companies/{gaid}/renewals/{order_number}/redeem",
    "POST /api/v1/companies/{gaid}/orders/{order_number}/eula",
    "POST /api/v1/companies/{gaid}/product-packs/{pack_id}/eula",
    "PATCH /api/v1/companies/{gaid}/product-packs/{pack_id}",
    "POST /api/v1/companies/{gaid}/ums",
    "PATCH /api/v1/companies/{gaid}/ums/{ums_id}",
    "POST /api/v1/ums/licenses",
    "PATCH /api/v1/me",
    "POST /api/v1/companies/{gaid}/devices/remove",
    # Single sign-on: an issuer must follow the outbound URL rules, a domain be a DNS name.
    "PUT /api/v1/companies/{gaid}/sso",
    "POST /api/v1/companies/{gaid}/domains",
    "POST /api/v1/staff/orders/{order_number}/cancel",
    "POST /api/v1/staff/subscription-keys/{key}/transfer",
    "POST /api/v1/staff/companies/{gaid}/merge-into/{target_gaid}",
}

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "parameters": {"path.gaid": GAID},
        # No NUL characters: the API refuses them everywhere with 422 (docs/decisions.md), which
        # the schema cannot state, so schema-valid text with one would count as "refused".
        "generation": {"max-examples": EXAMPLES, "database": "none", "allow-x00": False},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": True, "max-steps": STEPS},
        },
    }
)

schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", get_wsgi_application(), config=CONFIG
)

CHECKS = [
    st_checks.not_a_server_error,
    oa_checks.status_code_conformance,
    oa_checks.content_type_conformance,
    oa_checks.response_schema_conformance,
    oa_checks.response_headers_conformance,
    oa_checks.negative_data_rejection,
]


def checks_for(case) -> list:
    if f"{case.method.upper()} {case.operation.path}" in BUSINESS_422:
        return CHECKS
    return [*CHECKS, oa_checks.positive_data_acceptance]


# --- the world, built once; every test runs in a savepoint inside it --------------------------


@pytest.fixture(scope="module")
def _fuzz_world(django_db_setup, django_db_blocker):
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=fast):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world(gaid=GAID)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def fuzz_world(_fuzz_world, db):
    # schemathesis calls Django's real WSGI handler, whose request signals close the database
    # connection after each request (on PostgreSQL, inside the test transaction, that loses
    # the transaction). Django's test client disconnects them during its requests the same
    # way (and connects them again after each, hence here, per test, not around the world).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield _fuzz_world
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


KIND = {(r.method, "/api/v1" + r.path): r.kind() for r in ROUTES}


def credentials_for(world: SimpleNamespace, method: str, path: str) -> dict:
    """A fresh (or restored) credential of the kind the route takes."""
    kind = KIND.get((method.upper(), path), "public")
    if kind == "public":
        return {}
    if kind == "staff":
        token = new_token(STAFF_TOKEN_PREFIX)
        StaffToken.objects.create(name="fuzz", token_hash=token_hash(token))
    elif kind == "ums":
        UmsInstance.objects.filter(pk=world.ums.pk).update(
            credential_hash=token_hash(world.ums_token)
        )
        token = world.ums_token
    else:
        token = new_token(USER_TOKEN_PREFIX)
        ApiToken.objects.create(
            user=world.members[Role.ADMINISTRATOR], name="fuzz", token_hash=token_hash(token)
        )
    return {"Authorization": f"Bearer {token}"}


def authorize(case, world) -> None:
    """Replace the random bearer token schemathesis generates with a working one; a case that
    leaves the header out on purpose (a negative case: "no credentials") keeps it out."""
    headers = dict(case.headers or {})
    if any(name.lower() == "authorization" for name in headers):
        headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        headers.update(credentials_for(world, case.method, case.operation.path))
    case.headers = headers


@schema.parametrize()
@hypothesis.settings(
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    database=None,
)
def test_api_conforms_to_its_openapi_document(case, fuzz_world):
    authorize(case, fuzz_world)
    case.call_and_validate(checks=checks_for(case))


class _Stateful(schema.as_state_machine()):
    world = None

    def before_call(self, case):
        authorize(case, self.world)

    def validate_response(self, response, case, **kwargs):
        case.validate_response(response, checks=checks_for(case))


def test_api_stateful_sequences_conform(fuzz_world):
    _Stateful.world = fuzz_world
    _Stateful.run(
        settings=hypothesis.settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            database=None,
            derandomize=True,
        )
    )
