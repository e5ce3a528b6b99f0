from django.core.management.base import BaseCommand
from django.db import transaction

from ilp.accounts.models import StaffToken
from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.auth import STAFF_TOKEN_PREFIX
from ilp.core.ids import new_token, token_hash


class Command(BaseCommand):
    help = "Create a staff (vendor back-office) API token and print it on the last line."

    def add_arguments(self, parser):
        parser.add_argument("name", help="what the token is for, e.g. 'erp-feed'")

    def handle(self, *args, name: str, **options):
        token = new_token(STAFF_TOKEN_PREFIX)
        with transaction.atomic():
            staff = StaffToken.objects.create(name=name, token_hash=token_hash(token))
            event_record(
                actor=Actor.system(),
                action="staff_token.created",
                obj_type="staff_token",
                obj_id=staff.pk,
                after={"name": name},
            )
        self.stdout.write(f"Staff token '{name}' created. It is shown only now:")
        self.stdout.write(token)
