"""Every request the server makes to an identity provider follows the webhook URL rules
(API.md, "Webhooks"): `https://` to a host that resolves only to public addresses, unless
the host is in ILP_WEBHOOK_ALLOW_HOSTS (then `http://` too: tests, on-premises providers).
The request connects to the address it checked (the Host header and TLS name stay the
host's) and follows no redirect.

The rule itself is core's (`core.outbound.url_check`); `issuer_url_check` turns its refusal
into SSO's error.
"""

from urllib.parse import urlsplit

import requests
from django.utils.translation import gettext as _

from ilp.core.errors import Invalid
from ilp.core.outbound import OutboundUrlNotAllowed, allowed_hosts, url_check

from .errors import SsoError

TIMEOUT_SECONDS = 10


def _refuse(url: str) -> Invalid:
    return Invalid(
        _("%(url)s is not allowed: use https:// and a host with public addresses only.")
        % {"url": url[:200]},
        code=SsoError.ISSUER_NOT_ALLOWED,
    )


def issuer_url_check(url: str) -> str | None:
    """Check a URL the server is about to request from an identity provider by the one
    outbound rule (`core.outbound.url_check`, the webhooks' too); 422 `issuer_not_allowed` if
    it breaks it. Returns the checked address to connect to (None for an allowed host, which
    is connected to by name)."""
    try:
        target = url_check(url)
    except OutboundUrlNotAllowed:
        raise _refuse(url) from None
    return None if target.host in allowed_hosts() else target.address


class _PinnedAdapter(requests.adapters.HTTPAdapter):
    """Connects to the checked address while the URL (Host header, TLS name) keeps the host."""

    def __init__(self, address: str, host: str):
        self._address, self._host = address, host
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["server_hostname"] = self._host
        kwargs["assert_hostname"] = self._host
        super().init_poolmanager(*args, **kwargs)

    def send(self, request, *args, **kwargs):
        # The connection goes to the address, so the Host header must name the host.
        port = urlsplit(request.url).port
        request.headers.setdefault("Host", f"{self._host}:{port}" if port else self._host)
        return super().send(request, *args, **kwargs)

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        # The pool connects to the checked address; the certificate is checked for the host.
        pinned = request.copy()
        pinned.url = request.url.replace(f"//{self._host}", f"//{self._address}", 1)
        return super().get_connection_with_tls_context(pinned, verify, proxies, cert)


def issuer_session(url: str) -> requests.Session:
    """A requests session for one request to `url` (checked first), no redirects followed,
    no proxy from the environment."""
    address = issuer_url_check(url)
    session = requests.Session()
    session.trust_env = False
    session.max_redirects = 0
    if address is not None:
        host = urlsplit(url).hostname or ""
        literal = f"[{address}]" if ":" in address else address
        session.mount(f"https://{host}", _PinnedAdapter(literal, host))
    return session


def issuer_get_json(url: str) -> dict:
    """GET a JSON document of a provider (discovery, JWKS) under the outbound rules."""
    with issuer_session(url) as session:
        response = session.get(url, timeout=TIMEOUT_SECONDS, allow_redirects=False)
    response.raise_for_status()
    data = response.json()
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data
