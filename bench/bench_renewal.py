"""A renewal of a key with many licenses: how long its transaction holds the packs' locks.

Issue 20: the renewal commits its seats and dates only; the worker re-signs the documents
after the commit, 500 per transaction (rollout/services/resign.py). This times the renewal
order (`order_place`, kind renewal: one transaction, the packs locked from its start to its
commit) and then the re-sign task, with `ILP_BENCH_LICENSES` (default 10,000) licenses on the
key's packs. Runs on a throw-away test database (PostgreSQL with DATABASE_URL):

    .venv/bin/python -m bench.bench_renewal
"""

import datetime
import os
import time

from bench._harness import django_setup, test_database

LICENSES = int(os.environ.get("ILP_BENCH_LICENSES", "10000"))
PACKS = 4


def _tenant():
    from ilp.accounts.models import Company
    from ilp.core.ids import crockford
    from ilp.licensing.models import Product, ProductPack, SubscriptionKey
    from ilp.rollout.models import DeviceLicense

    company = Company.objects.create(gaid=f"GA{crockford(8)}", name="Bench renew", country="DE")
    today = datetime.date.today()
    key = SubscriptionKey.objects.create(
        key=f"SK-{crockford(4)}-{crockford(4)}-{crockford(4)}",
        company=company,
        expires_on=today + datetime.timedelta(days=300),
    )
    product = Product.objects.get(sku="WE")
    per_pack = LICENSES // PACKS
    for _ in range(PACKS):
        pack = ProductPack.objects.create(
            pack_id=f"WE-{crockford(5)}",
            subscription_key=key,
            company=company,
            product=product,
            seats=per_pack,
            seats_used=per_pack,
            starts_on=today - datetime.timedelta(days=60),
            expires_on=key.expires_on,
        )
        DeviceLicense.objects.bulk_create(
            (
                DeviceLicense(
                    license_id=f"L-{crockford(12)}",
                    company=company,
                    product=product,
                    pack=pack,
                    unit_id=f"00E0C5{crockford(8)}",
                    expires_on=pack.expires_on,
                    token="bench",
                )
                for _ in range(per_pack)
            ),
            batch_size=2000,
        )
    return company, key, per_pack * PACKS


def main() -> int:
    django_setup()
    from django.db import connection

    with test_database():
        from ilp.core.actors import Actor
        from ilp.rollout.services import licenses_resign, order_place

        company, key, n = _tenant()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"database: {connection.vendor}; {n} licenses on {PACKS} packs of one key")
        started = time.perf_counter()
        order, created = order_place(
            actor=Actor.system(),
            order_number="BENCH-RENEW-1",
            kind="renewal",
            invoice_date=datetime.date.today(),
            end_customer={"gaid": company.gaid},
            subscription_key=key.key,
            items=[{"product": "WE", "seats": n, "term_months": 12}],
        )
        locked = time.perf_counter() - started
        assert created and order.status == "fulfilled", order.result
        started = time.perf_counter()
        signed = licenses_resign(
            actor=Actor.system(), pack_ids=[p.pk for p in key.product_packs.all()]
        )
        resign = time.perf_counter() - started
        print(f"renewal transaction (packs locked): {locked * 1000:8.1f} ms")
        print(
            f"re-sign after the commit:           {resign * 1000:8.1f} ms for {signed} licenses "
            f"({resign / max(signed, 1) * 1000:.2f} ms each, 500 per transaction)"
        )
        return 0 if signed == n else 1


if __name__ == "__main__":
    raise SystemExit(main())
