from django.core.management.base import BaseCommand, CommandError

from ilp.core.errors import AppError
from ilp.rollout import signing


class Command(BaseCommand):
    help = (
        "Make a new current Ed25519 signing key. Old public keys stay in the JWKS, so "
        "licenses signed before keep verifying."
    )

    def handle(self, *args, **options):
        try:
            old = signing.signing_key_current()
            new = signing.signing_key_rotate()
        except AppError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"old key: {old.kid}")
        self.stdout.write(f"new key: {new.kid}")
