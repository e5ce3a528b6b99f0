"""gunicorn settings for `ilp serve` (loaded with `--config python:ilp.core.gunicorn_conf`).

Plain Python: gunicorn's master process loads this without Django.
"""

import os

from gunicorn.glogging import Logger

from ilp.core.logs import logging_config, redact

_config = logging_config(
    fmt=os.environ.get("ILP_LOG_FORMAT", "text"), level=os.environ.get("ILP_LOG_LEVEL", "INFO")
)
_config["loggers"]["gunicorn.error"] = {
    "handlers": ["console"],
    "level": os.environ.get("ILP_LOG_LEVEL", "INFO"),
    "propagate": False,
}
logconfig_dict = _config
# No access log of gunicorn's own by default: the request middleware logs every request (with
# route and request id, never the raw path). `--access-logfile` turns it on: redacted below.
accesslog = None


class RedactingLogger(Logger):
    """gunicorn's logger, with every access-log atom (request line, path, query, referer,
    headers) redacted (core/logs.redact): an operator who turns the access log on
    (`--access-logfile -`) gets no reset, invitation or deletion link and no token in it.
    Its error log goes through the console handler above, which redacts too."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(v) if isinstance(v, str) else v for key, v in atoms.items()}


logger_class = RedactingLogger


def child_exit(server, worker):
    # Multiprocess metrics: drop a dead worker's live-gauge files (its counters stay counted).
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
