from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _

from ilp.core.errors import AppError, Throttled
from ilp.core.problems import problem_response
from ilp.core.throttle import retry_after_header

from .views import error_page


class PortalErrorMiddleware:
    """An AppError that escapes a portal view becomes a readable page, never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, AppError) and not request.path.startswith("/api/"):
            response = error_page(
                request,
                exception.status,
                str(exception.default_message),
                exception.message,
                merged_into=exception.extra.get("merged_into", ""),
            )
            if isinstance(exception, Throttled):
                retry_after_header(response, exception)
            return response
        return None


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # Django reads no body for a length it cannot parse either


def body_too_large(request):
    """413: problem+json for the API, a readable page for people."""
    limit = f"{settings.ILP_MAX_BODY_MB:g}"
    if request.path.startswith("/api/"):
        return problem_response(
            413,
            "body_too_large",
            _("The request body is larger than %(limit)s MB.") % {"limit": limit},
        )
    return error_page(
        request,
        413,
        _("Too large"),
        _("What you sent is larger than %(limit)s MB. Send a smaller file or less text.")
        % {"limit": limit},
    )


class BodySizeLimitMiddleware:
    """Refuse a body over ILP_MAX_BODY_MB with 413 before a byte of it is read.

    The declared Content-Length decides. A body without one (chunked) is not read at all by
    Django under WSGI (its stream is limited to the declared length, 0), so it cannot grow
    past the limit either. Django's own limit (DATA_UPLOAD_MAX_MEMORY_SIZE, the same number)
    is the second line: its RequestDataTooBig becomes the same 413, never a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _declared_length(request) > settings.ILP_MAX_BODY_BYTES:
            return body_too_large(request)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, RequestDataTooBig):
            return body_too_large(request)
        return None
