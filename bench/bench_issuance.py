"""Issue 14's throughput groups, each beside a ceiling measured in the same run, and issue
20's plain apps and middleware profile:

1. batch issuance: 20 × 1,000 devices through `POST /ums/licenses` (in-process client, the
   whole API path) against the plain same work: one process Ed25519-signing the same claims,
   inserting the licenses and their audit events (`COPY` on PostgreSQL, `executemany` on
   SQLite), one conditional seat `UPDATE`, one commit per batch;
2. single-device issuance under 32 connections against a real `ilp serve` (gunicorn, 2
   workers × 4 threads), the load from wrk in its own process; beside it, under the same
   gunicorn settings in the same run, the plain WSGI app of bench/plain_app.py (no
   framework, psycopg): its JWKS (the same document) gives the pipeline's own cost as a
   ratio, its issuance (the same work into the same tables) the group's ceiling. The
   load generator's CPU is printed;
3. order intake: `POST /orders` (staff token), one client, orders/s, against
   bench/plain_app.py's same order (one transaction, the same rows) called as a WSGI app
   in the same process, alternating in rounds of 10;
4. profile: what each middleware costs a single-device `POST /ums/licenses` in-process
   (µs per request, % of the whole), on the lean path and on the full stack it skips.

    make bench BENCH=bench_issuance             # SQLite (group 2 on a temporary file)
    make bench-postgres BENCH=bench_issuance    # PostgreSQL, throw-away databases

Settings: ILP_BENCH_BATCHES (20), ILP_BENCH_SECONDS (wrk duration per run, 5),
ILP_BENCH_CONNECTIONS (32), ILP_BENCH_ORDERS (200), ILP_BENCH_PROFILE (requests profiled,
300), ILP_BENCH_GROUPS ("batch,single,orders,profile"), ILP_BENCH_THREADS (threads per
gunicorn worker, 4 as `ilp serve`).
"""

import datetime
import gc
import io
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
PROFILE = int(os.environ.get("ILP_BENCH_PROFILE", "300"))
THREADS = int(os.environ.get("ILP_BENCH_THREADS", "4"))  # per gunicorn worker (ilp serve's default)
# The large customer of bench/tenant.py (20,000 packs, 500,000 licenses at 1) the single-device
# group also issues to, on its biggest UMS; 0 leaves it out. SQLite builds it row by row: a
# hundredth there unless asked.
_ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
LARGE = float(os.environ.get("ILP_BENCH_LARGE_SCALE", "1" if _ON_POSTGRES else "0.01"))
ROOT = Path(__file__).resolve().parent.parent


def _tenant(seats: int, packs: int = 4):
    """A company with `packs` WE packs of `seats` seats, all assigned to one UMS."""
    return issuing_tenant(seats=seats, packs=packs)


# --- 1. batch issuance against its ceiling --------------------------------------------------


