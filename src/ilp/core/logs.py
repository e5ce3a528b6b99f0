"""Log records as JSON lines or text, each carrying the request id of the request (or job)
that wrote it.

Plain Python, no Django: gunicorn's own log configuration (core/management/commands/serve.py)
uses the same formatters. `ILP_LOG_FORMAT=json|text` picks one (settings.LOGGING).

No secret reaches a log line (API.md, third round; DESIGN rule 29): `redact()` replaces every
token ILP makes and every path segment after a route that carries one (reset, invitation and
deletion links) with `[redacted]`. The handler's `RedactFilter` applies it to a record's
message, arguments, extra fields and traceback, for every logger (Django's "Not Found:
/invitations/<token>" lines, gunicorn's, ILP's own), and both formatters apply it once more to
the finished line. gunicorn's access log goes through the same function (core/gunicorn_conf.py).
"""

import contextvars
import datetime
import json
import logging
import re
from contextlib import contextmanager

REDACTED = "[redacted]"

# The secrets ILP hands out: `<kind>_<urlsafe>` (core/ids.new_token: ilpu_, ilps_, ilpm_,
# ilpa_ credentials, ilpr_ reset, ilpi_ invitation and claim, ilpd_ deletion links; and any
# later `ilp?_` kind), webhook secrets `whsec_…`, and legacy delivery tokens
# `DT-XXXXX-…` (five groups of five Crockford characters, typed with or without dashes).
_TOKEN = re.compile(
    r"(?<![A-Za-z0-9])(?:(?:ilp[a-z]|whsec)_[A-Za-z0-9_\-]{6,}"
    r"|(?i:dt)[\s\-]?(?:[0-9A-Za-z]{5}[\s\-]?){4}[0-9A-Za-z]{5}(?![A-Za-z0-9]))"
)
# Routes whose next path segment is a secret, whatever its shape (a mistyped or foreign token
# is still somebody's link): /invitations/<token>, /password-reset/<token>,
# /account/delete/<token>, /me/deletion/<token>, and their API forms. A segment of digits is an
# id (`/manage/invitations/12/withdraw/`), not a secret.
_SECRET_PATH = re.compile(
    r"(/(?:invitations|password-reset|account/delete|deletion)/)([^/\s?#\"'<>]+)"
)
# Query parameters that may carry a secret (`?token=`, OpenID Connect's `code` and `state`).
_SECRET_QUERY = re.compile(
    r"(?i)([?&;](?:[a-z_]*token|code|state|secret|password|otp|key|credential|nonce"
    r"|signature|sig|session[a-z_]*)=)([^&;\s\"'#]*)"
)


def _path_segment(match: re.Match) -> str:
    segment = match.group(2)
    return match.group(0) if segment.isdigit() else match.group(1) + REDACTED


def redact(text: str) -> str:
    """`text` with every secret ILP knows the shape or the place of replaced by `[redacted]`."""
    if not text:
        return text
    text = _TOKEN.sub(REDACTED, text)
    text = _SECRET_PATH.sub(_path_segment, text)
    return _SECRET_QUERY.sub(lambda m: m.group(1) + REDACTED, text)


def _redact_value(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict | list | tuple):
        # Structured extras are logged as JSON: redact their text, keep their shape.
        return json.loads(redact(json.dumps(value, default=str, ensure_ascii=False)))
    return value


# The id of the request (or background job) this thread or task is working for.
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("ilp_request_id", default="")


@contextmanager
def log_context(request_id: str):
    """Tag every log record written inside the block with `request_id`."""
    token = request_id_var.set(request_id)
    try:
        yield
    finally:
        request_id_var.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (`record.request_id`, "-" outside)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            # Django logs 4xx/5xx ("django.request") after the middleware has finished, with
            # the request on the record: take its id from there.
            from_request = getattr(getattr(record, "request", None), "request_id", None)
            record.request_id = from_request or request_id_var.get() or "-"
        return True


class RedactFilter(logging.Filter):
    """Redacts a record in place before any formatter sees it: the message with its
    arguments, every extra field, the traceback and the stack. On the handler, so every
    logger that reaches it (django.request, gunicorn.error, ilp.request, …) is covered."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: log it as written, still redacted
            message = f"{record.msg} {record.args}"
        record.msg, record.args = redact(message), ()
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and not key.startswith("_"):
                record.__dict__[key] = _redact_value(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged.
# (`request`, which Django puts on its records, is an object whose text shows the raw path.)
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "request",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and the record's
    `extra` fields (the request log adds method, route, status, duration_ms, …)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": _request_id(record),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return redact(json.dumps(entry, default=str, ensure_ascii=False))


class TextFormatter(logging.Formatter):
    """`TEXT_FORMAT` lines, redacted once more as a whole (core/logs.redact)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def _request_id(record: logging.LogRecord) -> str | None:
    rid = getattr(record, "request_id", None) or request_id_var.get()
    return rid if rid and rid != "-" else None


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def logging_config(*, fmt: str = "text", level: str = "INFO") -> dict:
    """The `LOGGING` dict: everything to stderr, as JSON lines (`fmt="json"`) or text."""
    formatter = (
        {"()": "ilp.core.logs.JsonFormatter"}
        if fmt == "json"
        else {"class": "ilp.core.logs.TextFormatter", "format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "ilp.core.logs.RequestIdFilter"},
            "redact": {"()": "ilp.core.logs.RedactFilter"},
        },
        "formatters": {"ilp": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "ilp",
                "filters": ["request_id", "redact"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            # Django's own handlers (its DEBUG console, the admins' error mail with the whole
            # request, runserver's request lines) would write past the redaction: named here
            # with none, their records reach only the console handler above.
            "django": {"handlers": [], "level": level, "propagate": True},
            "django.server": {"handlers": [], "level": level, "propagate": True},
        },
    }
