import importlib

import pytest

from ilp.licensing.models import Product


@pytest.fixture
def catalogue(db):
    """The seeded products again: a transactional test flushes the migration's data."""
    seed = importlib.import_module("ilp.licensing.migrations.0002_seed_products")
    for sku, name, prefix, multiple, term in seed.CATALOGUE:
        Product.objects.update_or_create(
            sku=sku,
            defaults={"name": name, "pack_prefix": prefix, "seat_multiple": multiple, "term": term},
        )


@pytest.fixture
def staff_admin_api(db):
    from tests.accounts.factories import make_staff_token
    from tests.conftest import ApiClient

    return ApiClient(make_staff_token("webhooks-admin", role="staff_admin"))
