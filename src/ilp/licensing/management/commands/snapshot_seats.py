"""`ilp snapshot-seats [--date YYYY-MM-DD]`: take the day's seat snapshots (run it daily)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from ilp.licensing.services.snapshots import seat_snapshots_take


class Command(BaseCommand):
    help = (
        "Record the seats and seats used per company and product for a day (default: today). "
        "Idempotent: a second run on the same day replaces that day's figures. Run it daily; "
        "the dashboard's seat chart reads these snapshots."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the day to record (YYYY-MM-DD); default: today")

    def handle(self, *args, date=None, **options):
        try:
            day = datetime.date.fromisoformat(date) if date else None
        except ValueError:
            raise CommandError(f"--date must be YYYY-MM-DD, not {date!r}") from None
        run = seat_snapshots_take(date=day)
        if options.get("verbosity", 1) >= 1:
            self.stdout.write(
                f"seat snapshots of {run.date}: {run.written} written, {run.removed} removed"
            )
