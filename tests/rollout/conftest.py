import importlib

import pytest

from ilp.licensing.models import Product
from tests.conftest import ApiClient
from tests.licensing.factories import make_key
from tests.rollout.factories import make_ums


@pytest.fixture(autouse=True)
def _signing_dir(settings, tmp_path):
    """Each test signs with a key generated into its own data directory."""
    settings.DATA_DIR = tmp_path
    settings.ILP_SIGNING_KEY = ""


@pytest.fixture
def pack(company):
    return make_key(company, packs=[("WE", 5)]).product_packs.get()


@pytest.fixture
def ums_and_credential(company, pack):
    return make_ums(company, packs=[pack])


@pytest.fixture
def ums(ums_and_credential):
    return ums_and_credential[0]


@pytest.fixture
def ums_api(ums_and_credential):
    return ApiClient(ums_and_credential[1])


@pytest.fixture
def catalogue(db):
    """The seeded products again: a transactional test flushes the migration's data."""
    seed = importlib.import_module("ilp.licensing.migrations.0002_seed_products")
    for sku, name, prefix, multiple, term in seed.CATALOGUE:
        Product.objects.update_or_create(
            sku=sku,
            defaults={"name": name, "pack_prefix": prefix, "seat_multiple": multiple, "term": term},
        )
