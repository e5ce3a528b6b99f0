"""Throttles on the cache that every process shares (the database cache by default, Redis
with `CACHE_URL`), as sliding windows.

A limit is "N per period" for one scope and one identity (a client address, a canonical
e-mail, a company). Each window is cut into `BUCKETS` counters of period/BUCKETS seconds;
a hit is counted in the current one and a limit sums the current and the last BUCKETS
buckets, so every hit of the last full period counts (a burst at the end of one minute and
the start of the next is not twice the limit, as it was with fixed windows). The window
slides by buckets, so a client may wait up to one bucket longer than the exact period.

Counting uses only what every cache does atomically across processes: `add` (insert if
absent) and `incr` (`core.cache.DatabaseCache` makes the database cache's `incr` atomic).
A hit is counted first and taken back (`decr`) when it is over the limit, so concurrent
hits can never pass more than N; a refused hit does not count, and `Retry-After` says when
the oldest counted hit leaves the window.

Two kinds of limit:
- `throttle_hit` counts every request (invitation look-ups, reset and claim requests);
- `throttle_failures` (a context manager) reserves a hit before the guarded block and gives
  it back when the block succeeds: only failures count (logins: per account and client
  address, and at multiples per account and per client address, API.md "429"), yet
  concurrent guesses cannot exceed N.

The client address is REMOTE_ADDR, or behind a trusted proxy (`ILP_TRUSTED_PROXIES`,
addresses or networks) the right-most address in X-Forwarded-For that is not a trusted proxy.
"""

import hashlib
import ipaddress
import math
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache

from .errors import Throttled

BUCKETS = 12
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "20/m" → (20, 60); "5/hour" → (5, 3600); the period may carry a count: "100/5m" →
    (100, 300)."""
    count, _, period = (rate or "").partition("/")
    match = re.fullmatch(r"\s*(\d*)\s*([smhd])[a-z]*\s*", (period or "m").lower())
    if match is None:
        raise ValueError(f"not a rate: {rate!r}")
    return int(count), int(match[1] or 1) * _PERIODS[match[2]]


@dataclass(frozen=True)
class Limit:
    """At most `count` hits in any `period` seconds for one scope and identity."""

    scope: str
    ident: str
    count: int
    period: int

    @classmethod
    def of(cls, scope: str, ident: str, rate: str | None = None) -> "Limit | None":
        """A limit with the given rate, else the setting `ILP_THROTTLE_<SCOPE>`; None when
        that is empty (throttle off)."""
        rate = rate or getattr(settings, f"ILP_THROTTLE_{scope.upper()}", "")
        if not rate:
            return None
        count, period = parse_rate(rate)
        return cls(scope, ident, count, period)

    def times(self, factor: int, scope: str, ident: str) -> "Limit":
        return Limit(scope, ident, self.count * factor, self.period)

    @property
    def bucket_seconds(self) -> int:
        return max(1, math.ceil(self.period / BUCKETS))

    @property
    def buckets(self) -> int:
        return math.ceil(self.period / self.bucket_seconds)

    def _prefix(self) -> str:
        # Hashed: keys stay short and valid for every cache whatever the identity holds.
        digest = hashlib.sha256(f"{self.scope}\n{self.ident}".encode()).hexdigest()[:32]
        return f"ilp-throttle:{self.scope}:{digest}"

    def keys(self, now: float) -> tuple[list[str], int]:
        """The keys of the window's buckets, oldest first (the last is the current one), and
        the current bucket's number."""
        current = int(now // self.bucket_seconds)
        prefix = self._prefix()
        return [f"{prefix}:{n}" for n in range(current - self.buckets, current + 1)], current


def _retry_after(limit: Limit, counts: list[int], current: int, now: float) -> int:
    """Seconds until one more hit fits: the oldest buckets leave the window one by one."""
    total = sum(counts)
    for offset, count in enumerate(counts):
        total -= count
        if total < limit.count:
            # Bucket number (current - buckets + offset) leaves when bucket
            # (current + offset + 1) begins.
            leaves_at = (current + offset + 1) * limit.bucket_seconds
            return max(1, math.ceil(leaves_at - now))
    return limit.period  # pragma: no cover - the loop always ends below the limit


def _count(limit: Limit, now: float) -> str | None:
    """Count one hit; return its key, or raise Throttled (the hit taken back) when over."""
    keys, current = limit.keys(now)
    key = keys[-1]
    timeout = limit.period + 2 * limit.bucket_seconds
    cache.add(key, 0, timeout=timeout)
    try:
        mine = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=timeout)
        mine = 1
    stored = cache.get_many(keys[:-1])
    counts = [int(stored.get(k) or 0) for k in keys[:-1]] + [mine]
    if sum(counts) <= limit.count:
        return key
    _uncount(key)
    counts[-1] -= 1
    raise Throttled(retry_after=_retry_after(limit, counts, current, now))


