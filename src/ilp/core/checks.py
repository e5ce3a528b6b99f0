"""System checks of the production set-up (issue 12), run by `ilp check --deploy`."""

import stat
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError

from .fields import EncryptedTextField, EncryptionKeyError


def _open_to_others(path: Path) -> bool:
    try:
        return bool(stat.S_IMODE(path.stat().st_mode) & 0o077)
    except FileNotFoundError:
        return False


@register(Tags.security, deploy=True)
def data_dir_private(app_configs, **kwargs):
    """The data directory and its secrets are owner-only. settings.py creates and tightens
    them; this says so when it could not (a directory owned by someone else, say)."""
    data = Path(settings.DATA_DIR)
    paths = [data, data / "secret_key", data / "totp_key", data / "signing"]
    paths += sorted((data / "signing").glob("*.pem")) if (data / "signing").is_dir() else []
    name = str(settings.DATABASES["default"].get("NAME") or "")
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") and name.startswith("/"):
        paths.append(Path(name))
    return [
        Warning(
            f"{path} can be read by other users of this machine.",
            hint="chmod 700 the data directory and 600 the files in it (owner: the ILP user).",
            id="ilp.W001",
        )
        for path in paths
        if _open_to_others(path)
    ]


@register(Tags.security, deploy=True)
def encryption_keys_open_stored_values(app_configs, **kwargs):
    """Every value encrypted at rest opens with its key or a fallback: a restored backup
    without its key (a new one generated into an empty data directory) or a key changed
    without keeping the old one among the fallbacks is reported here, before people find they
    cannot sign in. A database that is not reachable or not migrated yet is not checked."""
    errors = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, EncryptedTextField):
                continue
            stored = model._base_manager.exclude(**{field.name: ""}).filter(
                **{f"{field.name}__isnull": False}
            )
            try:
                for _value in stored.values_list(field.name, flat=True).iterator():
                    pass  # reading decrypts
            except EncryptionKeyError as exc:
                errors.append(Error(f"{model._meta.label}.{field.name}: {exc}", id="ilp.E001"))
            except DatabaseError:
                return errors
    return errors
