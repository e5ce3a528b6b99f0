"""The HTTP API's frame: one NinjaAPI whose handlers turn every error into problem+json.

The routers of the apps are added by the assembly, `ilp/api.py` (core imports no app).
"""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from .errors import AppError, Throttled
from .problems import problem_response

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="ILP API",
    version="1",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    description="ILP license portal: orders, subscription keys, product packs, rollout.",
)


def _loc(loc) -> list:
    return [part for part in loc]


@api.exception_handler(AppError)
def _app_error(request, exc: AppError):
    headers = {}
    if isinstance(exc, Throttled):
        headers["Retry-After"] = str(exc.retry_after)
    return problem_response(
        exc.status, exc.code, exc.message, errors=exc.errors or None, headers=headers
    )


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    errors = [
        {"loc": _loc(err.get("loc", [])), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors
    ]
    return problem_response(422, "validation_error", _("Some fields are invalid."), errors=errors)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return problem_response(401, "not_authenticated", _("Authentication is required."))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    codes = {
        400: "malformed_request",
        401: "not_authenticated",
        405: "method_not_allowed",
        429: "throttled",
    }
    headers = {}
    if exc.status_code == 429:
        headers["Retry-After"] = str(max(1, int(getattr(exc, "wait", None) or 60)))
    message = str(exc)
    if exc.status_code == 400:
        message = _("The request body is not valid JSON.")
    return problem_response(
        exc.status_code, codes.get(exc.status_code, "http_error"), message, headers=headers
    )


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problem_response(404, "not_found", _("Not found."))


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    # The body limit middleware answers from Content-Length first; this is the second line.
    limit = f"{settings.ILP_MAX_BODY_MB:g}"
    return problem_response(
        413, "body_too_large", _("The request body is larger than %(limit)s MB.") % {"limit": limit}
    )


@api.exception_handler(Exception)
def _unexpected(request, exc):
    logger.exception("unhandled error in %s %s", request.method, request.path)
    return problem_response(500, "internal_error", _("Something went wrong on our side."))
