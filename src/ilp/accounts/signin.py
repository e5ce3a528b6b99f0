"""Signing a person in to the portal, one way for every method (password, password + code,
single sign-on): Django's login, how the session signed in (`ilp_auth_method`), the session's
record and the sign-in's, the browser cookie; and the middleware keeping `last_seen_at`."""

import time

from django.conf import settings
from django.contrib.auth import login as auth_login

from ilp.core.auth import AUTH_METHOD_SESSION_KEY
from ilp.core.ids import new_token
from ilp.core.machine import machine_path
from ilp.core.throttle import client_address

from . import services
from .models import SignInMethod, User

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
# The session's record (UserSession id) and the key it was recorded under.
SESSION_RECORD_KEY = "ilp_session"
SESSION_KEY_SEEN = "ilp_session_key"
SESSION_SEEN_AT = "ilp_seen_at"
SEEN_EVERY_SECONDS = 60
# A random id per browser, kept for a year: a sign-in from a browser without a known one
# mails the person.
BROWSER_COOKIE = "ilp_browser"
BROWSER_COOKIE_AGE = 365 * 24 * 3600


def _agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")


def current_session_id(request) -> int | None:
    session = getattr(request, "session", None)
    return session.get(SESSION_RECORD_KEY) if session is not None else None


def sign_in(request, user: User, *, method: str) -> None:
    """Log the person in and record it. Call `browser_cookie_set` on the response."""
    auth_login(request, user, backend=MODEL_BACKEND)
    request.session[AUTH_METHOD_SESSION_KEY] = method
    request.session.save()  # the key is known from here on
    browser = request.COOKIES.get(BROWSER_COOKIE) or new_token("b")
    request._ilp_browser = browser
    record = services.session_begin(
        user=user,
        session_key=request.session.session_key,
        method=method,
        address=client_address(request),
        user_agent=_agent(request),
        browser=browser,
    )
    request.session[SESSION_RECORD_KEY] = record.pk
    request.session[SESSION_KEY_SEEN] = request.session.session_key
    request.session[SESSION_SEEN_AT] = time.time()


def browser_cookie_set(request, response):
    """Give the browser its long-lived id (if it signed in just now without one)."""
    browser = getattr(request, "_ilp_browser", None)
    if browser and request.COOKIES.get(BROWSER_COOKIE) != browser:
        response.set_cookie(
            BROWSER_COOKIE,
            browser,
            max_age=BROWSER_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


def sign_in_failed(request, user: User | None, *, method: str = SignInMethod.PASSWORD) -> None:
    """Record a failed sign-in of an existing account."""
    if user is not None:
        services.sign_in_failed(
            user=user, method=method, address=client_address(request), user_agent=_agent(request)
        )


class SessionActivityMiddleware:
    """Keep the session's record: `last_seen_at` at most once a minute (the session holds
    when it last wrote, so other requests cost no query), and its key when Django cycled it.
    Machine paths (core/machine.py) never get here."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and not machine_path(request.path):
            record = session.get(SESSION_RECORD_KEY)
            if record and request.user.is_authenticated:
                self._touch(session, record)
        return self.get_response(request)

    @staticmethod
    def _touch(session, record: int) -> None:
        if session.session_key and session.get(SESSION_KEY_SEEN) != session.session_key:
            services.session_key_follow(session_id=record, session_key=session.session_key)
            session[SESSION_KEY_SEEN] = session.session_key
        now = time.time()
        if now - session.get(SESSION_SEEN_AT, 0) >= SEEN_EVERY_SECONDS:
            services.session_seen(session_id=record)
            session[SESSION_SEEN_AT] = now
