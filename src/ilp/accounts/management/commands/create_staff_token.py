from django.core.management.base import BaseCommand

from ilp.accounts.services import staff_token_create
from ilp.core.actors import Actor


class Command(BaseCommand):
    help = "Create a staff (vendor back-office) API token and print it on the last line."

    def add_arguments(self, parser):
        parser.add_argument("name", help="what the token is for, e.g. 'erp-feed'")

    def handle(self, *args, name: str, **options):
        _staff, token = staff_token_create(actor=Actor.system(), name=name)
        self.stdout.write(f"Staff token '{name}' created. It is shown only now:")
        self.stdout.write(token)
