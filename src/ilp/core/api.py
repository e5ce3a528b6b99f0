"""The HTTP API's frame: one NinjaAPI whose handlers turn every error into problem+json.

The routers of the apps are added by the assembly, `ilp/api.py` (core imports no app).
"""

import functools
import json
import logging
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.urls import URLPattern
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from .errors import AppError, Throttled
from .problems import CONTENT_TYPE, ProblemOut, problem_response

logger = logging.getLogger(__name__)


class ObjectBodyParser(Parser):
    """Every request body of the API is a JSON object: an array, a string or a number is
    refused like unparsable JSON (400), instead of being read as an empty object (ninja's
    schemas read attributes, so `[null]` would otherwise pass as `{}`). Unknown fields in an
    object are ignored (docs/decisions.md, "Errors and input")."""

    def parse_body(self, request):
        data = json.loads(request.body)
        if not isinstance(data, dict):
            raise ValueError("the request body is not a JSON object")
        return data


def _without_null(schema: dict) -> dict:
    """`anyOf: [X, {type: null}]` → X: a query or path parameter is a string or absent, never
    JSON null (absent is how a client says None)."""
    variants = schema.get("anyOf")
    if variants and len(variants) == 2 and {"type": "null"} in variants:
        (kept,) = (v for v in variants if v != {"type": "null"})
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        return {**kept, **rest}
    return schema


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _refuse_nul(view):
    """Text never holds U+0000: PostgreSQL cannot store it (a DataError, i.e. a 500, found by
    schemathesis on PostgreSQL), and no name, key or ID of ours has one. A NUL in the path,
    the query or a JSON body is a 422 before the view runs."""

    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        found = "\x00" in request.path or any(
            _holds_nul(k) or _holds_nul(v) for k, v in request.GET.lists()
        )
        if not found and request.body and b"\\u0000" in request.body:
            try:
                found = _holds_nul(json.loads(request.body))
            except ValueError:
                found = False  # not JSON: ninja answers 400
        if found:
            return problem_response(
                422, "nul_character", _("Text may not contain the NUL character (U+0000).")
            )
        return view(request, *args, **kwargs)

    return guarded


class IlpNinjaAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document tells the truth, so that schemathesis finds no
    conformance failure (tests/test_fuzz_api.py):

    - every response of status 400 or above is `application/problem+json` (what the handlers
      below send), not the `application/json` that ninja writes for every declared response;
    - a route with a body can answer 400 (not JSON, or not an object), a route with any
      parameter or body 422 (ninja's own validation), whether or not it lists them;
    - query and path parameters are never null (see `_without_null`);
    - a route with `format=csv` answers `text/csv` too.

    Every view also refuses the NUL character (`_refuse_nul`).
    """

    def _get_urls(self):
        patterns = super()._get_urls()
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = _refuse_nul(pattern.callback)
        return patterns

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        problem = {"$ref": "#/components/schemas/ProblemOut"}
        for path, path_item in schema.get("paths", {}).items():
            for operation in path_item.values():
                responses = operation.setdefault("responses", {})
                parameters = operation.get("parameters", [])
                for parameter in parameters:
                    parameter["schema"] = _without_null(parameter.get("schema", {}))
                implied = []
                if operation.get("requestBody"):
                    implied += [400, 413]  # not JSON; over ILP_MAX_BODY_MB (web.middleware)
                implied.append(422)  # any query string (a NUL, `_refuse_nul`) or body
                if "/companies/{gaid}" in path:
                    implied.append(410)  # a merged company's GAID (`company_merged`)
                for status in implied:
                    if status not in responses and str(status) not in responses:
                        responses[status] = {
                            "description": HTTPStatus(status).phrase,
                            "content": {CONTENT_TYPE: {"schema": problem}},
                        }
                for status, response in responses.items():
                    content = response.get("content")
                    if int(status) >= 400 and content and "application/json" in content:
                        response["content"] = {CONTENT_TYPE: content.pop("application/json")}
                if any(
                    p.get("name") == "format" and "csv" in p.get("schema", {}).get("enum", [])
                    for p in parameters
                ):
                    ok = responses.get(200) or responses.get("200")
                    if ok is not None:
                        ok.setdefault("content", {})["text/csv"] = {"schema": {"type": "string"}}
        schema.setdefault("components", {}).setdefault("schemas", {}).setdefault(
            "ProblemOut", ProblemOut.json_schema()
        )
        return schema


api = IlpNinjaAPI(
    title="ILP API",
    version="1",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=ObjectBodyParser(),
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
        exc.status,
        exc.code,
        exc.message,
        errors=exc.errors or None,
        headers=headers,
        extra=exc.extra or None,
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
        message = _("The request body is not a valid JSON object.")
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
