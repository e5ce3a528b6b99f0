"""The throughput benchmark still runs end to end (bench/bench_issuance.py, issue 14): each
group prints its figure beside its ceiling. Tiny sizes; the figures themselves are not judged
here (speed lives in bench/, not in tests)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_issuance_benchmark_prints_every_group_with_its_ceiling(tmp_path):
    env = {
        **os.environ,
        # Always its own SQLite file: a benchmark's test database must never meet this run's.
        "DATABASE_URL": f"sqlite:///{tmp_path}/bench.sqlite3",
        "ILP_DATA_DIR": str(tmp_path / "data"),
        "ILP_BENCH_BATCHES": "1",
        "ILP_BENCH_ORDERS": "3",
        "ILP_BENCH_SECONDS": "1",
        "ILP_BENCH_CONNECTIONS": "2",
        "ILP_BENCH_GROUPS": "batch,single,orders,profile",
        "ILP_BENCH_PROFILE": "3",
        "ILP_BENCH_LARGE_SCALE": "0.001",
    }
    run = subprocess.run(
        [sys.executable, "-m", "bench", "bench_issuance"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out = run.stdout
    assert re.search(r"measured\s+[\d,]+ licenses/s", out), out
    assert re.search(r"ceiling\s+[\d,]+ licenses/s", out), out
    assert re.search(r"ratio\s+\d+%\s+target ≥ 50%", out), out
    assert re.search(r"measured\s+[\d,]+ orders/s", out), out
    assert re.search(r"ceiling\s+[\d,]+ licenses/s \(plain same work: sign, COPY licenses", out)
    assert re.search(
        r"orders: ILP [\d,]+/s, plain same work [\d,]+/s, ratio \d+% \(target ≥ 50%\)", out
    ), out
    # The middleware profile: every layer with its µs and share, lean and full.
    assert "lean path (as served)" in out and "full stack (before issue 20)" in out, out
    assert re.search(r"lean: IdempotencyMiddleware\s+[\d,]+ µs\s+[\d.]+%", out), out
    assert re.search(r"SessionMiddleware\s+[\d,]+ µs\s+[\d.]+%", out), out
    if shutil.which("wrk"):
        assert re.search(r"POST /ums/licenses\s+[\d,]+ req/s .* non-2xx 0", out), out
        assert re.search(r"GET jwks \(ceiling\)\s+[\d,]+ req/s", out), out
        assert re.search(r"plain same work \(ceiling\)\s+[\d,]+ req/s .* non-2xx 0", out), out
        assert re.search(r"GET jwks plain WSGI\s+[\d,]+ req/s .* non-2xx 0", out), out
        assert re.search(r"ratio \d+% of the plain app's rate", out), out
        assert re.search(r"… large customer ×0.001\s+[\d,]+ req/s .* non-2xx 0", out), out
        assert re.search(r"large customer .* \d+% of the rate at a new company", out), out
        assert re.search(r"jwks: ILP \d+% of the plain WSGI app's rate", out), out
        assert re.search(r"ratio \d+% of the rate of ILP's jwks", out), out
    else:
        assert "wrk not installed" in out, out


def test_the_plain_app_does_the_same_work_as_ilp(tmp_path):
    """bench/plain_app.py's issuance is a fair ceiling only if it is the same work: a license
    with ILP's claims that ILP's JWKS verifies, its audit event, one seat taken; `existing` for
    a device asked again; 401 for an unknown credential."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path}/bench.sqlite3",
        "ILP_DATA_DIR": str(tmp_path / "data"),
        "ILP_BASE_URL": "http://bench.example",
        "ILP_PLAIN_CONFIG": str(tmp_path / "plain.json"),
        "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}",
        "ILP_BENCH_LARGE_SCALE": "0",
    }
    setup = [sys.executable, "-m", "bench.bench_issuance", "--serve-setup", env["ILP_PLAIN_CONFIG"]]
    run = subprocess.run(setup, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    ilp_credential, plain_credential, _large = run.stdout.split()[-3:]
    run = subprocess.run(
        [sys.executable, "-c", PLAIN_CHECK, ilp_credential, plain_credential],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split()[-1] == "same-work-ok", run.stdout


def test_the_plain_order_and_batch_do_the_same_work_as_ilp(tmp_path):
    """The orders group's plain app and the batch group's ceiling are fair only if they write
    what ILP writes: after one ILP order and one plain order (each a new company with its
    contact), the same number of new rows in every table; the same answer's fields, audit
    actions and mail; after a batch, per license one row and one audit event and one seat."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path}/bench.sqlite3",
        "ILP_DATA_DIR": str(tmp_path / "data"),
        "ILP_BASE_URL": "http://bench.example",
        "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}",
    }
    run = subprocess.run(
        [sys.executable, "-c", SAME_ROWS_CHECK],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split()[-1] == "same-rows-ok", run.stdout


SAME_ROWS_CHECK = """
import json
from bench._harness import django_setup, test_database
django_setup()
from django.db import connection
from django.test import Client
from bench import bench_issuance as b
from ilp.accounts.services.tokens import staff_token_create
from ilp.audit.models import AuditEvent
from ilp.core.actors import Actor
from ilp.licensing.models import Order, ProductPack
from ilp.notifications.models import OutboxMail
from ilp.rollout.models import DeviceLicense

def counts():
    with connection.cursor() as cursor:
        out = {}
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            out[table] = cursor.fetchone()[0]
    return out

def written(before, after):
    return {t: after[t] - before.get(t, 0) for t in after if after[t] != before.get(t, 0)}

with test_database():
    _staff, token = staff_token_create(actor=Actor.system(), name="bench")
    client = Client(headers={"Authorization": f"Bearer {token}"})
    app = b._plain_orders_app()
    before = counts()
    r = client.post("/api/v1/orders", json.dumps(b._order_body("ILPX", 1)),
                    content_type="application/json")
    assert r.status_code == 201, r.content
    middle = counts()
    status, plain = b.plain_order(app, token, b._order_body("PLNX", 1))
    assert status == 201, plain
    ilp_rows, plain_rows = written(before, middle), written(middle, counts())
    assert ilp_rows == plain_rows, (ilp_rows, plain_rows)
    assert ilp_rows["audit_auditevent"] == 4 and ilp_rows["notifications_outboxmail"] == 1
    ilp = r.json()
    assert set(plain) == set(ilp) and [set(p) for p in plain["product_packs"]] == [
        set(p) for p in ilp["product_packs"]], (plain, ilp)
    ilp_order = Order.objects.get(order_number=ilp["order_number"])
    plain_order = Order.objects.get(order_number=plain["order_number"])
    assert set(plain_order.result) == set(ilp_order.result)
    assert (plain_order.status, plain_order.contact_outcome, plain_order.eula_id) == (
        ilp_order.status, ilp_order.contact_outcome, ilp_order.eula_id)
    actions = lambda o: sorted(AuditEvent.objects.filter(company=o.company).values_list(
        "action", "object_type"))
    assert actions(plain_order) == actions(ilp_order), (actions(plain_order), actions(ilp_order))
    mails = {m.to: m for m in OutboxMail.objects.all()}
    ilp_mail, plain_mail = mails["buyer1@ilpx.example"], mails["buyer1@plnx.example"]
    assert (plain_mail.template, plain_mail.status) == (ilp_mail.template, ilp_mail.status)
    assert abs(len(plain_mail.body_text) - len(ilp_mail.body_text)) < 40
    assert "/invitations/ilpi_" in plain_mail.body_text
    status, again = b.plain_order(app, token, b._order_body("PLNX", 1))
    assert status == 200 and again == plain, again  # a replay answers the stored order
    b.plain_orders_close(app)

    # The batch ceiling: per license one row, one audit event and one seat, like the API.
    company, credential = b._tenant(seats=10, packs=1)
    ceiling_company, _c = b._tenant(seats=10, packs=1)
    body = json.dumps({"product": "WE", "unit_ids": ["00E0C5B1", "00E0C5B2", "00E0C5B3"]})
    before = counts()
    r = Client(headers={"Authorization": f"Bearer {credential}"}).post(
        "/api/v1/ums/licenses", body, content_type="application/json")
    ids = [x["license"]["id"] for x in r.json()["results"]]
    middle = counts()
    ceiling = b._Ceiling(ceiling_company)
    ceiling.run(ceiling.rows_of(ids))
    ilp_rows, plain_rows = written(before, middle), written(middle, counts())
    ilp_rows.pop("rollout_signingkey", None)  # the first issuance made the key
    ilp_rows.pop("django_tasks_database_dbtaskresult", None)  # notices, none per license
    assert plain_rows == {"rollout_devicelicense": 3, "audit_auditevent": 3}, plain_rows
    assert ilp_rows == plain_rows, (ilp_rows, plain_rows)
    assert ProductPack.objects.get(company=ceiling_company).seats_used == 3
    assert ProductPack.objects.get(company=company).seats_used == 3
    assert set(DeviceLicense.objects.filter(company=ceiling_company).values_list(
        "unit_id", flat=True)) == {"00E0C5B1", "00E0C5B2", "00E0C5B3"}
    assert AuditEvent.objects.filter(company=ceiling_company, action="license.issued").count() == 3
print("same-rows-ok")
"""


# Runs in a child (the plain app reads its settings at import; the database is a file).
PLAIN_CHECK = """
import io, json, sys
from bench._harness import django_setup
django_setup()
from django.test import Client
from ilp.audit.models import AuditEvent
from ilp.licensing.models import ProductPack
from ilp.rollout import signing
from ilp.rollout.models import DeviceLicense
from bench import plain_app

ilp_credential, plain_credential = sys.argv[1:3]

def plain(credential, unit):
    body = json.dumps({"product": "WE", "unit_ids": [unit]}).encode()
    answer = {}
    def start(status, headers):
        answer["status"] = int(status.split()[0])
    environ = {"PATH_INFO": "/api/v1/ums/licenses", "REQUEST_METHOD": "POST",
               "HTTP_AUTHORIZATION": f"Bearer {credential}", "CONTENT_LENGTH": str(len(body)),
               "wsgi.input": io.BytesIO(body)}
    data = b"".join(plain_app.application(environ, start))
    return answer["status"], json.loads(data)

ilp = Client(headers={"Authorization": f"Bearer {ilp_credential}"}).post(
    "/api/v1/ums/licenses", json.dumps({"product": "WE", "unit_ids": ["00E0C5ILP001"]}),
    content_type="application/json").json()["results"][0]
status, answer = plain(plain_credential, "00E0C5PLAIN1")
assert status == 200, answer
got = answer["results"][0]
assert got["status"] == "issued" and set(got) == set(ilp), (got, ilp)
assert set(got["license"]) == set(ilp["license"]), (got, ilp)
keyset = signing.jwks()
_h, ilp_claims = signing.jws_verify(ilp["license"]["token"], keyset)
_h, claims = signing.jws_verify(got["license"]["token"], keyset)
assert list(claims) == list(ilp_claims), (claims, ilp_claims)
lic = DeviceLicense.objects.get(license_id=got["license"]["id"])
assert lic.status == "active" and lic.unit_id == "00E0C5PLAIN1" and lic.pack.seats_used == 1
assert ProductPack.objects.filter(company=lic.company).exclude(pk=lic.pack_id).get().seats_used == 0
event = AuditEvent.objects.get(object_id=lic.license_id)
ilp_event = AuditEvent.objects.get(object_id=ilp["license"]["id"])
assert (event.action, event.object_type, set(event.after)) == (
    ilp_event.action, ilp_event.object_type, set(ilp_event.after)), (event.after, ilp_event.after)
assert event.after["ums_id"] == lic.ums.ums_id
status, again = plain(plain_credential, "00E0C5PLAIN1")
assert status == 200 and again["results"][0]["status"] == "existing", again
assert DeviceLicense.objects.filter(unit_id="00E0C5PLAIN1").count() == 1
assert plain(plain_credential + "x", "00E0C5PLAIN2")[0] == 401
print("same-work-ok")
"""
