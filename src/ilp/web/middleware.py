from ilp.core.errors import AppError, Throttled
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
                request, exception.status, str(exception.default_message), exception.message
            )
            if isinstance(exception, Throttled):
                retry_after_header(response, exception)
            return response
        return None
