"""gunicorn settings for `ilp serve` (loaded with `--config python:ilp.core.gunicorn_conf`).

Plain Python: gunicorn's master process loads this without Django.
"""

import os

from ilp.core.logs import logging_config

_config = logging_config(
    fmt=os.environ.get("ILP_LOG_FORMAT", "text"), level=os.environ.get("ILP_LOG_LEVEL", "INFO")
)
_config["loggers"]["gunicorn.error"] = {
    "handlers": ["console"],
    "level": os.environ.get("ILP_LOG_LEVEL", "INFO"),
    "propagate": False,
}
logconfig_dict = _config
accesslog = None  # the request middleware logs every request (with route and request id)


def child_exit(server, worker):
    # Multiprocess metrics: drop a dead worker's live-gauge files (its counters stay counted).
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
