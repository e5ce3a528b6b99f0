"""`ilp serve`: the production HTTP server (gunicorn) for ILP."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the production HTTP server (gunicorn)."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)

    def handle(self, *args, bind: str, workers: int, threads: int, **options):
        from gunicorn.app.wsgiapp import WSGIApplication

        argv = [
            "gunicorn",
            "ilp.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--access-logfile",
            "-",
            "--timeout",
            "60",
        ]
        import sys

        sys.argv = argv
        WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
