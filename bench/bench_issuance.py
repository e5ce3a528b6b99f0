"""Issue 14's throughput groups, each beside a ceiling measured in the same run:

1. batch issuance: 20 × 1,000 devices through `POST /ums/licenses` (in-process client, the
   whole API path) against one process Ed25519-signing the same claims and inserting the
   rows (`COPY` on PostgreSQL, `executemany` on SQLite);
2. single-device issuance under 32 connections against a real `ilp serve` (gunicorn, 2
   workers), the load from wrk in its own process, against `GET /.well-known/jwks.json`
   under the same load; the load generator's CPU is printed;
3. order intake: `POST /orders` (staff token), one client, orders/s.

    make bench BENCH=bench_issuance             # SQLite (group 2 on a temporary file)
    make bench-postgres BENCH=bench_issuance    # PostgreSQL, throw-away databases

Settings: ILP_BENCH_BATCHES (20), ILP_BENCH_SECONDS (wrk duration per run, 5),
ILP_BENCH_CONNECTIONS (32), ILP_BENCH_ORDERS (200), ILP_BENCH_GROUPS ("batch,single,orders"),
ILP_BENCH_THREADS (threads per gunicorn worker, 4 as `ilp serve`).
"""

import datetime
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench._harness import django_setup, issuing_tenant, test_database

