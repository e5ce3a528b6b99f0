"""TOTP secrets rest encrypted (Fernet under ILP_TOTP_KEY, core/fields.py EncryptedTextField):
the columns hold tokens, sign-in works with the clear secret in memory, the key can be rotated
through ILP_TOTP_KEY_FALLBACKS, and a wrong key is a clear error, not a wrong code."""

import io
import re
import time

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import FieldError
from django.core.management import CommandError, call_command
from django.db import connection

from ilp.accounts import otp, selectors, services
from ilp.accounts.models import TwoFactor
from ilp.core.actors import Actor
from ilp.core.checks import encryption_keys_open_stored_values
from ilp.core.fields import EncryptionKeyError
from tests.accounts.factories import PASSWORD, make_user
from tests.accounts.test_two_factor import enable

pytestmark = pytest.mark.django_db

BASE32_SEED = re.compile(r"[A-Z2-7]{32}")


def _stored(user) -> tuple[str, str]:
    """The columns as they are in the database (raw SQL: no field decrypts them)."""
    table = connection.ops.quote_name(TwoFactor._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT secret, pending_secret FROM {table} WHERE user_id = %s", [user.pk])
        return cursor.fetchone()


def _login(api, user, code):
    return api().post("/auth/tokens", {"email": user.email, "password": PASSWORD, "otp": code})


def test_the_columns_hold_fernet_tokens_and_sign_in_uses_the_clear_secret(api, settings):
    user = make_user("anna@acme.test")
    secret, codes = enable(user)
    pending, _uri = services.two_factor_begin(  # a new phone
        actor=Actor.for_user(user), user=user, code=codes[0]
    )
    stored_secret, stored_pending = _stored(user)
    for clear, stored in ((secret, stored_secret), (pending, stored_pending)):
        assert stored.startswith("gAAAAA") and len(stored) > 100
        assert clear not in stored and not BASE32_SEED.search(stored)
        assert Fernet(settings.ILP_TOTP_KEY).decrypt(stored.encode()).decode() == clear
    # On the instance the secret is clear; "" still means off for the queries.
    row = TwoFactor.objects.get(user=user)
    assert (row.secret, row.pending_secret) == (secret, pending)
    assert selectors.two_factor_active(user=user)
    assert _login(api, user, otp.totp_code(secret)).status_code == 201
    assert _login(api, user, "000000").status_code == 401
    # Each save encrypts anew (a random IV): equal secrets do not show as equal tokens.
    row.save()
    assert _stored(user)[0] != stored_secret


def test_turned_off_stores_empty_strings():
    user = make_user("anna@acme.test")
    enable(user)
    services.two_factor_reset(actor=Actor.system(), user=user)
    assert _stored(user) == ("", "")
    assert not selectors.two_factor_active(user=user)


def test_a_rotated_key_decrypts_from_the_fallbacks_and_reencrypt_moves_to_the_new(api, settings):
    old_key, new_key = settings.ILP_TOTP_KEY, Fernet.generate_key().decode()
    user = make_user("anna@acme.test")
    secret, _codes = enable(user)
    settings.ILP_TOTP_KEY, settings.ILP_TOTP_KEY_FALLBACKS = new_key, [old_key]
    # Signing in still works; it saves only last_step, so the secret stays under the old key.
    assert _login(api, user, otp.totp_code(secret)).status_code == 201
    assert Fernet(old_key).decrypt(_stored(user)[0].encode()).decode() == secret
    assert encryption_keys_open_stored_values(None) == []

    out = io.StringIO()
    call_command("reencrypt_two_factor", stdout=out)
    assert out.getvalue().startswith("1 two-factor secrets")
    stored = _stored(user)[0]
    assert Fernet(new_key).decrypt(stored.encode()).decode() == secret
    with pytest.raises(InvalidToken):
        Fernet(old_key).decrypt(stored.encode())
    # The old key can go now.
    settings.ILP_TOTP_KEY_FALLBACKS = []
    assert TwoFactor.objects.get(user=user).secret == secret
    assert services.otp_verify(user=user, code=otp.totp_code(secret, now=time.time() + 30))


def test_a_wrong_key_is_a_clear_error_not_a_wrong_code(settings):
    user = make_user("anna@acme.test")
    enable(user)
    settings.ILP_TOTP_KEY = Fernet.generate_key().decode()  # e.g. a backup restored without it
    with pytest.raises(EncryptionKeyError, match="ILP_TOTP_KEY_FALLBACKS") as raised:
        TwoFactor.objects.get(user=user)
    assert "cannot be decrypted with ILP_TOTP_KEY" in str(raised.value)
    with pytest.raises(EncryptionKeyError):
        services.otp_verify(user=user, code="123456")
    errors = encryption_keys_open_stored_values(None)
    assert {e.id for e in errors} == {"ilp.E001"}
    assert "accounts.TwoFactor.secret" in errors[0].msg
    with pytest.raises(CommandError, match="ILP_TOTP_KEY"):
        call_command("reencrypt_two_factor")


def test_only_the_empty_string_can_be_compared():
    assert not TwoFactor.objects.exclude(secret="").exists()
    assert not TwoFactor.objects.filter(secret__isnull=True).exists()
    with pytest.raises(FieldError, match="empty string"):
        TwoFactor.objects.filter(secret="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567").exists()
    with pytest.raises(FieldError):
        TwoFactor.objects.filter(secret__startswith="A").exists()
