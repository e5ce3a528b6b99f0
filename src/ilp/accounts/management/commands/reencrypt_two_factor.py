from django.core.management.base import BaseCommand, CommandError

from ilp.accounts.services import two_factor_secrets_reencrypt
from ilp.core.fields import EncryptionKeyError


class Command(BaseCommand):
    help = (
        "Encrypt every two-factor (TOTP) secret again with the current ILP_TOTP_KEY; run after "
        "a rotation, before the old key leaves ILP_TOTP_KEY_FALLBACKS."
    )

    def handle(self, *args, **options):
        try:
            count = two_factor_secrets_reencrypt()
        except EncryptionKeyError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{count} two-factor secrets encrypted with the current ILP_TOTP_KEY.")
