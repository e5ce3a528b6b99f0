"""Throttles (issue 12): sliding windows on the shared database cache, failed logins per
account and per client address, Retry-After on every 429, trusted proxies."""

import threading

import pytest
from django.core.cache import cache, caches
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse

from ilp.core import throttle
from ilp.core.cache import DatabaseCache
from ilp.core.errors import Throttled
from ilp.core.models import CacheEntry
from ilp.core.throttle import Limit, client_address, parse_rate, throttle_failures, throttle_hit
from tests.accounts.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(1_800_000_000.0)  # a multiple of 60: minute boundaries are round numbers
    monkeypatch.setattr(throttle.time, "time", clock)
    return clock


def test_rates_parse():
    assert parse_rate("20/m") == (20, 60)
    assert parse_rate("5/hour") == (5, 3600)
    assert parse_rate("100/5m") == (100, 300)
    assert parse_rate("3/d") == (3, 86400)
    with pytest.raises(ValueError):
        parse_rate("3/fortnight")


def test_the_default_cache_is_the_database_with_an_atomic_incr():
    assert isinstance(caches["default"], DatabaseCache)
    cache.set("k", 1, timeout=3600)
    assert cache.incr("k") == 2 and cache.decr("k") == 1
    # The expiry stays (Django's own DatabaseCache.incr reset it to the default 300 s).
    assert (CacheEntry.objects.get(cache_key__endswith=":k").expires.timestamp()) > (
        __import__("time").time() + 3000
    )
    with pytest.raises(ValueError):
        cache.incr("missing")


def test_a_burst_across_a_minute_boundary_is_still_one_window(clock):
    # Fixed windows let 20 at 0:59 and 20 more at 1:00 through; a sliding window does not.
    clock.now += 55
    for _ in range(20):
        throttle_hit(scope="t", ident="a", rate="20/m")
    clock.now += 10  # the next minute has begun
    with pytest.raises(Throttled) as exc:
        throttle_hit(scope="t", ident="a", rate="20/m")
    # The 20 hits (bucket 0:55-1:00) leave the window once the minute after them is over.
    assert 50 <= exc.value.retry_after <= 56
    clock.now += exc.value.retry_after
    throttle_hit(scope="t", ident="a", rate="20/m")


def test_refused_hits_do_not_count_and_identities_are_separate(clock):
    for _ in range(3):
        throttle_hit(scope="t", ident="a", rate="3/m")
    for _ in range(10):
        with pytest.raises(Throttled):
            throttle_hit(scope="t", ident="a", rate="3/m")
    throttle_hit(scope="t", ident="b", rate="3/m")
    clock.now += 65  # a minute, plus at most one bucket (5 s) of the sliding window
    for _ in range(3):  # the refused ten did not extend the wait
        throttle_hit(scope="t", ident="a", rate="3/m")


def test_failures_count_successes_do_not(clock):
    limit = Limit("t", "acct", 2, 60)
    for _ in range(5):
        with throttle_failures(limit):
            pass
    for _ in range(2):
        with pytest.raises(ZeroDivisionError), throttle_failures(limit):
            raise ZeroDivisionError
    with pytest.raises(Throttled), throttle_failures(limit):
        raise AssertionError("the guarded block must not run once throttled")


def test_two_cache_clients_share_the_counts(clock, monkeypatch):
    # Two cache objects, as two processes have: each sees the hits of the other.
    first, second = caches.create_connection("default"), caches.create_connection("default")
    for n in range(20):
        monkeypatch.setattr(throttle, "cache", first if n % 2 else second)
        throttle_hit(scope="t", ident="a", rate="20/m")
    monkeypatch.setattr(throttle, "cache", first)
    with pytest.raises(Throttled):
        throttle_hit(scope="t", ident="a", rate="20/m")


# --- logins --------------------------------------------------------------------------------


def _token(client_kwargs=None, email="anna@acme.test", password="wrong"):
    return Client(**(client_kwargs or {})).post(
        "/api/v1/auth/tokens",
        {"email": email, "password": password},
        content_type="application/json",
    )


