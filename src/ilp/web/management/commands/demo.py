from django.core.management.base import BaseCommand
from django.db import transaction

from ilp.accounts.models import Company, User
from ilp.web import demo


class Command(BaseCommand):
    help = "Fill an empty database with demo companies, users, packs and a UMS; print the logins."

    def handle(self, *args, **options):
        if Company.objects.exists() or User.objects.exists():
            self.stdout.write("The database is not empty: demo data is loaded only once.")
            if User.objects.filter(email="admin@acme.example").exists():
                self.stdout.write(f"Demo logins (password {demo.PASSWORD}):")
                for email in User.objects.filter(email__endswith=".example").values_list(
                    "email", flat=True
                ):
                    self.stdout.write(f"  {email}")
            return
        with transaction.atomic():
            ctx = demo.load()
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Log in with:"))
        for label, email, password in ctx.logins:
            self.stdout.write(f"  {email:32} {password:18} {label}")
        for note in ctx.notes:
            self.stdout.write(f"  {note}")
