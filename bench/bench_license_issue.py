"""Device-license issuance: licenses per second for 1000-device batches via `POST /ums/licenses`
(the full HTTP path: auth, validation, row locks, signing, bulk insert, audit), plus the SQL
queries per batch (constant whatever the batch size).

Runs on a throw-away test database (in-memory SQLite unless DATABASE_URL says otherwise):

    make bench                       # every bench_* module
    .venv/bin/python -m bench.bench_license_issue
"""

import json
import os
import time

from bench._harness import django_setup, issuing_tenant, test_database

BATCH = 1000
BATCHES = int(os.environ.get("ILP_BENCH_BATCHES", "5"))


def _setup():
    _company, credential = issuing_tenant(seats=BATCH * BATCHES)
    return credential


def main() -> int:
    django_setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with test_database():
        credential = _setup()
        client = Client(headers={"Authorization": f"Bearer {credential}"})

        def post(ids):
            body = json.dumps({"product": "WE", "unit_ids": ids})
            return client.post("/api/v1/ums/licenses", body, content_type="application/json")

        post(["WARMUP01"])  # first use generates and registers the signing key
        issued, elapsed, queries = 0, 0.0, []
        for b in range(BATCHES):
            ids = [f"00E0C5{b:02d}{n:04d}" for n in range(BATCH)]
            # Timed without query capture: recording 1000-row INSERTs slows SQLite down.
            start = time.perf_counter()
            response = post(ids)
            elapsed += time.perf_counter() - start
            assert response.status_code == 200, response.content[:300]
            issued += sum(r["status"] == "issued" for r in response.json()["results"])
        with CaptureQueriesContext(connection) as ctx:
            post([f"00E0C599{n:04d}" for n in range(BATCH)])
        queries.append(len(ctx.captured_queries))
        start = time.perf_counter()
        repeat = post([f"00E0C500{n:04d}" for n in range(BATCH)])  # all `existing`
        repeat_s = time.perf_counter() - start
        assert all(r["status"] == "existing" for r in repeat.json()["results"])
        with CaptureQueriesContext(connection) as ctx:
            post(["SMALLBATCH01"])
        small = len(ctx.captured_queries)
        print(f"database: {connection.vendor}; {BATCHES} batches of {BATCH} devices")
        print(f"issued {issued} licenses in {elapsed:.2f}s: {issued / elapsed:,.0f} licenses/s")
        print(f"repeat of a licensed batch (all existing): {BATCH / repeat_s:,.0f} devices/s")
        print(f"SQL queries per request: batch of {BATCH}: {max(queries)}, batch of 1: {small}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
