import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_throttle():
    # Throttle counters live in the (per-process) cache; every test starts from zero.
    cache.clear()
    yield
    cache.clear()
