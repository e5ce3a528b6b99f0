"""`ilp serve`: the production HTTP server (gunicorn) for ILP.

Metrics across worker processes: before gunicorn starts, `PROMETHEUS_MULTIPROC_DIR` is set to
a directory of this server's own (`<ILP_DATA_DIR>/prometheus/<bind>`, emptied at every start,
or the directory the environment names) and this process is replaced by gunicorn (exec), so
every worker process imports prometheus-client in multiprocess mode and GET /metrics adds up
all of them. Each `ilp serve` on a host gets its own directory (its bind address differs), so
two servers never wipe each other's figures; Prometheus scrapes each server separately.

There is no gunicorn access log: the request middleware logs one line per request, with the
route pattern, status, duration and request id (core/observability.py). gunicorn's own log
uses the same format (ILP_LOG_FORMAT) and handler, which redacts secrets (core/logs.py); an
access log turned on anyway (`GUNICORN_CMD_ARGS="--access-logfile -"`) is redacted by
gunicorn_conf.RedactingLogger.
"""

import os
import re
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


def metrics_dir(bind: str) -> Path:
    """This server's multiprocess metrics directory, emptied of old processes' files."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    path = (
        Path(given) if given else settings.DATA_DIR / "prometheus" / re.sub(r"[^\w.-]", "_", bind)
    )
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):  # counters of a previous run must not add up again
        stale.unlink()
    return path


class Command(BaseCommand):
    help = "Run the production HTTP server (gunicorn)."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)

    def handle(self, *args, bind: str, workers: int, threads: int, **options):
        env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir(bind)))
        env.setdefault("DJANGO_SETTINGS_MODULE", "ilp.settings")
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "ilp.wsgi:application",
            "--config",
            "python:ilp.core.gunicorn_conf",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--timeout",
            "60",
            # gunicorn's control socket is one path per user: two servers on a host would
            # share it. ILP does not use it (systemd controls the processes).
            "--no-control-socket",
        ]
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(sys.executable, argv, env)
