"""System checks of the production set-up (issue 12), run by `ilp check --deploy`."""

import stat
from pathlib import Path

from django.conf import settings
from django.core.checks import Tags, Warning, register


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
    paths = [data, data / "secret_key", data / "signing"]
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
