"""Split and merge through the API: operations per second and SQL queries per operation.

Moving licenses must not cost a query per device: a split that moves 5 devices and one that
moves 100 run the same number of queries (flagged otherwise). Runs on a throw-away test
database (in-memory SQLite unless DATABASE_URL says otherwise):

    make bench
    .venv/bin/python -m bench.bench_pack_ops
"""

import datetime
import os
import time

from bench._harness import django_setup, test_database

SECONDS = float(os.environ.get("ILP_BENCH_SECONDS", "2"))
MAX_OPS = 500


def _setup():
    from django.test import Client

    from ilp.accounts.models import ApiToken, Company, Membership, User
    from ilp.core.auth import USER_TOKEN_PREFIX
    from ilp.core.ids import crockford, new_token, token_hash
    from ilp.licensing.models import SubscriptionKey

    company = Company.objects.create(gaid=f"GA{crockford(8)}", name="Bench ops", country="DE")
    user = User.objects.create_user("ops@bench.test", "bench-password-1")
    Membership.objects.create(user=user, company=company, role="administrator")
    token = new_token(USER_TOKEN_PREFIX)
    ApiToken.objects.create(user=user, name="bench", token_hash=token_hash(token))
    today = datetime.date.today()
    key = SubscriptionKey.objects.create(
        key=f"SK-{crockford(4)}-{crockford(4)}-{crockford(4)}",
        company=company,
        expires_on=today + datetime.timedelta(days=300),
    )
    return company, key, Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _pack(key, seats, devices=0):
    from ilp.core.ids import crockford
    from ilp.licensing.models import Product, ProductPack
    from ilp.rollout.models import DeviceLicense

    product = Product.objects.get(sku="WE")
    pack = ProductPack.objects.create(
        pack_id=f"WE-{crockford(5)}",
        subscription_key=key,
        company=key.company,
        product=product,
        seats=seats,
        seats_used=devices,
        starts_on=datetime.date.today() - datetime.timedelta(days=10),
        expires_on=key.expires_on,
    )
    units = [f"00E0C5{crockford(8)}" for _ in range(devices)]
    DeviceLicense.objects.bulk_create(
        DeviceLicense(
            license_id=f"L-{crockford(12)}",
            company=key.company,
            product=product,
            pack=pack,
            unit_id=unit,
            expires_on=pack.expires_on,
            token="bench",
        )
        for unit in units
    )
    return pack, units


def _queries(call) -> tuple[int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = call()
    return len(ctx.captured_queries), response.status_code


def main() -> int:
    django_setup()
    from django.db import connection

    failed = False
    with test_database():
        company, key, api = _setup()
        base = f"/api/v1/companies/{company.gaid}/product-packs"
        print(f"database: {connection.vendor}; {SECONDS:g}s per measurement")

        # Queries per split, moving few or many devices (after a warm-up split).
        warm, warm_units = _pack(key, seats=4, devices=1)
        api.post(
            f"{base}/{warm.pack_id}/split",
            {"seats": 1, "unit_ids": warm_units},
            content_type="application/json",
        )
        rows = []
        for devices in (5, 100):
            pack, units = _pack(key, seats=devices * 3, devices=devices)
            q, status = _queries(
                lambda p=pack, u=units: api.post(
                    f"{base}/{p.pack_id}/split",
                    {"seats": len(u), "unit_ids": u},
                    content_type="application/json",
                )
            )
            rows.append((f"split moving {devices} devices", q, status))
        for label, q, status in rows:
            print(f"{label:34} {q:>4} queries  HTTP {status}")
        if rows[0][1] != rows[1][1]:
            print("  QUERIES GROW WITH THE NUMBER OF DEVICES")
            failed = True

        # Split rate: one big pack, one seat at a time.
        big, _ = _pack(key, seats=MAX_OPS + 10)
        count, started = 0, time.perf_counter()
        while count < MAX_OPS and time.perf_counter() - started < SECONDS:
            r = api.post(
                f"{base}/{big.pack_id}/split", {"seats": 1}, content_type="application/json"
            )
            failed |= r.status_code != 201
            count += 1
        print(f"{'splits per second':34} {count / (time.perf_counter() - started):>8.1f}")

        # Merge rate: pairs of packs.
        pairs = [(_pack(key, 5)[0], _pack(key, 5)[0]) for _ in range(MAX_OPS)]
        count, started = 0, time.perf_counter()
        while count < len(pairs) and time.perf_counter() - started < SECONDS:
            a, b = pairs[count]
            r = api.post(
                f"{base}/merge",
                {"product_packs": [a.pack_id, b.pack_id]},
                content_type="application/json",
            )
            failed |= r.status_code != 200
            count += 1
        print(f"{'merges per second':34} {count / (time.perf_counter() - started):>8.1f}")
    if failed:
        print("FAILED: queries grow with devices moved, or an operation failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
