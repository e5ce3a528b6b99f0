"""application/problem+json responses (RFC 9457) with a stable `code`."""

import json
from http import HTTPStatus

from django.http import HttpResponse

CONTENT_TYPE = "application/problem+json"


def problem_body(status: int, code: str, detail: str, errors: list | None = None) -> dict:
    body = {
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
    status: int, code: str, detail: str, errors: list | None = None, headers: dict | None = None
) -> HttpResponse:
    response = HttpResponse(
        json.dumps(problem_body(status, code, detail, errors), default=str),
        status=status,
        content_type=CONTENT_TYPE,
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response