class _Ceiling:
    """Issue 20's plain same work for a batch: one process signs the claims of the licenses
    the API just issued again (new IDs, for its own company, UMS and pack), `COPY`s the
    licenses and their audit events (one `license.issued` each, as ILP writes) into the
    same logged, indexed tables, claims the seats with one conditional
    `UPDATE … SET seats_used = seats_used + n WHERE … AND seats_used + n <= seats RETURNING`
    and commits, one transaction per batch (`executemany` on SQLite)."""

    def __init__(self, company):
        from django.db import connection

        from ilp.audit.models import AuditEvent
        from ilp.core.ids import crockford
        from ilp.licensing.models import ProductPack
        from ilp.rollout import signing
        from ilp.rollout.models import DeviceLicense, UmsInstance

        self.table = DeviceLicense._meta.db_table
        self.fields = [f for f in DeviceLicense._meta.concrete_fields if not f.primary_key]
        self.columns = [f.column for f in self.fields]
        self.cols = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        self.audit_table = AuditEvent._meta.db_table
        self.audit_columns = [
            "created_at", "company_id", "actor_kind", "actor_user_id", "actor_label",
            "action", "object_type", "object_id", "before", "after",
        ]  # fmt: skip
        self.audit_cols = ", ".join(connection.ops.quote_name(c) for c in self.audit_columns)
        self.pack_table = ProductPack._meta.db_table
        # Its own company's pack (made like the API's): its seats are claimed for real.
        self.pack = (
            ProductPack.objects.select_related("subscription_key")
            .filter(company=company)
            .order_by("id")
            .first()
        )
        self.ums = UmsInstance.objects.get(company=company)
        self.gaid = company.gaid
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
        """Seconds to sign and write `rows` again as new licenses of the ceiling's pack."""
        from django.db import connection, transaction
        from django.utils import timezone

        from ilp.rollout import signing

        at = {f.attname: i for i, f in enumerate(self.fields)}
        claims = [json.loads(signing.b64u_decode(r[at["token"]].split(".")[1])) for r in rows]
        marks = ", ".join(["%s"] * len(self.columns))
        insert = f"INSERT INTO {self.table} ({self.cols}) VALUES ({marks})"
        audit_marks = ", ".join(["%s"] * len(self.audit_columns))
        audit_insert = f"INSERT INTO {self.audit_table} ({self.audit_cols}) VALUES ({audit_marks})"
        claim = (
            f"UPDATE {self.pack_table} SET seats_used = seats_used + %s"
            " WHERE id = %s AND seats_used + %s <= seats RETURNING seats_used"
        )
        ums_id, pack_id = self.ums.ums_id, self.pack.pack_id
        started = time.perf_counter()
        now = timezone.now()
        out, events = [], []
        for row, c in zip(rows, claims, strict=True):
            self.n += 1
            row = row[:]
            row[at["license_id"]] = f"C{self.prefix}{self.n:08d}"
            row[at["company_id"]] = self.pack.company_id
            row[at["pack_id"]] = self.pack.pk
            row[at["ums_id"]] = self.ums.pk
            row[at["token"]] = signing.jws_sign(
                {
                    **c,
                    "jti": row[at["license_id"]],
                    "pack": pack_id,
                    "subscription_key": self.pack.subscription_key.key,
                    "gaid": self.gaid,
                },
                pair=self.pair,
            )
            out.append(row)
            after = {"unit_id": row[at["unit_id"]], "pack": pack_id, "ums_id": ums_id}
            events.append(
                [now, self.pack.company_id, "ums", None, ums_id, "license.issued"]
                + ["device_license", row[at["license_id"]], None, json.dumps(after)]
            )
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {self.table} ({self.cols}) FROM STDIN") as copy:
                    for row in out:
                        copy.write_row(row)
                audit_copy = f"COPY {self.audit_table} ({self.audit_cols}) FROM STDIN"
                with cursor.cursor.copy(audit_copy) as copy:
                    for event in events:
                        copy.write_row(event)
            else:
                cursor.executemany(insert, out)
                cursor.executemany(audit_insert, events)
            cursor.execute(claim, [len(out), self.pack.pk, len(out)])
            assert cursor.fetchone() is not None, "the ceiling's pack ran out of seats"
        return time.perf_counter() - started


def bench_batch() -> None:
    """Each API batch is followed at once by the ceiling's batch of the same licenses, so
    both see the same machine (a shared machine's load moves within seconds)."""
    from django.db import connection
    from django.test import Client

    _company, credential = _tenant(seats=BATCH * BATCHES)
    ceiling_company, _ceiling_credential = _tenant(seats=BATCH * BATCHES, packs=1)
    client = Client(headers={"Authorization": f"Bearer {credential}"})

    warm = json.dumps({"product": "WE", "unit_ids": ["WARMUP01"]})
    client.post("/api/v1/ums/licenses", warm, content_type="application/json")  # makes the key
    ceiling = _Ceiling(ceiling_company)
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
    print(
        f"  ceiling  {ceiling_rate:>9,.0f} licenses/s (plain same work: sign, COPY licenses and"
        " audit events, one seat UPDATE, commit per batch;"
    )
    print("           each batch right after the API's batch of the same licenses)")
    print(f"  ratio    {rate / ceiling_rate:>9.0%}   target ≥ 50%")


# --- 2. single-device issuance under concurrency ------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_LUA = """
local n = 0
local threads = 0
-- `tid` is each wrk thread's own global (thread:set); a chunk-local `tid` would be 0 in
-- every thread, and the threads would ask for the same unit IDs.
setup = function(thread) thread:set("tid", threads); threads = threads + 1 end
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