def test_api_the_21st_wrong_password_in_a_minute_is_429_with_retry_after():
    make_user("anna@acme.test")
    for n in range(20):
        # From one address: the limit per account and address counts them all.
        r = _token({"REMOTE_ADDR": "10.0.0.1"})
        assert r.status_code == 401, n
    r = _token({"REMOTE_ADDR": "10.0.0.1"}, email="ANNA@acme.test", password=PASSWORD)
    assert r.status_code == 429
    assert r["Content-Type"] == "application/problem+json"
    assert r.json()["code"] == "throttled" and 1 <= int(r["Retry-After"]) <= 65
    assert "Try again in" in r.json()["detail"]


# API.md, "Account and credential safety": 20 a minute per (account, client address), 100
# per account alone and 100 per client address alone (issue 19, finding 3).


def test_an_attacker_at_another_address_cannot_lock_the_owner_out():
    make_user("anna@acme.test")
    attacker = {"REMOTE_ADDR": "203.0.113.66"}
    spellings = ["anna@acme.test", "ANNA@acme.test", " Anna@ACME.test", "anna@Acme.Test"]
    for n in range(25):
        _token(attacker, email=spellings[n % len(spellings)], password=f"guess{n}")
    assert _token(attacker, password=PASSWORD).status_code == 429  # the attacker is locked
    owner = {"REMOTE_ADDR": "198.51.100.7"}
    assert _token(owner, password=PASSWORD).status_code == 201  # the owner is not
    portal = Client(**owner)
    r = portal.post(reverse("web:login"), {"username": "anna@acme.test", "password": PASSWORD})
    assert r.status_code == 302
    make_user("staff@ilp.test", is_staff=True, is_superuser=True)
    for n in range(25):
        Client(**attacker).post(
            reverse("admin:login"), {"username": "staff@ilp.test", "password": f"x{n}"}
        )
    r = Client(**owner).post(
        reverse("admin:login"), {"username": "staff@ilp.test", "password": PASSWORD}
    )
    assert r.status_code == 302


def test_a_hundred_failures_a_minute_lock_the_account_from_every_address():
    make_user("anna@acme.test")
    for n in range(100):
        assert _token({"REMOTE_ADDR": f"10.0.{n // 20}.1"}).status_code == 401, n
    r = _token({"REMOTE_ADDR": "198.51.100.7"}, password=PASSWORD)
    assert r.status_code == 429 and int(r["Retry-After"]) >= 1


def test_a_hundred_failures_a_minute_lock_a_client_address():
    for n in range(100):
        assert _token(email=f"nobody{n}@x.test").status_code == 401, n
    make_user("anna@acme.test")
    assert _token(email="anna@acme.test", password=PASSWORD).status_code == 429
    assert _token({"REMOTE_ADDR": "192.0.2.9"}, password=PASSWORD).status_code == 201


def test_successful_logins_do_not_count():
    make_user("anna@acme.test")
    for _ in range(25):
        assert _token(password=PASSWORD).status_code == 201


def test_random_emails_are_limited_per_address(settings):
    settings.ILP_THROTTLE_LOGIN = "2/m"
    settings.ILP_THROTTLE_LOGIN_ADDRESS_FACTOR = 5
    for n in range(10):
        assert _token(email=f"nobody{n}@x.test").status_code == 401
    r = _token(email="nobody-else@x.test")
    assert r.status_code == 429 and r["Retry-After"]
    # Another address is not affected.
    assert _token({"REMOTE_ADDR": "192.0.2.9"}, email="fresh@x.test").status_code == 401


def test_portal_login_throttled_page_is_readable_429(settings):
    settings.ILP_THROTTLE_LOGIN = "3/m"
    make_user("anna@acme.test")
    client = Client()
    for _ in range(3):
        r = client.post(reverse("web:login"), {"username": "anna@acme.test", "password": "x"})
        assert r.status_code == 200
    r = client.post(reverse("web:login"), {"username": "anna@acme.test", "password": PASSWORD})
    assert r.status_code == 429 and int(r["Retry-After"]) >= 1
    assert "Too many attempts. Try again in" in r.content.decode()
    assert "_auth_user_id" not in client.session


