"""Model fields: text encrypted at rest (a secret the application must read back in clear, such
as a TOTP seed, where a hash will not do)."""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models
from django.db.models.lookups import Exact

# Every Fernet token starts so (version byte 0x80, then a timestamp whose high bytes are zero
# until the year 2106); no base32 or other clear value we store does.
FERNET_PREFIX = "gAAAAA"


class EncryptionKeyError(ImproperlyConfigured):
    """A stored value cannot be decrypted with the configured key or any of its fallbacks."""


def _fernet(key_setting: str) -> MultiFernet:
    """The current key (encrypts) and the fallbacks (decrypt only), in that order."""
    keys = [getattr(settings, key_setting), *getattr(settings, f"{key_setting}_FALLBACKS", ())]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(value: str, *, key_setting: str) -> str:
    """`value` as a Fernet token under the current key of `settings.<key_setting>`."""
    return _fernet(key_setting).encrypt(value.encode()).decode()


def decrypt(token: str, *, key_setting: str) -> str:
    """The clear text of a token made by `encrypt` with the current key or a fallback; a token
    no key opens (a lost or changed key, a fallback dropped too early, a value never encrypted)
    is an EncryptionKeyError that says which setting to fix, never a wrong value."""
    try:
        return _fernet(key_setting).decrypt(token.encode()).decode()
    except InvalidToken:
        raise EncryptionKeyError(
            f"A value encrypted at rest cannot be decrypted with {key_setting} or any key of "
            f"{key_setting}_FALLBACKS: {key_setting} is not the key it was encrypted with (lost, "
            "changed, or an earlier key dropped from the fallbacks too early). Set the key it "
            "was encrypted with (docs/deploy.md, 'Secrets and keys')."
        ) from None


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token under `settings.<key_setting>` (decrypted with it or any
    key of `<key_setting>_FALLBACKS`), held in clear on the model instance. "" stays "" so a
    query can still tell set from unset; comparing with any other value cannot match (every
    encryption differs), so only `exact` with "" and `isnull` are allowed."""

    def __init__(self, *args, key_setting: str, **kwargs):
        self.key_setting = key_setting
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["key_setting"] = self.key_setting
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        return decrypt(value, key_setting=self.key_setting) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value, key_setting=self.key_setting) if value else value

    def get_lookup(self, lookup_name):
        return super().get_lookup(lookup_name) if lookup_name in ("exact", "isnull") else None


@EncryptedTextField.register_lookup
class EncryptedExact(Exact):
    """`exact` on an encrypted field: only with "" (a ciphertext never equals another)."""

    def get_prep_lookup(self):
        if self.rhs not in ("", None):
            raise FieldError("An encrypted field can only be compared with the empty string.")
        return super().get_prep_lookup()
