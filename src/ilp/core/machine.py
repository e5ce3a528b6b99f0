"""The lean path: machine routes skip the middleware that only people need.

A UMS, the order system and a JWKS fetcher send a bearer token (or nothing) and read JSON.
They have no session, no CSRF cookie, no messages, no language of their own, no htmx and no
portal error page, yet every one of those middlewares ran on each of their requests. For the
paths in `settings.ILP_MACHINE_PATHS` (`/api/v1/ums/…`, `/api/v1/orders…`,
`/.well-known/jwks.json`) this middleware, placed right after the request middleware (so the
request id, the log line and the metrics stay), runs its own short chain instead:
`settings.ILP_MACHINE_MIDDLEWARE` (security headers and the HTTPS redirect, the body-size
413, Idempotency-Key) and then the view, the way Django's handler would call it. Every other
path goes on down the full stack unchanged.

What the machine routes lose on purpose (docs/decisions.md "The lean path for machine
callers"): the session (a browser session is no credential there: 401, as for any request
without a token), the CSRF cookie, `Vary: Cookie`, the language of `Accept-Language` (they
answer in the default language, English, whatever the thread served before), and the
page-only headers (Content-Security-Policy, X-Frame-Options: a JSON answer is no page).
"""

import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.exception import convert_exception_to_response
from django.urls import get_resolver, get_urlconf
from django.utils import translation
from django.utils.module_loading import import_string


def machine_path(path: str) -> bool:
    """Whether this path takes the lean path (`ILP_MACHINE_PATHS`)."""
    return _machine_paths().match(path) is not None


_compiled: tuple[tuple[str, ...], re.Pattern] | None = None


def _machine_paths() -> re.Pattern:
    global _compiled
    patterns = tuple(settings.ILP_MACHINE_PATHS)
    if _compiled is None or _compiled[0] != patterns:
        either = "|".join(f"(?:{p})" for p in patterns) or "(?!)"  # none: nothing matches
        _compiled = (patterns, re.compile(either))
    return _compiled[1]


class MachinePathMiddleware:
    """Send machine routes through the short chain; everything else down the full stack."""

    def __init__(self, get_response):
        self.get_response = get_response
        if any(db.get("ATOMIC_REQUESTS") for db in settings.DATABASES.values()):
            # _view does not wrap views in a transaction as Django's handler would then.
            raise ImproperlyConfigured("ATOMIC_REQUESTS has no lean path (core/machine.py)")
        self._view_hooks = []
        self._exception_hooks = []
        handler = convert_exception_to_response(self._view)
        for path in reversed(settings.ILP_MACHINE_MIDDLEWARE):
            instance = import_string(path)(handler)
            if hasattr(instance, "process_view"):
                self._view_hooks.insert(0, instance.process_view)
            if hasattr(instance, "process_exception"):
                self._exception_hooks.append(instance.process_exception)
            if hasattr(instance, "process_template_response"):
                raise ImproperlyConfigured(f"{path}: template responses have no lean path")
            handler = convert_exception_to_response(instance)
        self.lean = handler

    def __call__(self, request):
        if not _machine_paths().match(request.path_info):
            return self.get_response(request)
        # Host validation (ALLOWED_HOSTS) as CommonMiddleware does it for the full stack:
        # DisallowedHost becomes a 400 (convert_exception_to_response around this middleware).
        request.get_host()
        # No LocaleMiddleware here: answer in the default language, never in the language a
        # person's page request left active in this thread.
        with translation.override(settings.LANGUAGE_CODE):
            response = self.lean(request)
        if not response.streaming and not response.has_header("Content-Length"):
            response.headers["Content-Length"] = str(len(response.content))  # as CommonMiddleware
        return response

    def _view(self, request):
        """What Django's handler does between the middleware and the view (`_get_response`),
        for plain views: resolve, the chain's process_view hooks, call, process_exception."""
        urlconf = getattr(request, "urlconf", None) or get_urlconf()
        match = get_resolver(urlconf).resolve(request.path_info)  # Resolver404: handler404
        request.resolver_match = match
        for hook in self._view_hooks:
            response = hook(request, match.func, match.args, match.kwargs)
            if response is not None:
                return response
        try:
            response = match.func(request, *match.args, **match.kwargs)
        except Exception as exc:
            for hook in self._exception_hooks:
                response = hook(request, exc)
                if response is not None:
                    return response
            raise
        if response is None:
            raise ValueError(f"The view {match.func!r} returned None.")
        return response
