"""Log records as JSON lines or text, each carrying the request id of the request (or job)
that wrote it.

Plain Python, no Django: gunicorn's own log configuration (core/management/commands/serve.py)
uses the same formatters. `ILP_LOG_FORMAT=json|text` picks one (settings.LOGGING).
"""

import contextvars
import datetime
import json
import logging
from contextlib import contextmanager

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
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def _request_id(record: logging.LogRecord) -> str | None:
    rid = getattr(record, "request_id", None) or request_id_var.get()
    return rid if rid and rid != "-" else None


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def logging_config(*, fmt: str = "text", level: str = "INFO") -> dict:
    """The `LOGGING` dict: everything to stderr, as JSON lines (`fmt="json"`) or text."""
    formatter = {"()": "ilp.core.logs.JsonFormatter"} if fmt == "json" else {"format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "ilp.core.logs.RequestIdFilter"}},
        "formatters": {"ilp": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "ilp",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.db.backends": {"level": "INFO"}},
    }
