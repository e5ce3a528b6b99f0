"""`ilp exchange-licenses [--date YYYY-MM-DD]`: the automatic license exchange (rule 22).

Moves the licenses of packs expiring within ILP_EXCHANGE_DAYS to a later-expiring pack of
the same product on the same UMS with free seats. Idempotent and safe to run twice at once;
the worker runs it daily. Prints one summary line `exchanged N licenses`.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError

from ilp.core.actors import Actor
from ilp.rollout.services import licenses_exchange


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--date needs YYYY-MM-DD, not {value!r}") from exc


class Command(BaseCommand):
    help = "Move licenses of packs about to expire to later packs on the same UMS."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="run as of this day (YYYY-MM-DD; default today)")

    def handle(self, *args, date: str | None = None, **options):
        today = _date(date) if date else None
        result = licenses_exchange(actor=Actor.system(), today=today)
        if result.left:
            self.stderr.write(
                f"{result.left} licenses of expiring packs found no free seat on a later pack"
            )
        self.stdout.write(f"exchanged {result.moved} licenses")
