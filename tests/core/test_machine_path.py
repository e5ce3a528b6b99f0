"""The lean path (core/machine.py, issue 20): machine routes skip the people's middleware —
no session, CSRF, locale, messages or auth middleware work, no cookies or `Vary: Cookie` —
while keeping the request id, problem+json, 401, the 413 and Idempotency-Key; the portal's
own API routes keep sessions and CSRF. And a UMS request's credential is one query."""

import json
from contextlib import ExitStack
from unittest import mock

import pytest
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import connection
from django.http.request import HttpHeaders
from django.middleware.csrf import CsrfViewMiddleware
from django.middleware.locale import LocaleMiddleware
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from ilp.core.machine import machine_path
from ilp.rollout.models import UmsInstance
from tests.conftest import ApiClient
from tests.licensing.factories import make_key
from tests.rollout.factories import make_ums

SKIPPED = [
    (SessionMiddleware, "process_request"),
    (LocaleMiddleware, "process_request"),
    (CsrfViewMiddleware, "process_request"),
    (CsrfViewMiddleware, "process_view"),
    (AuthenticationMiddleware, "process_request"),
    (MessageMiddleware, "process_request"),
]


@pytest.fixture(autouse=True)
def _signing_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.ILP_SIGNING_KEY = ""


@pytest.fixture
def ums_credential(company):
    pack = make_key(company, packs=[("WE", 5)]).product_packs.get()
    return make_ums(company, packs=[pack])


def _calls_to_skipped(request_fn):
    """Run request_fn with the people's middleware hooks spied on; return the response and
    the hooks that ran."""
    called = []
    with ExitStack() as stack:
        for cls, name in SKIPPED:
            original = getattr(cls, name)

            def spy(self, *args, _o=original, _n=f"{cls.__name__}.{name}", **kwargs):
                called.append(_n)
                return _o(self, *args, **kwargs)

            stack.enter_context(mock.patch.object(cls, name, spy))
        response = request_fn(Client())
    return response, called


@pytest.mark.django_db
def test_ums_request_runs_no_session_csrf_locale_auth_or_messages_middleware(ums_credential):
    _ums, credential = ums_credential
    response, called = _calls_to_skipped(
        lambda c: c.get(
            "/api/v1/ums/product-packs",
            headers={"Authorization": f"Bearer {credential}", "Accept-Language": "de"},
        )
    )
    assert response.status_code == 200
    assert called == []
    assert "Set-Cookie" not in response
    assert "Vary" not in response  # neither Cookie nor Accept-Language
    assert "Content-Language" not in response
    assert response["X-Request-ID"]
    assert response["X-Content-Type-Options"] == "nosniff"  # security headers stay
    assert int(response["Content-Length"]) == len(response.content)


@pytest.mark.django_db
def test_orders_and_jwks_take_the_lean_path_too(staff_api):
    token = staff_api.token
    response, called = _calls_to_skipped(
        lambda c: c.get("/api/v1/orders/NOPE", headers={"Authorization": f"Bearer {token}"})
    )
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"
    assert called == []
    response, called = _calls_to_skipped(lambda c: c.get("/.well-known/jwks.json"))
    assert response.status_code == 200 and response.json()["keys"]
    assert called == [] and "Set-Cookie" not in response


@pytest.mark.django_db
def test_a_ums_request_never_builds_the_headers_mapping(ums_credential):
    """request.headers parses every META key (about 40 µs); the request id, the credential
    and the Idempotency-Key are read from META instead."""
    _ums, credential = ums_credential
    client = Client()
    client.get("/api/v1/ums/product-packs", headers={"Authorization": f"Bearer {credential}"})
    built = []
    original = HttpHeaders.__init__

    def spy(self, environ):
        built.append(1)
        original(self, environ)

    with mock.patch.object(HttpHeaders, "__init__", spy):
        response = client.post(
            "/api/v1/ums/licenses",
            json.dumps({"product": "WE", "unit_ids": ["00E0C5000077"]}),
            content_type="application/json",
            headers={
                "Authorization": f"Bearer {credential}",
                "Idempotency-Key": "h1",
                "X-Request-ID": "rid-1",
            },
        )
    assert response.status_code == 200 and response["X-Request-ID"] == "rid-1"
    assert built == []


def test_which_paths_are_machine_paths():
    for path in (
        "/api/v1/ums/licenses",
        "/api/v1/ums/product-packs",
        "/api/v1/orders",
        "/api/v1/orders/ORD-1",
        "/.well-known/jwks.json",
    ):
        assert machine_path(path), path
    for path in (
        "/api/v1/companies/GA1/ums",
        "/api/v1/ordersx",
        "/api/v1/auth/tokens",
        "/login/",
        "/healthz",
        "/companies/GA1/ums/",
    ):
        assert not machine_path(path), path


def test_no_machine_paths_means_every_path_takes_the_full_stack(settings):
    settings.ILP_MACHINE_PATHS = []
    assert not machine_path("/api/v1/ums/licenses")
    assert not machine_path("/login/")


