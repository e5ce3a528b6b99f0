"""The request middleware: a request id, one log line and the metrics of every request.

The outermost middleware. It takes the caller's `X-Request-ID` when it is sane (1–128
characters of letters, digits and `._:-`), else makes one; returns it in `X-Request-ID`;
puts it on every log record written while the request runs (core/logs.py); and, once the
response is there, logs one line (logger `ilp.request`: method, route, status, duration_ms,
request_id, principal and membership when known) and counts the request under its route
pattern (`/companies/<gaid>/packs/`, never the raw path: the label set stays small, and
paths that carry secrets (invitation and reset links) never reach a log).
"""

import logging
import os
import re
import time

from .logs import request_id_var
from .metrics import HTTP_LATENCY, HTTP_REQUESTS

logger = logging.getLogger("ilp.request")

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
UNMATCHED = "<unmatched>"


def request_id_from(request) -> str:
    # META, not request.headers: building the headers mapping costs more than the rest of
    # this middleware, and machine routes never need it (core/machine.py).
    incoming = request.META.get("HTTP_X_REQUEST_ID", "")
    if incoming and _SANE_ID.fullmatch(incoming):
        return incoming
    return os.urandom(16).hex()  # 32 hex digits like a uuid4's, without building the UUID


def route_of(request) -> str:
    """The URL pattern that answered (`/api/v1/companies/<gaid>/packs`); `<unmatched>` when
    none did (a 404 for an unknown path must not add a label per path)."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.route is None:
        return UNMATCHED
    return "/" + match.route.lstrip("^").rstrip("$")


def who(request) -> dict:
    """Who made the request, as far as it is known without a query: the principal the
    authentication resolved (token or session) and the membership a company route acted
    through. Never touches `request.user` lazily (that could cost a query)."""
    out: dict = {}
    principal = request.__dict__.get("_ilp_principal")
    user = None
    if principal:
        out["principal"] = principal.kind
        user = principal.user
        for attr in ("staff_token", "ums", "ald_token"):
            obj = getattr(principal, attr, None)
            if obj is not None:
                out[f"{attr}_id"] = obj.pk
    if user is None:
        user = request.__dict__.get("_cached_user")
    if user is not None and getattr(user, "is_authenticated", False):
        out["user_id"] = user.pk
    membership = request.__dict__.get("membership")
    if membership is None:
        membership = getattr(request.__dict__.get("auth"), "membership", None)
    if membership is not None:
        out["membership_id"] = membership.pk
    return out


class RequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request)
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            elapsed = time.perf_counter() - started
            response[REQUEST_ID_HEADER] = request_id
            self._record(request, response.status_code, elapsed)
            return response
        finally:
            request_id_var.reset(token)

    def _record(self, request, status: int, elapsed: float) -> None:
        method = request.method if request.method in _METHODS else "OTHER"
        route = route_of(request)
        try:
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_LATENCY.labels(method, route).observe(elapsed)
        except Exception:  # metrics must never break a request (full disk, say)
            logger.exception("metrics: recording the request failed")
        if not logger.isEnabledFor(logging.INFO):
            return  # the line's fields are not even gathered
        duration_ms = round(elapsed * 1000, 1)
        logger.info(
            "%s %s %s %.1fms",
            method,
            route,
            status,
            duration_ms,
            extra={
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": duration_ms,
                **who(request),
            },
        )
