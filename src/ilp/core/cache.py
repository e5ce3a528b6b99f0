"""The database cache with an atomic `incr`, the default cache (settings.py `CACHES`).

Django's DatabaseCache inherits `incr` from BaseCache: a get, then a set, with the default
timeout. Two processes counting the same throttle key would lose hits, and every increment
would cut an hour's counter down to five minutes. Here the row is locked first
(`SELECT … FOR UPDATE` on PostgreSQL; on SQLite the IMMEDIATE transaction holds the write
lock), the value changes in place and its expiry stays. Redis (`CACHE_URL=redis://…`) has an
atomic INCR of its own.
"""

import base64
import pickle

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, router, transaction
from django.utils import timezone

from .models import CacheEntry


class DatabaseCache(DjangoDatabaseCache):
    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        entries = CacheEntry.objects.using(db)
        with transaction.atomic(using=db):
            rows = entries.filter(cache_key=key, expires__gt=timezone.now())
            if connections[db].features.has_select_for_update:
                rows = rows.select_for_update()
            row = rows.only("value").first()
            if row is None:
                raise ValueError(f"Key '{key}' not found.")
            value = pickle.loads(base64.b64decode(row.value.encode())) + delta
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            entries.filter(cache_key=key).update(value=encoded)
        return value
