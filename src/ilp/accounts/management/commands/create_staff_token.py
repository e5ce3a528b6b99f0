from django.core.management.base import BaseCommand

from ilp.accounts.services import staff_token_create
from ilp.core.actors import Actor
from ilp.core.authz import StaffRole


class Command(BaseCommand):
    help = "Create a staff (vendor back-office) API token and print it on the last line."

    def add_arguments(self, parser):
        parser.add_argument("name", help="what the token is for, e.g. 'erp-feed'")
        parser.add_argument(
            "--role",
            choices=StaffRole.values,
            default=StaffRole.OPERATOR.value,
            help="the token's staff role (default: operator, what an ERP feed needs)",
        )

    def handle(self, *args, name: str, role: str, **options):
        _staff, token = staff_token_create(actor=Actor.system(), name=name, role=role)
        self.stdout.write(f"Staff token '{name}' ({role}) created. It is shown only now:")
        self.stdout.write(token)
        return False
