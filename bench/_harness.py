"""What every benchmark needs: Django set up, a throw-away test database around a run, and
the issuance benchmarks' tenant."""

import datetime
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


def issuing_tenant(*, seats: int, packs: int = 4):
    """A company with `packs` WE packs of `seats` seats, all assigned to one UMS: several packs,
    so pack choice and per-pack seat accounting are part of the work. Returns the company and
    the UMS's credential."""
    from ilp.accounts.models import Company
    from ilp.core.actors import Actor
    from ilp.core.ids import crockford
    from ilp.licensing.models import Product, ProductPack, SubscriptionKey
    from ilp.licensing.services.seats import pack_assignee_set
    from ilp.rollout.models import PackAssignment
    from ilp.rollout.services import ums_register

    company = Company.objects.create(gaid=f"GA{crockford(8)}", name="Bench", country="DE")
    today = datetime.date.today()
    key = SubscriptionKey.objects.create(
        key=f"SK-{crockford(4)}-{crockford(4)}-{crockford(4)}",
        company=company,
        expires_on=today + datetime.timedelta(days=365),
    )
    product = Product.objects.get(sku="WE")
    ums, credential = ums_register(actor=Actor.system(), company=company, name="Bench UMS")
    for _ in range(packs):
        pack = ProductPack.objects.create(
            pack_id=f"WE-{crockford(5)}",
            subscription_key=key,
            company=company,
            product=product,
            seats=seats,
            starts_on=today - datetime.timedelta(days=1),
            expires_on=key.expires_on,
        )
        PackAssignment.objects.create(pack=pack, ums=ums)
        pack_assignee_set(pack=pack, ums_id=ums.ums_id)
    return company, credential