def _uncount(key: str) -> None:
    try:
        cache.decr(key)
    except ValueError:  # already expired: nothing to give back
        pass


def _count_all(limits) -> list[str]:
    now = time.time()
    counted: list[str] = []
    try:
        for limit in limits:
            if limit is not None:
                counted.append(_count(limit, now))
    except Throttled:
        for key in counted:
            _uncount(key)
        raise
    return counted


def throttle_hit(*, scope: str, ident: str, rate: str | None = None) -> None:
    """Count one hit; raise Throttled (429 with Retry-After) when the client is over the
    rate (`rate`, else the setting `ILP_THROTTLE_<SCOPE>`)."""
    _count_all([Limit.of(scope, ident, rate)])


def throttle_hits(*limits: Limit | None) -> None:
    """Count one hit on each limit; all or none (a refused hit counts on none)."""
    _count_all(limits)


@contextmanager
def throttle_failures(*limits: Limit | None) -> Iterator[None]:
    """Guard an attempt that may fail (a login): refused with Throttled when a limit's
    failures are used up; a block that raises counts as a failure, one that returns does
    not."""
    counted = _count_all(limits)
    yield  # an exception of the block propagates from here: its hits stay counted
    for key in counted:
        _uncount(key)


def login_limits(*, request, email: str) -> tuple[Limit | None, ...]:
    """Failed logins (API.md, "Account and credential safety"): per account and client
    address (`ILP_THROTTLE_LOGIN`, 20 a minute), per account alone at
    `ILP_THROTTLE_LOGIN_ACCOUNT_FACTOR` times that (100) and per client address alone at
    `ILP_THROTTLE_LOGIN_ADDRESS_FACTOR` times that (100). Someone guessing from another
    address cannot lock the owner out with the first limit, only a spread attack at the
    second; random e-mails from one address (each costs a password hash) meet the third. A
    factor of 0 drops that limit."""
    pair = Limit.of("login", f"account:{email}\naddress:{client_address(request)}")
    if pair is None:
        return ()
    limits: list[Limit | None] = [pair]
    account_factor = getattr(settings, "ILP_THROTTLE_LOGIN_ACCOUNT_FACTOR", 5)
    if account_factor > 0:
        limits.append(pair.times(account_factor, "login_account", f"account:{email}"))
    address_factor = getattr(settings, "ILP_THROTTLE_LOGIN_ADDRESS_FACTOR", 5)
    if address_factor > 0:
        limits.append(pair.times(address_factor, "login_address", client_address(request)))
    return tuple(limits)


def password_reset_limits(*, request, email: str) -> tuple[Limit | None, ...]:
    """Password-reset requests (API.md, "Account and credential safety"): per account and
    client address at `ILP_THROTTLE_MAIL_PER_ADDRESS` (5 an hour) and per account alone at
    `ILP_THROTTLE_PASSWORD_RESET_ACCOUNT` (20 an hour), so that a stranger's requests cannot
    use up the owner's own; per client address alone `ILP_THROTTLE_PASSWORD_RESET` (any
    e-mails). Counted together with `throttle_hits` (all or none)."""
    address = client_address(request)
    return (
        Limit.of("password_reset", address),
        Limit.of("mail_per_address", f"password_reset:{email}\naddress:{address}"),
        Limit.of("password_reset_account", f"password_reset:{email}"),
    )


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]):
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _trusted(address: str) -> bool:
    networks = _networks(tuple(getattr(settings, "ILP_TRUSTED_PROXIES", ()) or ()))
    if not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, unless that is a trusted proxy; then the
    right-most X-Forwarded-For hop that is not a trusted proxy (hops to its left were
    written by the client and prove nothing)."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    if not _trusted(remote):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    address = remote
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # garbage: count it on the last proxy that forwarded it
        address = hop
        if not _trusted(hop):
            break
    return address


def retry_after_header(response, exc: Throttled):
    """Put a page's 429 and its Retry-After on the response."""
    response.status_code = 429
    response["Retry-After"] = str(exc.retry_after)
    return response
