"""The back office's search across every company (issue 21): `GET /api/v1/staff/search` for
each kind of identifier, with the benchmark's large customer (bench.tenant: 20,000 packs,
2,000 keys, 500,000 licenses) and 20,000 other companies (their names share prefixes, as real
customer names do: "Müller …", "Mueller …") in the same database.

Each figure is the median of `ILP_BENCH_REPEAT` (default 10) warm requests through Django's
test client (server time, no network), with the number of SQL statements. Target: ≤ 150 ms
each. Scale with `ILP_BENCH_SCALE` (default 1 on PostgreSQL, 0.02 on SQLite).

    make bench BENCH=bench_staff_search
    make bench-postgres BENCH=bench_staff_search
"""

from __future__ import annotations

import os
import statistics
import time

from bench._harness import django_setup, test_database

TARGET_MS = 150.0
OTHER_COMPANIES = 20_000
_NAMES = ("Müller", "Mueller", "Meyer", "Maier", "Schmidt", "Schmitt", "Nordwind", "Acme")
_FORMS = ("GmbH", "AG", "KG", "Logistik GmbH", "Kliniken", "Stadtwerke", "Bau AG")


def _others(count: int) -> None:
    """`count` companies with realistic, overlapping names (bulk: name_search filled here)."""
    from ilp.accounts.models import Company
    from ilp.core.ids import crockford
    from ilp.core.text import search_text

    rows = []
    for i in range(count):
        name = f"{_NAMES[i % len(_NAMES)]} {_FORMS[(i // 8) % len(_FORMS)]} {i:05d}"
        rows.append(
            Company(
                gaid=f"GA{crockford(8)}",
                name=name,
                name_search=search_text(name),
                city="Bremen",
                country="DE",
                customer_number=f"B-{i:06d}",
            )
        )
    Company.objects.bulk_create(rows, batch_size=2000)


def queries(tenant) -> dict[str, str]:
    """label → what staff type, one of each kind (found in the large customer)."""
    from ilp.licensing.models import ProductPack, SubscriptionKey
    from ilp.rollout.models import DeviceLicense

    pack = ProductPack.objects.filter(company=tenant.company).order_by("-pk").first()
    key = SubscriptionKey.objects.filter(company=tenant.company).order_by("-pk").first()
    unit = (
        DeviceLicense.objects.filter(company=tenant.company, status="active")
        .order_by("-pk")
        .values_list("unit_id", flat=True)
        .first()
    )
    colons = ":".join(unit[i : i + 2] for i in range(0, len(unit), 2))
    return {
        "GAID": tenant.company.gaid.lower(),
        "subscription key, lower case": key.key.lower(),
        "pack ID without its dash": pack.pack_id.replace("-", ""),
        "e-mail": tenant.user.email.upper(),
        "unit ID with colons": colons,
        "company name prefix, accents": "müller log",
        "company name prefix, short": "mu",
        "nothing matches": "zzz-no-such-thing",
    }


def measure(client, q: str) -> tuple[int, float, int, int]:
    """(SQL statements, median ms, HTTP status, hits) of one search."""
    from django.db import connection

    url = "/api/v1/staff/search"
    client.get(url, {"q": q})  # warm-up
    executed = 0

    def count(execute, sql, params, many, context):
        nonlocal executed
        executed += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url, {"q": q})
    times = []
    for _ in range(int(os.environ.get("ILP_BENCH_REPEAT", "10"))):
        started = time.perf_counter()
        client.get(url, {"q": q})
        times.append((time.perf_counter() - started) * 1000)
    hits = response.json().get("count", 0) if response.status_code == 200 else 0
    return executed, statistics.median(times), response.status_code, hits


def main() -> int:
    django_setup()
    from django.db import connection
    from django.test import Client

    from bench.tenant import build
    from ilp.accounts.models import StaffToken
    from ilp.core.auth import STAFF_TOKEN_PREFIX
    from ilp.core.ids import new_token, token_hash

    with test_database():
        default = "1" if connection.vendor == "postgresql" else "0.02"
        factor = float(os.environ.get("ILP_BENCH_SCALE", default))
        started = time.perf_counter()
        tenant = build(factor=factor, name="Müller Logistik GmbH")
        others = max(100, round(OTHER_COMPANIES * factor))
        _others(others)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        token = new_token(STAFF_TOKEN_PREFIX)
        StaffToken.objects.create(name="bench", role="support", token_hash=token_hash(token))
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        print(
            f"database: {connection.vendor}; large customer {tenant.packs} packs, "
            f"{tenant.licenses} licenses, and {others} other companies "
            f"(built in {time.perf_counter() - started:.1f}s)"
        )
        print(
            f"{'staff search for':34} {'queries':>7} {'hits':>5} {'ms (median)':>12} {'target':>7}"
        )
        ok = True
        for label, q in queries(tenant).items():
            executed, ms, status, hits = measure(client, q)
            flags = []
            if ms > TARGET_MS:
                flags.append("OVER TARGET")
            if status != 200:
                flags.append(f"HTTP {status}")
            ok = ok and not flags
            figures = f"{executed:>7} {hits:>5} {ms:>12.1f} {TARGET_MS:>7.0f}"
            print(f"{label:34} {figures}  {' '.join(flags)}")
    if not ok:
        print("FAILED: a search is over target")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
