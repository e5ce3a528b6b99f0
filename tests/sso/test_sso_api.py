"""The single sign-on API: the provider (secret encrypted at rest), domains verified by DNS
(the tests' dnslib server through ILP_DNS_RESOLVER), one company per verified domain, and the
outbound URL rules for issuers."""

import pytest
import requests
from django.db import connection

from ilp.accounts.models import Company
from ilp.sso.models import CompanyDomain
from ilp.sso.outbound import issuer_session, issuer_url_check
from tests.accounts.factories import make_company, make_user, make_user_token
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db

BODY = {
    "issuer": "http://127.0.0.1:9/",
    "client_id": "portal",
    "client_secret": "the-client-secret-42",
    "jit_role": "user",
    "require_sso": True,
}


@pytest.fixture
def acme():
    company = make_company(name="Acme")
    admin = make_user("boss@acme.test", company=company, role="administrator")
    return company, ApiClient(make_user_token(admin))


def test_put_get_delete_sso(acme):
    company, api = acme
    put = api.put(f"/companies/{company.gaid}/sso", BODY)
    assert put.status_code == 200, put.content
    got = api.get(f"/companies/{company.gaid}/sso")
    assert got.status_code == 200
    assert got.json() == {
        "issuer": "http://127.0.0.1:9",
        "client_id": "portal",
        "jit_role": "user",
        "require_sso": True,
        "domains": [],
    }
    assert Company.objects.get(pk=company.pk).sso_required is True
    assert api.delete(f"/companies/{company.gaid}/sso").status_code == 204
    assert api.get(f"/companies/{company.gaid}/sso").status_code == 404
    assert Company.objects.get(pk=company.pk).sso_required is False


def test_client_secret_is_encrypted_at_rest(acme):
    company, api = acme
    api.put(f"/companies/{company.gaid}/sso", BODY)
    with connection.cursor() as cursor:
        cursor.execute("SELECT client_secret FROM sso_companysso")
        (stored,) = cursor.fetchone()
    assert "the-client-secret-42" not in stored
    assert stored


def test_only_administrators_manage_sso(acme):
    company, _api = acme
    provider = make_user("sp@acme.test", company=company, role="service_provider")
    response = ApiClient(make_user_token(provider)).put(f"/companies/{company.gaid}/sso", BODY)
    assert response.status_code == 403


@pytest.mark.parametrize(
    "issuer",
    ["http://idp.example.com", "https://10.0.0.1", "https://127.0.0.1:8443", "ftp://x.test"],
)
def test_issuer_must_follow_the_outbound_rules(acme, settings, issuer):
    settings.ILP_WEBHOOK_ALLOW_HOSTS = []
    company, api = acme
    response = api.put(f"/companies/{company.gaid}/sso", {**BODY, "issuer": issuer})
    assert response.status_code == 422
    assert response.json()["code"] == "issuer_not_allowed"


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "100.64.0.1", "::ffff:10.0.0.1"]
)
def test_issuer_resolving_to_a_private_address_is_refused(settings, monkeypatch, address):
    settings.ILP_WEBHOOK_ALLOW_HOSTS = []
    family = 10 if ":" in address else 2
    monkeypatch.setattr("socket.getaddrinfo", lambda *a, **k: [(family, 1, 6, "", (address, 443))])
    with pytest.raises(Exception) as caught:
        issuer_url_check("https://idp.example.com")
    assert getattr(caught.value, "code", "") == "issuer_not_allowed"


