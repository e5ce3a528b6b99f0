"""Application errors: a stable snake_case code, a human message, an HTTP status.

One handler (core/api.py) turns every AppError into application/problem+json; portal views
show `message` to the person. Raise these from services and selectors, never HttpResponses.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


class AppError(Exception):
    status = 400
    code = "bad_request"
    default_message: Any = _("The request could not be processed.")

    def __init__(self, message: Any = None, *, code: str | None = None, errors=None, extra=None):
        self.message = str(message if message is not None else self.default_message)
        if code:
            self.code = code
        self.errors = errors or []
        # Members the problem+json body carries beside the standard ones (RFC 9457
        # extension members), e.g. `unit_ids` of 409 `seats_in_use`.
        self.extra: dict = extra or {}
        super().__init__(self.message)


class Unauthorized(AppError):
    status = 401
    code = "not_authenticated"
    default_message = _("Authentication is required.")


class PermissionDenied(AppError):
    status = 403
    code = "permission_denied"
    default_message = _("Your role does not allow this action.")


class NotFound(AppError):
    status = 404
    code = "not_found"
    default_message = _("Not found.")


class Conflict(AppError):
    status = 409
    code = "conflict"
    default_message = _("This conflicts with the current state.")


class Gone(AppError):
    """Once here, moved for good (410), e.g. a merged company's GAID (`merged_into`)."""

    status = 410
    code = "gone"
    default_message = _("This no longer exists here.")


class Invalid(AppError):
    """Well-formed but invalid values (422)."""

    status = 422
    code = "invalid"
    default_message = _("Some values are invalid.")


class Throttled(AppError):
    """429 with `retry_after` seconds (the Retry-After header of API answers and pages)."""

    status = 429
    code = "throttled"
    default_message = _("Too many requests. Try again later.")

    def __init__(self, message: Any = None, *, retry_after: int = 60, **kwargs):
        self.retry_after = max(1, int(retry_after))
        if message is None:
            message = _("Too many attempts. Try again in %(wait)s.") % {
                "wait": wait_text(self.retry_after)
            }
        super().__init__(message, **kwargs)


def wait_text(seconds: int) -> str:
    """A wait in words a person reads: seconds under a minute, whole minutes (rounded up) up
    to two hours, then hours — never "3602 seconds"."""
    seconds = max(1, int(seconds))
    if seconds < 60:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = -(-seconds // 60)
    if minutes < 120:
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    hours = -(-minutes // 60)
    return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
