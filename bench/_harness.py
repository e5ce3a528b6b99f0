"""What every benchmark needs: Django set up, and a throw-away test database around a run."""

import importlib.util
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path


def django_setup() -> None:
    import django
    from django.apps import apps

    if not apps.ready:
        if importlib.util.find_spec("ilp") is None:  # PYTHONPATH may name another ilp
            sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
        # Keep the generated secret and signing keys out of ./var.
        os.environ.setdefault("ILP_DATA_DIR", tempfile.mkdtemp(prefix="ilp-bench-"))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ilp.settings")
        django.setup()


@contextmanager
def test_database():
    """A test database (in-memory SQLite unless DATABASE_URL says otherwise), dropped after."""
    django_setup()
    from django.test.utils import (
        setup_databases,
        setup_test_environment,
        teardown_databases,
        teardown_test_environment,
    )

    own_env = True
    try:
        setup_test_environment()
    except RuntimeError:  # another benchmark in this process set it up already
        own_env = False
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        yield
    finally:
        teardown_databases(old_config, verbosity=0)
        if own_env:
            teardown_test_environment()