BATCH = 1000
BATCHES = int(os.environ.get("ILP_BENCH_BATCHES", "20"))
SECONDS = int(os.environ.get("ILP_BENCH_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("ILP_BENCH_CONNECTIONS", "32"))
ORDERS = int(os.environ.get("ILP_BENCH_ORDERS", "200"))
THREADS = int(os.environ.get("ILP_BENCH_THREADS", "4"))  # per gunicorn worker (ilp serve's default)
ROOT = Path(__file__).resolve().parent.parent


def _tenant(seats: int, packs: int = 4):
    """A company with `packs` WE packs of `seats` seats, all assigned to one UMS."""
    return issuing_tenant(seats=seats, packs=packs)


# --- 1. batch issuance against its ceiling --------------------------------------------------


class _Ceiling:
    """One process signing the claims of licenses the API just issued again (new IDs) and
    inserting the rows, 1,000 per transaction: the work no API can avoid."""

    def __init__(self):
        from django.db import connection

        from ilp.core.ids import crockford
        from ilp.rollout import signing
        from ilp.rollout.models import DeviceLicense

        self.table = DeviceLicense._meta.db_table
        self.fields = [f for f in DeviceLicense._meta.concrete_fields if not f.primary_key]
        self.columns = [f.column for f in self.fields]
        self.cols = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        self.pair = signing.current_key()
        self.prefix = crockford(4)
        self.n = 0

    def rows_of(self, license_ids: list[str]) -> list[list]:
        from ilp.rollout.models import DeviceLicense

        return [
            list(r)
            for r in DeviceLicense.objects.filter(license_id__in=license_ids).values_list(
                *[f.attname for f in self.fields]
            )
        ]

    def run(self, rows: list[list]) -> float:
        """Seconds to sign and insert `rows` again as new licenses."""
        from django.db import connection, transaction

        from ilp.rollout import signing

        i_lid, i_unit, i_token = (self.columns.index(c) for c in ("license_id", "unit_id", "token"))
        claims = [json.loads(signing.b64u_decode(r[i_token].split(".")[1])) for r in rows]
        marks = ", ".join(["%s"] * len(self.columns))
        insert = f"INSERT INTO {self.table} ({self.cols}) VALUES ({marks})"
        started = time.perf_counter()
        out = []
        for row, claim in zip(rows, claims, strict=True):
            self.n += 1
            row = row[:]
            row[i_lid] = f"C{self.prefix}{self.n:08d}"
            row[i_unit] = f"CEIL{self.prefix}{self.n:08d}"
            row[i_token] = signing.jws_sign(
                {**claim, "jti": row[i_lid], "sub": row[i_unit]}, pair=self.pair
            )
            out.append(row)
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {self.table} ({self.cols}) FROM STDIN") as copy:
                    for row in out:
                        copy.write_row(row)
            else:
                cursor.executemany(insert, out)
        return time.perf_counter() - started


def bench_batch() -> None:
    """Each API batch is followed at once by the ceiling's batch of the same licenses, so
    both see the same machine (a shared machine's load moves within seconds)."""
    from django.db import connection
    from django.test import Client

    _company, credential = _tenant(seats=BATCH * BATCHES)
    client = Client(headers={"Authorization": f"Bearer {credential}"})

    warm = json.dumps({"product": "WE", "unit_ids": ["WARMUP01"]})
    client.post("/api/v1/ums/licenses", warm, content_type="application/json")  # makes the key
    ceiling = _Ceiling()
    api_seconds = ceiling_seconds = 0.0
    issued = 0
    for b in range(BATCHES):
        body = json.dumps(
            {"product": "WE", "unit_ids": [f"00E0C5{b:03d}{n:04d}" for n in range(BATCH)]}
        )
        started = time.perf_counter()
        response = client.post("/api/v1/ums/licenses", body, content_type="application/json")
        api_seconds += time.perf_counter() - started
        # The client's own work (building the body, reading the answer) stays off the clock.
        assert response.status_code == 200, response.content[:300]
        results = response.json()["results"]
        issued += sum(r["status"] == "issued" for r in results)
        rows = ceiling.rows_of([r["license"]["id"] for r in results])
        ceiling_seconds += ceiling.run(rows)
    assert issued == BATCH * BATCHES, issued
    rate = issued / api_seconds
    ceiling_rate = issued / ceiling_seconds
    print(f"batch issuance ({connection.vendor}, {BATCHES} × {BATCH} devices, API)")
    print(f"  measured {rate:>9,.0f} licenses/s")
    print(f"  ceiling  {ceiling_rate:>9,.0f} licenses/s (sign + insert in one process, each batch")
    print("           right after the API's batch of the same licenses)")
    print(f"  ratio    {rate / ceiling_rate:>9.0%}   target ≥ 50%")


# --- 2. single-device issuance under concurrency ------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_LUA = """
local n = 0
local tid = 0
setup = function(thread) thread:set("tid", tid); tid = tid + 1 end
request = function()
  n = n + 1
  local body = string.format('{"product":"WE","unit_ids":["UNIT%%02d%%09d"]}', tid, n)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer %s"}, body)
end
"""

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _machine_ticks() -> tuple[int, int] | None:
    """(busy, total) CPU ticks of the whole machine so far (Linux /proc/stat), else None."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _wrk(url: str, *, script: str | None = None, seconds: int = SECONDS) -> dict:
    """Run wrk (its own process) and parse rate, p50, p99, errors and its CPU share."""
    argv = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "--latency", url]
    if script:
        argv[1:1] = ["-s", script]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    ticks = _machine_ticks()
    started = time.perf_counter()
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    ticks_after = _machine_ticks()
    busy = None
    if ticks is not None and ticks_after is not None and ticks_after[1] > ticks[1]:
        busy = (ticks_after[0] - ticks[0]) / (ticks_after[1] - ticks[1])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    def pct(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
        return float(m.group(1)) * _UNITS[m.group(2)]

    if "Requests/sec" not in out or re.search(r"^\s+50%", out, re.M) is None:
        raise RuntimeError(f"wrk gave no figures:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    timeouts = re.search(r"timeout (\d+)", out)
    return {
        "timeouts": int(timeouts.group(1)) if timeouts else 0,
        "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": pct(50),
        "p99": pct(99),
        "errors": int(errors.group(1)) if errors else 0,
        "cpu": cpu / wall,
        "machine": busy,
    }


class _LockWaits:
    """While wrk runs, samples (every 50 ms) what the server's database connections do: how
    many run a statement and how many of those wait for a row lock. Issuance locks the
    caller's packs, so one company's requests pass that section one at a time."""

    def __init__(self, url: str):
        self.url, self.samples, self.stop = url, [], threading.Event()

    def __enter__(self):
        import psycopg

        self.conn = psycopg.connect(self.url, autocommit=True)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self):
        query = (
            "SELECT count(*) FILTER (WHERE state = 'active' AND wait_event_type = 'Lock'),"
            " count(*) FILTER (WHERE state = 'active' AND wait_event_type IS DISTINCT FROM 'Lock'),"
            " count(*) FILTER (WHERE state = 'idle in transaction')"
            " FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        while not self.stop.wait(0.05):
            self.samples.append(self.conn.execute(query).fetchone())

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.conn.close()

    def summary(self) -> str:
        if not self.samples:
            return "no samples"
        columns = zip(*self.samples, strict=True)
        waiting, running, python = (sum(col) / len(self.samples) for col in columns)
        return (
            f"on average {waiting:.1f} waiting for a row lock, {running:.1f} running a statement,"
            f" {python:.1f} in a transaction between statements"
        )


def _serve_setup() -> None:
    """Child process: migrate the bench database and print a UMS credential."""
    django_setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    _company, credential = _tenant(seats=1_000_000, packs=2)
    print(credential)


def bench_single() -> None:
    if not shutil.which("wrk"):
        print("single-device issuance: wrk not installed (apt-get install wrk): skipped")
        return
    url = os.environ.get("DATABASE_URL", "")
    tmp = tempfile.mkdtemp(prefix="ilp-bench-serve-")
    if url.startswith("postgres"):
        if "/ilp_bench_" not in url:
            print("single-device issuance: needs the throw-away database of make bench-postgres")
            return
        # bench/postgres-bench made this database for the run and drops it afterwards.
    else:
        url = f"sqlite:///{tmp}/bench.sqlite3"
    port = _free_port()
    env = dict(
        os.environ,
        DATABASE_URL=url,
        ILP_DATA_DIR=tmp,
        ILP_BASE_URL=f"http://127.0.0.1:{port}",
        PYTHONPATH=f"{ROOT}:{ROOT / 'src'}",
    )
    credential = subprocess.run(
        [sys.executable, "-m", "bench.bench_issuance", "--serve-setup"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[-1]
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "ilp"),
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            str(THREADS),
        ],
        env=env,
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=open(f"{tmp}/serve.log", "w"),  # noqa: SIM115
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):  # a loaded machine takes a while to start two workers
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.2)
        else:
            server.poll()
        if server.returncode is not None:
            print("single-device issuance: ilp serve did not start:")
            print(Path(f"{tmp}/serve.log").read_text()[-2000:])
            return
        script = Path(tmp) / "issue.lua"
        script.write_text(_LUA % credential)
        _wrk(f"{base}/.well-known/jwks.json", seconds=1)  # warm-up: both workers loaded
        bare = _wrk(f"{base}/.well-known/jwks.json")
        if url.startswith("postgres"):
            with _LockWaits(url) as waits:
                issue = _wrk(f"{base}/api/v1/ums/licenses", script=str(script))
        else:
            waits, issue = None, _wrk(f"{base}/api/v1/ums/licenses", script=str(script))
        print(
            f"single-device issuance ({'postgresql' if url.startswith('postgres') else 'sqlite'},"
            f" ilp serve 2 workers × {THREADS} threads,"
            f" wrk {CONNECTIONS} connections, {SECONDS} s each)"
        )
        for name, r in (("POST /ums/licenses", issue), ("GET jwks (ceiling)", bare)):
            print(
                f"  {name:20} {r['rate']:>8,.0f} req/s  p50 {r['p50']:>7.1f} ms"
                f"  p99 {r['p99']:>7.1f} ms  non-2xx {r['errors']}  timeouts {r['timeouts']}"
                f"  wrk CPU {r['cpu']:.0%}"
                + (f"  machine CPU {r['machine']:.0%}" if r["machine"] is not None else "")
            )
        if waits is not None:
            print(f"  server's database connections while issuing: {waits.summary()}")
        print(
            f"  ratio {issue['rate'] / max(bare['rate'], 1e-9):.0%} of the rate (target ≥ 50%),"
            f" p99 {issue['p99'] / max(bare['p99'], 1e-9):.1f} × bare (target ≤ 2)"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


# --- 3. order intake ----------------------------------------------------------------------


def bench_orders() -> None:
    from django.db import connection
    from django.test import Client

    from ilp.accounts.services.tokens import staff_token_create
    from ilp.core.actors import Actor
    from ilp.core.ids import crockford

    _staff, token = staff_token_create(actor=Actor.system(), name="bench")
    client = Client(headers={"Authorization": f"Bearer {token}"})
    run = crockford(4)
    today = datetime.date.today().isoformat()

    def order(n):
        body = {
            "order_number": f"B{run}{n:06d}",
            "kind": "new",
            "invoice_date": today,
            "end_customer": {"name": f"Customer {n}", "country": "DE", "city": "Berlin"},
            "contact": {
                "email": f"buyer{n}@{run.lower()}.example",
                "first_name": "Ada",
                "last_name": "Buyer",
            },
            "items": [
                {"product": "WE", "seats": 25, "term_months": 12},
                {"product": "EMP", "seats": 5, "term_months": 12},
            ],
        }
        r = client.post("/api/v1/orders", json.dumps(body), content_type="application/json")
        assert r.status_code == 201, r.content[:300]

    order(-1)  # warm-up
    started = time.perf_counter()
    for n in range(ORDERS):
        order(n)
    rate = ORDERS / (time.perf_counter() - started)
    print(f"order intake ({connection.vendor}, one client, {ORDERS} new orders with contact)")
    print(f"  measured {rate:>9,.0f} orders/s   target ≥ 200/s")


def main() -> int:
    groups = os.environ.get("ILP_BENCH_GROUPS", "batch,single,orders").split(",")
    django_setup()
    import logging

    logging.getLogger("ilp.request").setLevel(logging.WARNING)  # one line per request
    if "batch" in groups or "orders" in groups:
        with test_database():
            if "batch" in groups:
                bench_batch()
            if "orders" in groups:
                bench_orders()
    if "single" in groups:
        bench_single()
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve-setup"]:
        _serve_setup()
        raise SystemExit(0)
    raise SystemExit(main())