def _plain_config(database_url: str) -> dict:
    """bench/plain_app.py's settings (it reads them at import from ILP_PLAIN_CONFIG)."""
    from cryptography.hazmat.primitives import serialization
    from django.conf import settings

    from ilp.accounts.services.invitations import INVITATION_TTL
    from ilp.rollout import signing
    from ilp.rollout.licensee import lease_days_of

    pair = signing.signing_key_current()
    return {
        "database_url": database_url,
        "private_pem": pair.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        "kid": pair.kid,
        "typ": signing.LICENSE_TYP,
        "iss": settings.ILP_BASE_URL,
        "base_url": settings.ILP_BASE_URL,
        "invitation_days": INVITATION_TTL.days,
        "lease_days": lease_days_of(None),
        "grace_days": signing.GRACE_DAYS,
        "jwks": signing.jwks(),
    }


def _serve_setup(config_path: str) -> None:
    """Child process: migrate the bench database, make one tenant for ILP and one of the same
    shape for the plain app, write the plain app's settings to `config_path` and print the
    two UMS credentials (ILP's, then the plain app's)."""
    django_setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    _company, credential = _tenant(seats=1_000_000, packs=2)
    _plain_company, plain_credential = _tenant(seats=1_000_000, packs=2)
    db = connection.settings_dict
    url = os.environ["DATABASE_URL"] if db["ENGINE"].endswith("postgresql") else None
    config = _plain_config(url or f"sqlite:///{db['NAME']}")
    Path(config_path).write_text(json.dumps(config))
    large = "-"
    if LARGE > 0:
        from bench import tenant

        large = tenant.build(factor=LARGE, name="Bench Large Customer").credentials[0]
        if connection.vendor == "postgresql":
            # What autovacuum would do after the bulk load, done before the clock starts (not
            # while wrk runs), and its writes flushed.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
                cursor.execute("CHECKPOINT")
    print(credential, plain_credential, large)


def _gunicorn_up(base: str, server: subprocess.Popen, path: str = "/healthz") -> bool:
    """Wait until the server answers `path` (a loaded machine takes a while to start two
    workers); False if it died."""
    for _ in range(600):
        try:
            urllib.request.urlopen(f"{base}{path}", timeout=2)
            return True
        except OSError:
            if server.poll() is not None:
                return False
            time.sleep(0.2)
    return server.poll() is None