def test_issuer_resolving_to_public_addresses_passes(settings, monkeypatch):
    settings.ILP_WEBHOOK_ALLOW_HOSTS = []
    monkeypatch.setattr("socket.getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("8.8.8.8", 443))])
    assert issuer_url_check("https://idp.example.com") == "8.8.8.8"


def test_domain_is_verified_by_its_txt_record(acme, test_dns):
    company, api = acme
    added = api.post(f"/companies/{company.gaid}/domains", {"domain": "Acme.TEST."})
    assert added.status_code == 201, added.content
    body = added.json()
    assert body["domain"] == "acme.test"
    assert body["verified"] is False
    assert body["verification"].startswith("ilp-domain-verification=")
    verify = f"/companies/{company.gaid}/domains/acme.test/verify"
    early = api.post(verify)
    assert early.status_code == 409
    assert early.json()["code"] == "domain_not_verified"
    test_dns.records["acme.test"] = ["v=spf1 -all", body["verification"]]
    done = api.post(verify)
    assert done.status_code == 200, done.content
    assert done.json()["verified"] is True
    listed = api.get(f"/companies/{company.gaid}/domains").json()
    assert listed == [{**body, "verified": True}]
    assert api.get(f"/companies/{company.gaid}/sso").status_code == 404  # no provider yet
    assert api.delete(f"/companies/{company.gaid}/domains/acme.test").status_code == 204
    assert not CompanyDomain.objects.exists()


def test_a_wrong_txt_value_does_not_verify(acme, test_dns):
    company, api = acme
    api.post(f"/companies/{company.gaid}/domains", {"domain": "acme.test"})
    test_dns.records["acme.test"] = ["ilp-domain-verification=someone-elses"]
    response = api.post(f"/companies/{company.gaid}/domains/acme.test/verify")
    assert response.status_code == 409


def test_one_company_per_verified_domain(acme, test_dns):
    company, api = acme
    other = make_company(name="Other")
    other_api = ApiClient(
        make_user_token(make_user("boss@other.test", company=other, role="administrator"))
    )
    mine = api.post(f"/companies/{company.gaid}/domains", {"domain": "shared.test"}).json()
    theirs = other_api.post(f"/companies/{other.gaid}/domains", {"domain": "shared.test"}).json()
    test_dns.records["shared.test"] = [mine["verification"], theirs["verification"]]
    assert api.post(f"/companies/{company.gaid}/domains/shared.test/verify").status_code == 200
    late = other_api.post(f"/companies/{other.gaid}/domains/shared.test/verify")
    assert late.status_code == 409
    assert late.json()["code"] == "domain_taken"
    third = make_company(name="Third")
    third_api = ApiClient(
        make_user_token(make_user("boss@third.test", company=third, role="administrator"))
    )
    again = third_api.post(f"/companies/{third.gaid}/domains", {"domain": "shared.test"})
    assert again.status_code == 409
    assert again.json()["code"] == "domain_taken"


def test_invalid_domain_is_422(acme):
    company, api = acme
    for bad in ("localhost", "no spaces.test", "-x.test", ""):
        response = api.post(f"/companies/{company.gaid}/domains", {"domain": bad})
        assert response.status_code == 422, bad


def test_another_companys_domain_is_404(acme):
    company, api = acme
    other = make_company(name="Other")
    CompanyDomain.objects.create(company=other, domain="other.test", token="t")
    response = api.post(f"/companies/{company.gaid}/domains/other.test/verify")
    assert response.status_code == 404


def test_an_international_domain_is_kept_as_addresses_carry_it(acme, test_dns):
    company, api = acme
    added = api.post(f"/companies/{company.gaid}/domains", {"domain": "Straße.Example"})
    assert added.status_code == 201, added.content
    assert added.json()["domain"] == "straße.example"  # IDNA 2008: not strasse.example
    test_dns.records["xn--strae-oqa.example"] = [added.json()["verification"]]
    verified = api.post(f"/companies/{company.gaid}/domains/straße.example/verify")
    assert verified.status_code == 200, verified.content


def test_a_provider_is_connected_to_at_the_checked_address(settings, monkeypatch):
    """The connection goes to the address the check resolved (no second look-up an attacker
    could answer differently), while TLS and the Host header still name the host."""
    settings.ILP_WEBHOOK_ALLOW_HOSTS = []
    monkeypatch.setattr(
        "socket.getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("93.184.216.34", 443))]
    )
    session = issuer_session("https://idp.example.com/jwks")
    adapter = session.get_adapter("https://idp.example.com/jwks")
    prepared = requests.Request("GET", "https://idp.example.com/jwks").prepare()
    pool = adapter.get_connection_with_tls_context(prepared, True)
    assert pool.host == "93.184.216.34"
    assert pool.conn_kw["server_hostname"] == "idp.example.com"
    assert pool.assert_hostname == "idp.example.com"
    sent = []
    monkeypatch.setattr(
        requests.adapters.HTTPAdapter, "send", lambda self, request, *a, **k: sent.append(request)
    )
    adapter.send(prepared)
    assert sent[0].headers["Host"] == "idp.example.com"
    assert session.max_redirects == 0 and session.trust_env is False
