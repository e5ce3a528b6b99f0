"""Migration accounts 0005 encrypts the TOTP secrets already stored in clear, and back."""

import importlib
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ilp.accounts.models import TwoFactor
from tests.accounts.factories import make_user

BEFORE = [("accounts", "0004_self_service_two_factor")]
AFTER = [("accounts", "0005_two_factor_secrets_encrypted")]
SECRET, PENDING = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _migrate_to_the_latest():
    """Back to every app's last migration (later ones add columns the models need)."""
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def _stored() -> list[tuple[str, str]]:
    table = connection.ops.quote_name(TwoFactor._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT secret, pending_secret FROM {table} ORDER BY id")
        return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_clear_secrets_are_encrypted_and_decrypted_back():
    old = _migrate(BEFORE)
    try:
        User = old.get_model("accounts", "User")
        OldTwoFactor = old.get_model("accounts", "TwoFactor")
        anna = User.objects.create(email="anna@acme.test")
        bert = User.objects.create(email="bert@acme.test")
        OldTwoFactor.objects.create(user=anna, secret=SECRET, pending_secret="")
        OldTwoFactor.objects.create(user=bert, secret="", pending_secret=PENDING)
        assert _stored() == [(SECRET, ""), ("", PENDING)]

        new = _migrate(AFTER)
        (anna_secret, anna_pending), (bert_secret, bert_pending) = _stored()
        assert anna_pending == bert_secret == ""
        for clear, token in ((SECRET, anna_secret), (PENDING, bert_pending)):
            assert token.startswith("gAAAAA") and clear not in token
            assert Fernet(settings.ILP_TOTP_KEY).decrypt(token.encode()).decode() == clear
        rows = new.get_model("accounts", "TwoFactor").objects.order_by("id")
        assert [(t.secret, t.pending_secret) for t in rows] == [(SECRET, ""), ("", PENDING)]

        _migrate(BEFORE)
        assert _stored() == [(SECRET, ""), ("", PENDING)]
    finally:
        _migrate_to_the_latest()


@pytest.mark.django_db
def test_the_data_step_encrypts_what_is_clear_and_leaves_tokens_alone():
    """A row written in clear (raw UPDATE) beside one saved by the new code: the migration's
    function encrypts the first and leaves the second, so running it twice does no harm."""
    step = importlib.import_module(f"ilp.accounts.migrations.{AFTER[0][1]}")
    clear = TwoFactor.objects.create(user=make_user("anna@acme.test"), secret=SECRET)
    TwoFactor.objects.create(user=make_user("bert@acme.test"), pending_secret=PENDING)
    table = connection.ops.quote_name(TwoFactor._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET secret = %s WHERE id = %s", [SECRET, clear.pk])
    token_before = _stored()[1]
    assert _stored()[0] == (SECRET, "")

    step.secrets_encrypt(apps, SimpleNamespace(connection=connection))
    assert _stored()[0][0].startswith("gAAAAA") and _stored()[1] == token_before
    step.secrets_encrypt(apps, SimpleNamespace(connection=connection))
    assert _stored()[1] == token_before
    rows = TwoFactor.objects.order_by("id")
    assert [(t.secret, t.pending_secret) for t in rows] == [(SECRET, ""), ("", PENDING)]