def _line(name: str, r: dict) -> str:
    return (
        f"  {name:26} {r['rate']:>8,.0f} req/s  p50 {r['p50']:>7.1f} ms"
        f"  p99 {r['p99']:>7.1f} ms  non-2xx {r['errors']}  timeouts {r['timeouts']}"
        f"  wrk CPU {r['cpu']:.0%}"
        + (f"  machine CPU {r['machine']:.0%}" if r["machine"] is not None else "")
    )


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
    port, plain_port = _free_port(), _free_port()
    env = dict(
        os.environ,
        DATABASE_URL=url,
        ILP_DATA_DIR=tmp,
        ILP_BASE_URL=f"http://127.0.0.1:{port}",
        PYTHONPATH=f"{ROOT}:{ROOT / 'src'}",
        ILP_PLAIN_CONFIG=f"{tmp}/plain.json",
    )
    credential, plain_credential, large_credential = subprocess.run(
        [sys.executable, "-m", "bench.bench_issuance", "--serve-setup", f"{tmp}/plain.json"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[-3:]
    gunicorn = ["--workers", "2", "--threads", str(THREADS)]  # `ilp serve`'s defaults
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "ilp"), "serve", "--bind", f"127.0.0.1:{port}"]
        + gunicorn,
        env=env,
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=open(f"{tmp}/serve.log", "w"),  # noqa: SIM115
    )
    # The plain app: the same gunicorn settings as `ilp serve` (serve.py), no Django.
    plain = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "bench.plain_app:application"]
        + ["--bind", f"127.0.0.1:{plain_port}", "--timeout", "60", "--no-control-socket"]
        + gunicorn,
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=open(f"{tmp}/plain.log", "w"),  # noqa: SIM115
    )
    try:
        base, plain_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{plain_port}"
        for name, srv, b, path, log in (
            ("ilp serve", server, base, "/healthz", "serve.log"),
            ("the plain app", plain, plain_base, "/.well-known/jwks.json", "plain.log"),
        ):
            if not _gunicorn_up(b, srv, path):
                print(f"single-device issuance: {name} did not start:")
                print(Path(f"{tmp}/{log}").read_text()[-2000:])
                return
        script = Path(tmp) / "issue.lua"
        script.write_text(_LUA % credential)
        plain_script = Path(tmp) / "plain.lua"
        plain_script.write_text(_LUA % plain_credential)
        jwks = "/.well-known/jwks.json"
        _wrk(f"{base}{jwks}", seconds=1)  # warm-up: both workers loaded
        _wrk(f"{plain_base}{jwks}", seconds=1)
        bare = _wrk(f"{base}{jwks}")
        plain_bare = _wrk(f"{plain_base}{jwks}")
        issuing = "/api/v1/ums/licenses"
        if url.startswith("postgres"):
            with _LockWaits(url) as waits:
                issue = _wrk(f"{base}{issuing}", script=str(script))
        else:
            waits, issue = None, _wrk(f"{base}{issuing}", script=str(script))
        plain_issue = _wrk(f"{plain_base}{issuing}", script=str(plain_script))
        large = None
        if large_credential != "-":
            large_script = Path(tmp) / "large.lua"
            large_script.write_text(_LUA % large_credential)
            large = _wrk(f"{base}{issuing}", script=str(large_script))
        print(
            f"single-device issuance ({'postgresql' if url.startswith('postgres') else 'sqlite'},"
            f" ilp serve and the plain app each 2 workers × {THREADS} threads,"
            f" wrk {CONNECTIONS} connections, {SECONDS} s each)"
        )
        for name, r in (
            ("POST /ums/licenses", issue),
            ("plain same work (ceiling)", plain_issue),
            ("GET jwks (ceiling)", bare),
            ("GET jwks plain WSGI", plain_bare),
        ):
            print(_line(name, r))
        if large is not None:
            print(_line(f"… large customer ×{LARGE:g}", large))
        if waits is not None:
            print(f"  server's database connections while issuing: {waits.summary()}")
        for r, log in ((issue, "serve.log"), (plain_issue, "plain.log")):
            if r["errors"]:
                print(f"  {log}, its end:")
                print("\n".join(Path(f"{tmp}/{log}").read_text().splitlines()[-12:]))
        print(
            f"  ratio {issue['rate'] / max(plain_issue['rate'], 1e-9):.0%} of the plain app's"
            f" rate (target ≥ 50%), p99 {issue['p99']:.1f} ms against"
            f" {plain_issue['p99']:.1f} ms (target ≤ 2 × + 10 ms ="
            f" {2 * plain_issue['p99'] + 10:.1f} ms)"
        )
        if large is not None:
            print(
                f"  large customer (bench/tenant.py ×{LARGE:g}, its biggest UMS):"
                f" {large['rate'] / max(issue['rate'], 1e-9):.0%} of the rate at a new company"
                " (target ≥ 90%)"
            )
        print(
            f"  jwks: ILP {bare['rate'] / max(plain_bare['rate'], 1e-9):.0%} of the plain WSGI"
            " app's rate (the pipeline's own cost; ILP also reads the keys from its database)"
        )
        print(
            f"  ratio {issue['rate'] / max(bare['rate'], 1e-9):.0%} of the rate of ILP's jwks,"
            f" p99 {issue['p99'] / max(bare['p99'], 1e-9):.1f} × (issue 14's ceiling)"
        )
    finally:
        for srv in (server, plain):
            srv.terminate()
        for srv in (server, plain):
            srv.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


# --- 3. order intake ----------------------------------------------------------------------


