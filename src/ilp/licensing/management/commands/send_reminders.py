"""`ilp send-reminders`: queue the expiry reminders due today (run it daily, e.g. from cron)."""

import datetime
import time

from django.core.management.base import BaseCommand, CommandError

from ilp.licensing.services.reminders import REMINDER_DAYS, reminders_queue


class Command(BaseCommand):
    help = (
        "Queue due expiry reminders ({} days before a pack expires), each once per pack. "
        "Idempotent: run it daily; a run that missed days still sends the threshold reached."
    ).format(", ".join(str(days) for days in REMINDER_DAYS))

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            help="act as if today were this date (YYYY-MM-DD); default: today",
        )

    def handle(self, *args, date=None, **options):
        try:
            today = datetime.date.fromisoformat(date) if date else None
        except ValueError:
            raise CommandError(f"--date must be YYYY-MM-DD, not {date!r}") from None
        verbosity = options.get("verbosity", 1)
        started = time.monotonic()
        last = [0.0]

        def progress(done: int, total: int, run) -> None:
            # Long runs report every couple of seconds and at the end; short ones stay quiet.
            now = time.monotonic()
            if verbosity >= 1 and (now - last[0] >= 2 or done == total) and total > 1:
                last[0] = now
                self.stderr.write(
                    f"  {done}/{total} companies checked, {run.mails} mails queued",
                    ending="\r" if done < total else "\n",
                )

        run = reminders_queue(today=today, progress=progress)
        if verbosity >= 1:
            companies = "company" if run.companies == 1 else "companies"
            line = (
                f"{run.reminders} reminders for {run.companies} {companies}, {run.mails} mails "
                f"queued in {time.monotonic() - started:.1f}s"
            )
            if run.skipped_no_recipient:
                line += f"; {run.skipped_no_recipient} with due packs have nobody to remind yet"
            self.stdout.write(line)