def test_admin_login_is_throttled(settings):
    settings.ILP_THROTTLE_LOGIN = "3/m"
    make_user("staff@ilp.test", is_staff=True, is_superuser=True)
    client = Client()
    url = reverse("admin:login")
    for _ in range(3):
        r = client.post(url, {"username": "staff@ilp.test", "password": "wrong"})
        assert r.status_code == 200
    r = client.post(url, {"username": "staff@ilp.test", "password": PASSWORD})
    assert r.status_code == 429 and int(r["Retry-After"]) >= 1
    assert "Too many attempts" in r.content.decode()
    assert "_auth_user_id" not in client.session


def test_admin_and_portal_and_api_share_the_account_limit(settings):
    settings.ILP_THROTTLE_LOGIN = "3/m"
    make_user("anna@acme.test")
    Client().post(reverse("admin:login"), {"username": "anna@acme.test", "password": "x"})
    Client().post(reverse("web:login"), {"username": "anna@acme.test", "password": "x"})
    assert _token().status_code == 401
    assert _token(password=PASSWORD).status_code == 429


# --- other throttled routes carry Retry-After ----------------------------------------------


def test_every_throttled_self_service_route_sends_retry_after(settings):
    settings.ILP_THROTTLE_PASSWORD_RESET = "1/m"
    settings.ILP_THROTTLE_REGISTRATION = "1/m"
    settings.ILP_THROTTLE_INVITATION = "1/m"
    api = Client()
    checks = [
        ("post", "/api/v1/auth/password-reset", {"email": "a@x.test"}),
        ("post", "/api/v1/registrations", {
            "email": "a@x.test", "first_name": "A", "last_name": "B",
            "gaid": "GA00000000", "subscription_key": "X",
        }),
        ("get", "/api/v1/invitations/ilpi_nothing", None),
    ]  # fmt: skip
    for method, path, body in checks:
        getattr(api, method)(path, body, content_type="application/json")
        r = getattr(api, method)(path, body, content_type="application/json")
        assert r.status_code == 429, path
        assert int(r["Retry-After"]) >= 1 and r.json()["code"] == "throttled"
    # Pages: the invitation link page and the reset page answer a readable 429 too.
    page = Client().get("/invitations/ilpi_nothing")
    assert page.status_code == 429 and int(page["Retry-After"]) >= 1
    assert "Try again in" in page.content.decode()
    page = Client().post(reverse("accounts:password_reset_request"), {"email": "b@x.test"})
    assert page.status_code == 429 and int(page["Retry-After"]) >= 1


def test_register_page_throttled_is_429_with_retry_after(settings):
    settings.ILP_THROTTLE_REGISTRATION = "1/m"
    data = {
        "email": "a@x.test",
        "first_name": "A",
        "last_name": "B",
        "gaid": "GA00000000",
        "subscription_key": "AAAA-BBBB",
    }
    Client().post(reverse("accounts:register"), data)
    r = Client().post(reverse("accounts:register"), data)
    assert r.status_code == 429 and int(r["Retry-After"]) >= 1
    assert "Try again in" in r.content.decode()


# --- invitations per company and day -------------------------------------------------------


def test_invitations_per_company_per_day(settings, admin_api, company):
    settings.ILP_INVITATIONS_PER_COMPANY_PER_DAY = 3
    for n in range(3):
        r = admin_api.post(
            f"/companies/{company.gaid}/invitations", {"email": f"p{n}@x.test", "role": "user"}
        )
        assert r.status_code == 201
    r = admin_api.post(
        f"/companies/{company.gaid}/invitations", {"email": "p9@x.test", "role": "user"}
    )
    assert r.status_code == 429 and r.json()["code"] == "throttled"
    assert 23 * 3600 < int(r["Retry-After"]) <= 24 * 3600 + 7200
    assert "the most allowed" in r.json()["detail"]
    # A refused or invalid invitation did not use one up; another company is not affected.
    from ilp.accounts.models import Invitation

    assert Invitation.objects.filter(company=company).count() == 3