@pytest.mark.django_db
def test_machine_routes_keep_401_problem_and_the_request_id():
    response = Client().get("/api/v1/ums/product-packs", headers={"X-Request-ID": "abc-1"})
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["X-Request-ID"] == "abc-1"


@pytest.mark.django_db
def test_machine_routes_still_refuse_a_host_not_allowed(ums_credential):
    _ums, credential = ums_credential
    response = Client().get(
        "/api/v1/ums/product-packs",
        headers={"Authorization": f"Bearer {credential}"},
        HTTP_HOST="evil.example",
    )
    assert response.status_code == 400


@pytest.mark.django_db
def test_a_session_is_no_credential_on_a_machine_route(admin_user):
    client = Client()
    client.force_login(admin_user)
    response = client.get("/api/v1/ums/product-packs")
    assert response.status_code == 401
    assert "Set-Cookie" not in response


@pytest.mark.django_db
def test_portal_api_routes_keep_sessions_and_csrf(admin_user, company):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    listed = client.get(f"/api/v1/companies/{company.gaid}/ums")
    assert listed.status_code == 200
    assert "Cookie" in listed["Vary"]
    refused = client.post(
        f"/api/v1/companies/{company.gaid}/ums",
        json.dumps({"name": "x"}),
        content_type="application/json",
    )
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"


@pytest.mark.django_db
def test_machine_routes_keep_the_413_and_idempotency(ums_credential, settings):
    _ums, credential = ums_credential
    api = ApiClient(credential)
    big = {"product": "WE", "unit_ids": ["X" * (3 * 1024 * 1024)]}
    too_big = api.post("/ums/licenses", big)
    assert too_big.status_code == 413 and too_big.json()["code"] == "body_too_large"
    body = {"product": "WE", "unit_ids": ["00E0C5000001"]}
    first = api.post("/ums/licenses", body, headers={"Idempotency-Key": "k1"})
    again = api.post("/ums/licenses", body, headers={"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content


@pytest.mark.django_db
def test_machine_routes_answer_in_english_whatever_the_thread_spoke_before(ums_credential):
    translation.activate("de")  # a person's German page left this in the thread
    try:
        response = Client().get(
            "/api/v1/ums/product-packs",
            headers={"Authorization": "Bearer ilpm_unknown", "Accept-Language": "de"},
        )
    finally:
        translation.deactivate()
    assert response.status_code == 401
    assert response.json()["title"] == "Unauthorized"


@pytest.mark.django_db
def test_ums_credential_is_one_query_and_no_last_seen_update_each_time(ums_credential):
    ums, credential = ums_credential
    api = ApiClient(credential)
    assert api.get("/ums/product-packs").status_code == 200  # may record last_seen_at
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/ums/product-packs").status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [s for s in sql if s.lstrip().upper().startswith("UPDATE")], sql
    auth = [s for s in sql if '"rollout_umsinstance"."credential_hash" =' in s]
    assert len(auth) == 1, sql
    assert "rollout_umsinstance" in auth[0] and "accounts_company" in auth[0]  # select_related
    # The whole request: the credential (with its company), the count and the page.
    assert len(sql) == 3, sql
    # Issuing records last_seen_at / last_refresh_at, at most once a minute: the first POST
    # writes, the next within the minute does not.
    body = {"product": "WE", "unit_ids": ["00E0C5000009"]}
    UmsInstance.objects.filter(pk=ums.pk).update(last_seen_at=None, last_refresh_at=None)
    for writes in (1, 0):
        with CaptureQueriesContext(connection) as queries:
            assert api.post("/ums/licenses", body).status_code == 200
        touched = [
            q["sql"]
            for q in queries.captured_queries
            if q["sql"].startswith('UPDATE "rollout_umsinstance"')
        ]
        assert len(touched) == writes, touched  # last_seen_at and last_refresh_at together


@pytest.mark.django_db
def test_a_post_resolves_its_credential_once_with_an_idempotency_key(ums_credential):
    _ums, credential = ums_credential
    api = ApiClient(credential)
    api.get("/ums/product-packs")
    with CaptureQueriesContext(connection) as queries:
        response = api.post(
            "/ums/licenses",
            {"product": "WE", "unit_ids": ["00E0C5000002"]},
            headers={"Idempotency-Key": "once"},
        )
    assert response.status_code == 200
    auth = [
        q["sql"]
        for q in queries.captured_queries
        if '"rollout_umsinstance"."credential_hash" =' in q["sql"]
    ]
    assert len(auth) == 1, auth


@pytest.mark.django_db
def test_staff_token_is_one_query(staff_api):
    staff_api.get("/orders/NOPE")  # records last_used_at (once a minute)
    with CaptureQueriesContext(connection) as queries:
        assert staff_api.get("/orders/NOPE").status_code == 404
    auth = [
        q["sql"]
        for q in queries.captured_queries
        if '"accounts_stafftoken"."token_hash" =' in q["sql"]
    ]
    assert len(auth) == 1, auth
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
