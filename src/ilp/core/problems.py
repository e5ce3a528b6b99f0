"""application/problem+json responses (RFC 9457) with a stable `code`."""

import json
from http import HTTPStatus

from django.http import HttpResponse
from ninja import Schema

CONTENT_TYPE = "application/problem+json"


def problem_body(
    status: int, code: str, detail: str, errors: list | None = None, extra: dict | None = None
) -> dict:
    body = {
        **(extra or {}),
        "type": f"urn:ilp:problem:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    return body


def problem_response(
    status: int,
    code: str,
    detail: str,
    errors: list | None = None,
    headers: dict | None = None,
    extra: dict | None = None,
) -> HttpResponse:
    response = HttpResponse(
        json.dumps(problem_body(status, code, detail, errors, extra), default=str),
        status=status,
        content_type=CONTENT_TYPE,
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


class ProblemOut(Schema):
    """application/problem+json (RFC 9457) with a stable `code`."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[dict] | None = None


def problems(*statuses: int) -> dict[int, type[ProblemOut]]:
    """The error responses of a route, for its `response=`: `{200: PackOut, **problems(401,
    403, 404, 422)}`. Every route declares the ones it can answer (the tenancy matrix checks
    that those of its authentication are there), so they appear in the OpenAPI document."""
    return dict.fromkeys(statuses, ProblemOut)
