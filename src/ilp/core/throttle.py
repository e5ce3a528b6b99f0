"""A small cache-based throttle: at most N hits per period per client and scope.

Used for login, API token creation and invitation look-ups (API.md: 429). Rates are settings
such as "20/m" (per second, minute, hour or day). Django's default cache (per process) is
enough for one app process; with several processes each counts on its own, which still bounds
guessing. Configure a shared cache (e.g. the database cache) to count across processes.
"""

import time

from django.conf import settings
from django.core.cache import cache

from .errors import Throttled

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    count, _, period = (rate or "").partition("/")
    return int(count), _PERIODS[(period or "m")[0].lower()]


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def throttle_hit(*, scope: str, ident: str, rate: str | None = None) -> None:
    """Count one hit; raise Throttled (429) when the client is over the rate."""
    rate = rate or getattr(settings, f"ILP_THROTTLE_{scope.upper()}", "")
    if not rate:
        return
    limit, period = parse_rate(rate)
    window = int(time.time() // period)
    key = f"ilp-throttle:{scope}:{ident}:{window}"
    if cache.add(key, 1, timeout=period + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=period + 1)
            count = 1
    if count > limit:
        raise Throttled()
