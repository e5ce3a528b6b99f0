"""Shared fixtures: API clients with real tokens, people and companies."""

import json

import pytest
from django.db import connection
from django.test import Client

from tests.accounts.factories import make_company, make_staff_token, make_user, make_user_token
from tests.sso.dns_server import TestDns


@pytest.fixture(scope="session")
def test_dns():
    """The tests' DNS server (tests/sso/dns_server.py); `test_dns.records[domain] = [txt]`."""
    server = TestDns().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _outbound_for_tests(settings, test_dns):
    # Domain verification asks the tests' DNS server; identity providers on loopback are
    # allowed (the outbound URL rules: ILP_WEBHOOK_ALLOW_HOSTS).
    settings.ILP_DNS_RESOLVER = test_dns.address
    settings.ILP_WEBHOOK_ALLOW_HOSTS = ["127.0.0.1", "localhost"]
    test_dns.records.clear()


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Argon2 is right for production and slow on purpose; tests need not pay for it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Throttle counters live in the database cache (table `ilp_cache`, settings.py CACHES): each
# test's rollback, or the flush after a transactional test, takes them away with the rest.


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need PostgreSQL; CI runs the suite on both databases.

    No test may use serialized_rollback: mixed with plain transactional tests it re-inserts
    content types that the previous flush re-created (IntegrityError in the next set-up).
    Transactional tests rely on post_migrate instead (content types, the product catalogue).
    """
    from django.conf import settings

    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is not None and marker.kwargs.get("serialized_rollback"):
            raise pytest.UsageError(
                f"{item.nodeid}: do not use serialized_rollback (see tests/conftest.py)"
            )

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); CI runs it")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


class ApiClient:
    """A JSON client for /api/v1 with an optional bearer token."""

    def __init__(self, token: str | None = None, client: Client | None = None):
        self.client = client or Client()
        self.token = token

    def _headers(self, headers):
        h = dict(headers or {})
        if self.token:
            h.setdefault("Authorization", f"Bearer {self.token}")
        return h

    def _url(self, path: str) -> str:
        if path.startswith(("/api/", "/.well-known/")):
            return path
        return f"/api/v1{path}"

    def get(self, path, params=None, headers=None):
        return self.client.get(self._url(path), params or {}, headers=self._headers(headers))

    def _send(self, method, path, body, headers):
        data = (
            body if isinstance(body, (str, bytes)) else json.dumps(body if body is not None else {})
        )
        return getattr(self.client, method)(
            self._url(path),
            data=data,
            content_type="application/json",
            headers=self._headers(headers),
        )

    def post(self, path, body=None, headers=None):
        return self._send("post", path, body, headers)

    def patch(self, path, body=None, headers=None):
        return self._send("patch", path, body, headers)

    def put(self, path, body=None, headers=None):
        return self._send("put", path, body, headers)

    def delete(self, path, headers=None):
        return self.client.delete(self._url(path), headers=self._headers(headers))


@pytest.fixture
def api():
    """Factory: `api(token)` → ApiClient; `api()` is anonymous."""
    return lambda token=None: ApiClient(token)


@pytest.fixture
def staff_api(db):
    return ApiClient(make_staff_token())


@pytest.fixture
def company(db):
    return make_company(name="Acme GmbH")


@pytest.fixture
def admin_user(db, company):
    return make_user("admin@acme.test", company=company, role="administrator")


@pytest.fixture
def admin_api(admin_user):
    return ApiClient(make_user_token(admin_user))


@pytest.fixture
def sp_api(db, company):
    return ApiClient(
        make_user_token(make_user("sp@partner.test", company=company, role="service_provider"))
    )


@pytest.fixture
def user_api(db, company):
    return ApiClient(make_user_token(make_user("user@acme.test", company=company, role="user")))


@pytest.fixture
def outsider_api(db):
    other = make_company(name="Other Corp")
    return ApiClient(
        make_user_token(make_user("boss@other.test", company=other, role="administrator"))
    )


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"