def test_invitation_limit_on_the_page_is_readable(settings, admin_user, company):
    settings.ILP_INVITATIONS_PER_COMPANY_PER_DAY = 1
    client = Client()
    client.force_login(admin_user)
    url = reverse("accounts:invitation_send", kwargs={"gaid": company.gaid})
    client.post(url, {"email": "one@x.test", "role": "user"})
    r = client.post(url, {"email": "two@x.test", "role": "user"}, follow=True)
    assert "the most allowed" in r.content.decode()


# --- trusted proxies -----------------------------------------------------------------------


def _request(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_client_address_without_trusted_proxies_ignores_the_header(settings):
    settings.ILP_TRUSTED_PROXIES = []
    assert client_address(_request("203.0.113.5", "1.2.3.4")) == "203.0.113.5"


def test_client_address_behind_trusted_proxies(settings):
    settings.ILP_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    # The right-most address that is not a trusted proxy; a client's own entries further left
    # (forged) are ignored.
    req = _request("127.0.0.1", "6.6.6.6, 198.51.100.7, 10.1.2.3")
    assert client_address(req) == "198.51.100.7"
    assert client_address(_request("127.0.0.1", "198.51.100.8")) == "198.51.100.8"
    assert client_address(_request("127.0.0.1")) == "127.0.0.1"
    # Not from a trusted proxy: the header is the client's own and counts for nothing.
    assert client_address(_request("203.0.113.5", "198.51.100.7")) == "203.0.113.5"
    # Garbage in the header: counted on the proxy that forwarded it.
    assert client_address(_request("127.0.0.1", "not-an-ip, 10.0.0.2")) == "10.0.0.2"


def test_login_throttle_counts_the_forwarded_client(settings):
    settings.ILP_TRUSTED_PROXIES = ["127.0.0.1"]
    settings.ILP_THROTTLE_LOGIN = "1/m"
    settings.ILP_THROTTLE_LOGIN_ADDRESS_FACTOR = 2
    behind = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}
    other = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.2"}
    assert _token(behind, email="a@x.test").status_code == 401
    assert _token(behind, email="b@x.test").status_code == 401
    assert _token(behind, email="c@x.test").status_code == 429
    # Another client behind the same proxy is not locked out.
    assert _token(other, email="d@x.test").status_code == 401


# --- concurrency on PostgreSQL: the counter loses no hit ------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_increments_lose_nothing_on_postgresql():
    assert connection.vendor == "postgresql"
    cache.set("race", 0, timeout=600)
    errors = []

    def worker():
        from django.db import connection as conn

        try:
            mine = caches.create_connection("default")
            for _ in range(25):
                mine.incr("race")
        except Exception as exc:  # pragma: no cover - shown by the assertion
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert cache.get("race") == 100


# --- CACHE_URL: Redis in production ---------------------------------------------------------


def _settings_caches(**env) -> dict:
    import json
    import os
    import subprocess
    import sys

    code = "import json; from ilp import settings; print(json.dumps(settings.CACHES))"
    run_env = {k: v for k, v in os.environ.items() if k != "CACHE_URL"} | env
    out = subprocess.run(
        [sys.executable, "-c", code], env=run_env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])["default"]


def test_cache_url_selects_the_cache():
    assert _settings_caches()["BACKEND"] == "ilp.core.cache.DatabaseCache"
    assert _settings_caches(CACHE_URL="")["BACKEND"] == "ilp.core.cache.DatabaseCache"
    redis = _settings_caches(CACHE_URL="redis://127.0.0.1:6379/3")
    assert redis["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert redis["LOCATION"] == "redis://127.0.0.1:6379/3"


def _redis_up() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis server on 127.0.0.1:6379")
def test_throttles_work_on_redis(settings, clock):
    import uuid

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": f"ilp-test-{uuid.uuid4().hex}",
        }
    }
    assert type(caches["default"]).__name__ == "RedisCache"
    for _ in range(2):
        throttle_hit(scope="t", ident="a", rate="3/m")
    with pytest.raises(ZeroDivisionError), throttle_failures(Limit("t", "a", 3, 60)):
        raise ZeroDivisionError
    with pytest.raises(Throttled) as exc:
        throttle_hit(scope="t", ident="a", rate="3/m")
    assert 1 <= exc.value.retry_after <= 65
    assert CacheEntry.objects.count() == 0  # nothing went to the database
