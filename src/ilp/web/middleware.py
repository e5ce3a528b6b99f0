from ilp.core.errors import AppError

from .views import error_page


class PortalErrorMiddleware:
    """An AppError that escapes a portal view becomes a readable page, never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, AppError) and not request.path.startswith("/api/"):
            return error_page(
                request, exception.status, str(exception.default_message), exception.message
            )
        return None
