"""Requests the server makes to addresses its users name (webhook receivers, identity
providers): the one rule for where it may connect, and a connection pinned to the address
that rule checked.

A URL is allowed when its scheme is `https` and every address its host resolves to is public:
not loopback, private, link-local, multicast, shared (100.64.0.0/10), unspecified, reserved
or documentation, and no IPv4-mapped (or compatible, 6to4, NAT64) IPv6 form of one of those.
Hosts in `ILP_WEBHOOK_ALLOW_HOSTS` (tests, on-premises receivers) skip the address rule and
may use `http`.

    target = url_check(url)              # OutboundUrlNotAllowed, or the checked Target
                                         # (OutboundHostUnresolved, a subclass: no DNS answer)
    response = pinned_request(target, body=b"...", headers={...}, timeout=10)

`pinned_request` connects to `target.address` (never resolving the name again, so a name that
resolves to a public address when checked and to 127.0.0.1 a moment later cannot steer it),
sends the host name as `Host` and as TLS SNI, verifies the certificate against the name, and
follows no redirect (a 3xx is just the answer). Check again before every request: a stored
URL's name may resolve elsewhere tomorrow.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

# Networks that are not "public" although `is_global` (or its absence) may not say so.
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundUrlNotAllowed(ValueError):
    """The URL may not be requested; `reason` says why (for logs and the delivery log)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class OutboundHostUnresolved(OutboundUrlNotAllowed):
    """The host name does not resolve (now): nothing to connect to. A caller that stores a
    URL for later may accept this (it is checked again before each request)."""


@dataclass(frozen=True)
class Target:
    """A checked URL: connect to `address`, speak to `host`."""

    scheme: str  # "https" or (allowed hosts only) "http"
    host: str  # the name, for Host and SNI
    port: int
    address: str  # the resolved address that was checked
    path: str  # path and query, "/" at least


def address_public(address: str) -> bool:
    """Whether the server may connect to this IP address (see the module docstring)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is None and int(ip) >> 32 == 0 and int(ip) > 1:  # ::a.b.c.d (compatible)
            embedded = ipaddress.IPv4Address(int(ip))
        if embedded is not None:
            return address_public(str(embedded))
        if ip.teredo:
            return False
    if ip in _SHARED:
        return False
    return ip.is_global and not (
        ip.is_multicast
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_unspecified
        or ip.is_reserved
    )


def host_resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (the system resolver). Tests replace this function
    to play a name that resolves elsewhere between the check and the delivery."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def allowed_hosts() -> frozenset[str]:
    return frozenset(h.strip().lower().rstrip(".") for h in settings.ILP_WEBHOOK_ALLOW_HOSTS)


def url_check(url: str) -> Target:
    """The URL's target if the server may request it, resolved now; else
    `OutboundUrlNotAllowed`. Call it again right before each request and connect only with
    `pinned_request(target)`."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        raise OutboundUrlNotAllowed("not a valid URL") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if not host or parts.username is not None or parts.password is not None:
        raise OutboundUrlNotAllowed("the URL needs a host name and no user or password")
    exempt = host in allowed_hosts()
    if scheme != "https" and not (exempt and scheme == "http"):
        raise OutboundUrlNotAllowed("only https:// URLs are allowed")
    port = port or (443 if scheme == "https" else 80)
    try:
        addresses = host_resolve(host, port)
    except (OSError, UnicodeError):
        raise OutboundHostUnresolved(f"{host} does not resolve") from None
    if not addresses:
        raise OutboundHostUnresolved(f"{host} does not resolve")
    if not exempt:
        refused = [a for a in addresses if not address_public(a)]
        if refused:
            raise OutboundUrlNotAllowed(f"{host} resolves to a non-public address ({refused[0]})")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=scheme, host=host, port=port, address=addresses[0], path=path)


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes  # at most `max_body` bytes of it
    headers: dict[str, str]  # names in lower case


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float, context: ssl.SSLContext):
        super().__init__(target.host, target.port, timeout=timeout, context=context)
        self._address = target.address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def pinned_request(
    target: Target,
    *,
    method: str = "POST",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
    max_body: int = 65536,
    context: ssl.SSLContext | None = None,
) -> Response:
    """One request to the checked address (no redirect followed, no proxy from the
    environment). Raises `TimeoutError` when the answer takes longer than `timeout` seconds
    in all, `OSError` (and `http.client.HTTPException`) when the connection fails."""
    deadline = time.monotonic() + timeout
    if target.scheme == "https":
        conn: http.client.HTTPConnection = _PinnedHTTPS(
            target, timeout, context or ssl.create_default_context()
        )
    else:
        conn = _PinnedHTTP(target, timeout)
    try:
        conn.request(method, target.path, body=body, headers=headers or {})
        answer = conn.getresponse()
        data = answer.read(max_body)
        if time.monotonic() > deadline:
            raise TimeoutError(f"no complete answer within {timeout:g} s")
        headers = {name.lower(): value for name, value in answer.getheaders()}
        return Response(status=answer.status, body=data, headers=headers)
    finally:
        conn.close()