def _plain_orders_app():
    """bench/plain_app.py in this process, on this run's database: on PostgreSQL its own
    psycopg connection to the test database (as served, through the socket); on SQLite
    (an in-memory test database) Django's own sqlite3 connection."""
    from urllib.parse import quote

    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "postgresql":
        url = (
            f"postgresql://{quote(db['USER'] or '')}:{quote(str(db['PASSWORD'] or ''))}"
            f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        url = f"sqlite:///{db['NAME']}"
    path = Path(tempfile.mkdtemp(prefix="ilp-bench-plain-")) / "plain.json"
    path.write_text(json.dumps(_plain_config(url)))
    os.environ["ILP_PLAIN_CONFIG"] = str(path)
    from bench import plain_app

    if connection.vendor != "postgresql":
        connection.ensure_connection()
        plain_app._local.conn = connection.connection
    return plain_app


def plain_orders_close(app) -> None:
    """Let go of the plain app's connection (the test database is dropped after the run)."""
    from django.db import connection

    conn = getattr(app._local, "conn", None)
    if conn is not None and connection.vendor == "postgresql":
        conn.close()
    app._local.conn = None


def _order_body(run: str, n: int) -> dict:
    return {
        "order_number": f"B{run}{n:06d}",
        "kind": "new",
        "invoice_date": datetime.date.today().isoformat(),
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


def _order_environ(token: str, body: dict) -> dict:
    """The WSGI environ of one `POST /api/v1/orders`: the same bytes for both sides."""
    data = json.dumps(body).encode()
    return {
        "PATH_INFO": "/api/v1/orders",
        "REQUEST_METHOD": "POST",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "wsgi.url_scheme": "http",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data),
        "wsgi.errors": sys.stderr,
    }


def _wsgi_call(application, environ: dict) -> tuple[int, dict]:
    answer = {}

    def start(status, headers):
        answer["status"] = int(status.split()[0])

    out = b"".join(application(environ, start))
    return answer["status"], json.loads(out)


def plain_order(app, token: str, body: dict) -> tuple[int, dict]:
    """One `POST /api/v1/orders` through the plain app's WSGI callable, in-process."""
    return _wsgi_call(app.application, _order_environ(token, body))


def ilp_order(handler, token: str, body: dict) -> tuple[int, dict]:
    """The same request through ILP's WSGI handler (the one gunicorn calls), in-process."""
    return _wsgi_call(handler, _order_environ(token, body))


def bench_orders() -> None:
    """ILP's `POST /orders` through its WSGI handler (the whole request pipeline gunicorn
    runs, in this process) against bench/plain_app.py's same work called as a WSGI app in
    this process: the same environ for both, one client each, sequential, alternating in
    rounds of 10 so that both see the same machine. The test environment's template
    instrumentation (it records every rendered template for test assertions) is switched
    off for the measurement, as it is in production."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.template import Template
    from django.test.utils import _TestState

    from ilp.accounts.services.tokens import staff_token_create
    from ilp.core.actors import Actor
    from ilp.core.ids import crockford

    _staff, token = staff_token_create(actor=Actor.system(), name="bench")
    handler = WSGIHandler()
    app = _plain_orders_app()
    run, plain_run = crockford(4), crockford(4)
    instrumented = Template._render
    saved = getattr(_TestState, "saved_data", None)
    if saved is not None:
        Template._render = saved.template_render

    def order(n):
        status, answer = ilp_order(handler, token, _order_body(run, n))
        assert status == 201, answer

    def plain(n):
        status, answer = plain_order(app, token, _order_body(plain_run, n))
        assert status == 201, answer

    try:
        order(-1)  # warm-up
        plain(-1)
        ilp_seconds = plain_seconds = 0.0
        for first in range(0, ORDERS, 10):
            numbers = range(first, min(first + 10, ORDERS))
            started = time.perf_counter()
            for n in numbers:
                order(n)
            ilp_seconds += time.perf_counter() - started
            started = time.perf_counter()
            for n in numbers:
                plain(n)
            plain_seconds += time.perf_counter() - started
    finally:
        Template._render = instrumented
        plain_orders_close(app)
    rate, plain_rate = ORDERS / ilp_seconds, ORDERS / plain_seconds
    print(f"order intake ({connection.vendor}, one client, {ORDERS} new orders with contact)")
    print(f"  measured {rate:>9,.0f} orders/s   target ≥ 200/s")
    print(
        f"  orders: ILP {rate:,.0f}/s, plain same work {plain_rate:,.0f}/s,"
        f" ratio {rate / plain_rate:.0%} (target ≥ 50%)"
    )


# --- 4. what each middleware costs a UMS request -------------------------------------------

_frames: list[float] = []  # the time each open timed layer spent in the layers inside it


class _Passthrough:
    """The innermost timed layer: its own time is Django's handler and the view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)


def _timed(path: str, name: str, stats: dict) -> str:
    """An import path of a class that runs middleware `path` and adds its own time (without
    the layers inside it, with its hooks) to `stats[name]`."""
    from django.utils.module_loading import import_string

    inner_cls = import_string(path) if path else _Passthrough

    def hook(fn):
        def timed(*args):
            started = time.perf_counter()
            try:
                return fn(*args)
            finally:
                elapsed = time.perf_counter() - started
                stats[name] += elapsed
                if _frames:
                    _frames[-1] += elapsed  # not the view's own time

        return timed

    class Timed:
        def __init__(self, get_response):
            self.inner = inner_cls(get_response)
            for h in ("process_view", "process_exception"):
                if hasattr(self.inner, h):
                    setattr(self, h, hook(getattr(self.inner, h)))

        def __call__(self, request):
            _frames.append(0.0)
            started = time.perf_counter()
            try:
                return self.inner(request)
            finally:
                elapsed = time.perf_counter() - started
                stats[name] += elapsed - _frames.pop()
                if _frames:
                    _frames[-1] += elapsed

    cls_name = f"_Timed{len(_timed_classes)}"
    Timed.__name__ = Timed.__qualname__ = cls_name
    _timed_classes.append(Timed)
    setattr(sys.modules[__name__], cls_name, Timed)
    return f"{__name__}.{cls_name}"


_timed_classes: list = []


def _profile(*, lean: bool, credential: str) -> list[tuple[str, float]]:
    """µs per request of each layer over PROFILE single-device issuances."""
    from django.conf import settings
    from django.test import Client, override_settings

    stats: dict[str, float] = {}

    def wrap(paths, prefix=""):
        out = []
        for path in paths:
            name = prefix + path.rsplit(".", 1)[-1]
            stats.setdefault(name, 0.0)
            out.append(_timed(path, name, stats))
        return out

    view = "handler + view"
    stats[view] = 0.0
    middleware = wrap(settings.MIDDLEWARE) + [_timed("", view, stats)]
    machine = wrap(settings.ILP_MACHINE_MIDDLEWARE, "lean: ") + [_timed("", view, stats)]
    with override_settings(
        MIDDLEWARE=middleware,
        ILP_MACHINE_MIDDLEWARE=machine,
        ILP_MACHINE_PATHS=settings.ILP_MACHINE_PATHS if lean else [],
    ):
        client = Client(headers={"Authorization": f"Bearer {credential}"})
        run = f"{'L' if lean else 'F'}{len(_timed_classes):03d}"

        def issue(n):
            body = json.dumps({"product": "WE", "unit_ids": [f"PROF{run}{n:07d}"]})
            r = client.post("/api/v1/ums/licenses", body, content_type="application/json")
            assert r.status_code == 200 and r.json()["results"][0]["status"] == "issued", r

        for n in range(20):  # warm-up: the handler's chain, caches, the first key lookups
            issue(-n - 1)
        for name in stats:
            stats[name] = 0.0
        # No collector pauses inside the loop: one would land on whichever layer runs.
        gc.collect()
        gc.disable()
        try:
            for n in range(PROFILE):
                issue(n)
        finally:
            gc.enable()
    return [(name, seconds / PROFILE * 1e6) for name, seconds in stats.items() if seconds]


def bench_profile() -> None:
    from django.db import connection

    _company, credential = _tenant(seats=1_000_000, packs=2)
    print(
        f"middleware profile ({connection.vendor}, in-process, {PROFILE} single-device"
        " POST /ums/licenses each; own time of each layer, its hooks included)"
    )
    for title, lean in (("lean path (as served)", True), ("full stack (before issue 20)", False)):
        rows = _profile(lean=lean, credential=credential)
        total = sum(us for _name, us in rows)
        middleware = sum(us for name, us in rows if name != "handler + view")
        print(f"  {title}: {total:,.0f} µs per request, {middleware:,.0f} µs of it middleware")
        for name, us in rows:
            print(f"    {name:34} {us:>8,.0f} µs  {us / total:>6.1%}")


def main() -> int:
    groups = os.environ.get("ILP_BENCH_GROUPS", "batch,single,orders,profile").split(",")
    django_setup()
    import logging

    logging.getLogger("ilp.request").setLevel(logging.WARNING)  # one line per request
    if {"batch", "orders", "profile"} & set(groups):
        with test_database():
            if "batch" in groups:
                bench_batch()
            if "orders" in groups:
                bench_orders()
            if "profile" in groups:
                bench_profile()
    if "single" in groups:
        bench_single()
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve-setup"]:
        _serve_setup(sys.argv[2])
        raise SystemExit(0)
    raise SystemExit(main())
