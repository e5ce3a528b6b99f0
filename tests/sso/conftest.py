"""Fixtures of the single sign-on tests: the local OpenID provider (node's oidc-provider)
with three clients, a company whose domain is verified, and a way to sign in through the
provider's login form over HTTP (what a browser does, without one)."""

import re
from html import unescape
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from django.test import Client

from ilp.sso.models import CompanyDomain, CompanySso
from tests.accounts.factories import make_company
from tests.sso.idp import TestIdp

BASE_URL = "http://127.0.0.1:8000"  # settings.ILP_BASE_URL in the tests
CALLBACK = f"{BASE_URL}/sso/callback"
STAFF_CALLBACK = f"{BASE_URL}/staff/sso/callback"
CLIENTS = [
    {"client_id": "acme", "client_secret": "acme-secret", "redirect_uris": [CALLBACK]},
    {"client_id": "other", "client_secret": "other-secret", "redirect_uris": [CALLBACK]},
    {"client_id": "staff", "client_secret": "staff-secret", "redirect_uris": [STAFF_CALLBACK]},
]


@pytest.fixture(scope="session")
def idp():
    provider = TestIdp(CLIENTS)
    yield provider
    provider.stop()


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.ILP_BASE_URL = BASE_URL


def sso_company(idp, *, name="Acme GmbH", domain="acme.test", client="acme", **fields):
    company = make_company(name=name)
    CompanySso.objects.create(
        company=company,
        issuer=idp.issuer,
        client_id=client,
        client_secret=f"{client}-secret",
        **fields,
    )
    CompanyDomain.objects.create(
        company=company, domain=domain, token="t-" + domain, verified_at="2026-01-01T00:00Z"
    )
    if fields.get("require_sso"):
        type(company).objects.filter(pk=company.pk).update(sso_required=True)
        company.refresh_from_db()
    return company


def provider_login(authorize_url: str, login: str, *, stop_at: str = BASE_URL) -> str:
    """Sign in at the provider's (development) login form; returns the URL it sends the
    browser back to (our callback with `code` and `state`)."""
    browser = requests.Session()
    url = authorize_url
    for _ in range(10):
        response = browser.get(url, allow_redirects=False, timeout=10)
        if response.status_code in (302, 303):
            url = urljoin(url, response.headers["Location"])
            if url.startswith(stop_at):
                return url
            continue
        form = re.search(r'<form[^>]*action="([^"]+)"[^>]*method="post"', response.text)
        assert form, f"no login form at {url}: {response.status_code} {response.text[:300]}"
        action = urljoin(url, unescape(form.group(1)))
        response = browser.post(
            action,
            data={"prompt": "login", "login": login, "password": "any"},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code in (302, 303), response.text[:300]
        url = urljoin(action, response.headers["Location"])
        if url.startswith(stop_at):
            return url
    raise AssertionError("the provider did not send the browser back")


def local(url: str) -> str:
    """The path and query of one of our URLs (for Django's test client)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def sso_sign_in(client: Client, email: str, *, login: str | None = None):
    """Start at /sso/start, sign in at the provider as `login` (default: the e-mail), and
    come back; returns the callback's response."""
    start = client.get("/sso/start", {"email": email})
    assert start.status_code == 302, start.content[:300]
    back = provider_login(start["Location"], login or email)
    return client.get(local(back))
