"""Operations (issue 14): GET /healthz, GET /metrics, the request id and the request log."""

import datetime
import io
import json
import logging

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from prometheus_client.parser import text_string_to_metric_families

from ilp.core.logs import JsonFormatter, RequestIdFilter, log_context, logging_config
from ilp.notifications.models import OutboxMail
from ilp.notifications.services import mail_enqueue
from ilp.notifications.tasks import deliver_mail
from tests.conftest import ApiClient
from tests.licensing.factories import make_key
from tests.rollout.factories import make_ums

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _signing_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.ILP_SIGNING_KEY = ""


def scrape(client: Client | None = None) -> dict[tuple[str, tuple], float]:
    """GET /metrics as {(sample name, sorted labels): value}."""
    response = (client or Client()).get("/metrics")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


# --- /healthz ---------------------------------------------------------------------------------


def test_healthz_answers_ok_when_the_database_answers():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_healthz_answers_503_when_the_database_does_not(monkeypatch):
    def broken(*args, **kwargs):
        raise connection.Database.OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] != "ok"


# --- /metrics ---------------------------------------------------------------------------------


def test_metrics_are_refused_outside_the_allow_list(settings):
    outside = Client(REMOTE_ADDR="203.0.113.7")
    response = outside.get("/metrics")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "metrics_not_allowed"
    # The default allows loopback only (the test client comes from 127.0.0.1).
    assert Client().get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="::1").get("/metrics").status_code == 200
    settings.ILP_METRICS_ALLOW = ["10.0.0.0/8", "203.0.113.7"]
    assert outside.get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    assert Client().get("/metrics").status_code == 403  # loopback is no longer listed


def test_requests_are_counted_by_route_pattern_and_status(company):
    key = make_key(company, packs=[("WE", 5)])
    before = scrape()
    client = ApiClient()
    for _ in range(3):
        assert client.get(f"/companies/{company.gaid}/product-packs").status_code == 401
    Client().get("/no/such/page/at/all")
    after = scrape()
    route = "/api/v1/companies/<gaid>/product-packs"
    labels = (("method", "GET"), ("route", route), ("status", "401"))
    assert (
        after[("ilp_http_requests_total", labels)]
        - before.get(("ilp_http_requests_total", labels), 0)
        == 3
    )
    count = ("ilp_http_request_duration_seconds_count", (("method", "GET"), ("route", route)))
    assert after[count] - before.get(count, 0) == 3
    # Never the raw path (a GAID, a token in a link): unknown paths share one label.
    assert not any(company.gaid in str(labels) or key.key in str(labels) for _, labels in after)
    unmatched = (("method", "GET"), ("route", "<unmatched>"), ("status", "404"))
    assert after[("ilp_http_requests_total", unmatched)] >= 1


def test_licenses_issued_counts_after_the_issuance_commits(
    company, django_capture_on_commit_callbacks
):
    pack = make_key(company, packs=[("WE", 5)]).product_packs.get()
    _ums, credential = make_ums(company, packs=[pack])
    name = ("ilp_licenses_issued_total", (("kind", "device"),))
    before = scrape().get(name, 0)
    body = {"product": "WE", "unit_ids": ["00E0C5000001", "00E0C5000002"]}
    with django_capture_on_commit_callbacks(execute=True):
        response = ApiClient(credential).post("/ums/licenses", body)
    assert response.status_code == 200
    assert scrape()[name] == before + 2
    # Asking again for the same devices issues nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        ApiClient(credential).post("/ums/licenses", body)
    assert scrape()[name] == before + 2


def test_the_outbox_and_task_gauges_are_read_at_scrape_time(django_capture_on_commit_callbacks):
    empty = scrape()
    assert empty[("ilp_outbox_backlog", ())] == 0
    assert empty[("ilp_outbox_oldest_age_seconds", ())] == 0
    waiting = empty[("ilp_tasks_waiting", ())]
    with django_capture_on_commit_callbacks(execute=True):
        mail_enqueue(to="a@example.test", template="invitation", context={"url": "x"})
        mail_enqueue(to="b@example.test", template="invitation", context={"url": "x"})
        deliver_mail.enqueue(0)
    full = scrape()
    assert full[("ilp_outbox_backlog", ())] == 2
    assert full[("ilp_outbox_oldest_age_seconds", ())] >= 0
    assert full[("ilp_tasks_waiting", ())] == waiting + 1  # mails queue no task, one was


def test_a_scrape_runs_the_outbox_and_task_aggregates_once_each(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        for to in ("a@example.test", "b@example.test", "c@example.test"):
            mail_enqueue(to=to, template="invitation", context={"url": "x"})
            deliver_mail.enqueue(0)  # a task waiting (mails themselves queue none)
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    OutboxMail.objects.filter(to="a@example.test").update(created_at=an_hour_ago)
    OutboxMail.objects.filter(to="c@example.test").update(
        status=OutboxMail.Status.FAILED, created_at=an_hour_ago - datetime.timedelta(hours=1)
    )
    DBTaskResult.objects.ready().update(enqueued_at=an_hour_ago)
    waiting = DBTaskResult.objects.ready().count()
    with CaptureQueriesContext(connection) as queries:
        samples = scrape()
    for table in (OutboxMail._meta.db_table, DBTaskResult._meta.db_table):
        hits = [q["sql"] for q in queries if table in q["sql"]]
        assert len(hits) == 1, hits
    # The values are those of the one aggregate: pending only in backlog and age.
    assert samples[("ilp_outbox_backlog", ())] == 2
    assert samples[("ilp_outbox_failed", ())] == 1
    assert 3600 <= samples[("ilp_outbox_oldest_age_seconds", ())] < 2 * 3600
    assert samples[("ilp_tasks_waiting", ())] == waiting >= 3
    assert 3600 <= samples[("ilp_tasks_oldest_waiting_age_seconds", ())] < 2 * 3600


# --- request id and logs ----------------------------------------------------------------------


def test_a_request_id_is_returned_taken_from_the_caller_when_sane(caplog):
    caplog.set_level(logging.INFO, logger="ilp.request")
    given = Client().get("/healthz", headers={"X-Request-ID": "lb-4711.abc:1"})
    assert given["X-Request-ID"] == "lb-4711.abc:1"
    made = Client().get("/healthz")
    assert len(made["X-Request-ID"]) == 32
    for insane in ("a b", "x" * 129, "new\nline", "<script>"):
        answer = Client().get("/healthz", headers={"X-Request-ID": insane})
        assert answer["X-Request-ID"] != insane and len(answer["X-Request-ID"]) == 32
    lines = [r for r in caplog.records if r.name == "ilp.request"]
    assert lines[0].request_id == "lb-4711.abc:1"
    assert lines[0].route == "/healthz" and lines[0].status == 200
    assert lines[0].method == "GET" and lines[0].duration_ms >= 0


def test_the_request_log_names_the_caller_and_membership(caplog, admin_api, company):
    caplog.set_level(logging.INFO, logger="ilp.request")
    assert admin_api.get(f"/companies/{company.gaid}/product-packs").status_code == 200
    (line,) = [r for r in caplog.records if r.name == "ilp.request"]
    assert line.principal == "user"
    assert line.user_id == company.memberships.get().user_id
    assert line.membership_id == company.memberships.get().pk
    assert line.route == "/api/v1/companies/<gaid>/product-packs"
    assert company.gaid not in line.getMessage()  # the pattern, never the raw path


def _json_handler() -> tuple[logging.Handler, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    return handler, stream


def test_json_lines_carry_the_request_id_of_app_records_too(settings):
    handler, stream = _json_handler()
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    try:
        # A 401: the request log line and Django's own warning (written after the
        # middleware) both carry the request's id.
        Client().get("/api/v1/products", headers={"X-Request-ID": "req-1"})
        with log_context("daily:send-reminders:2026-01-01"):
            logging.getLogger("ilp.worker").info("job %s", "done", extra={"mails": 3})
        logging.getLogger("ilp.worker").warning("outside")
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    request_line = next(e for e in entries if e["logger"] == "ilp.request")
    assert request_line["request_id"] == "req-1"
    assert request_line["route"] == "/api/v1/products"
    assert request_line["status"] == 401 and request_line["method"] == "GET"
    assert isinstance(request_line["duration_ms"], float)
    django_line = next(e for e in entries if e["logger"] == "django.request")
    assert django_line["request_id"] == "req-1"
    assert "request" not in django_line  # the raw path stays out of the structured fields
    job = next(e for e in entries if e["message"] == "job done")
    assert job["request_id"] == "daily:send-reminders:2026-01-01" and job["mails"] == 3
    assert entries[-1]["request_id"] is None and entries[-1]["level"] == "WARNING"


def test_log_format_setting_picks_json_or_text():
    assert logging_config(fmt="json")["formatters"]["ilp"] == {"()": "ilp.core.logs.JsonFormatter"}
    assert "%(request_id)s" in logging_config(fmt="text")["formatters"]["ilp"]["format"]


# --- ilp serve --------------------------------------------------------------------------------


def test_serve_execs_gunicorn_with_a_clean_metrics_directory_per_bind(settings, monkeypatch):
    from django.core.management import call_command

    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    stale = settings.DATA_DIR / "prometheus" / "127.0.0.1_8649"
    stale.mkdir(parents=True)
    (stale / "counter_4711.db").write_bytes(b"old")
    calls = []
    monkeypatch.setattr("os.execve", lambda path, argv, env: calls.append((argv, env)))
    call_command("serve", "--bind", "127.0.0.1:8649", "--workers", "3")
    ((argv, env),) = calls
    assert env["PROMETHEUS_MULTIPROC_DIR"] == str(stale)
    assert not list(stale.iterdir())  # the previous run's counters are gone
    assert argv[1:4] == ["-m", "gunicorn", "ilp.wsgi:application"]
    assert "python:ilp.core.gunicorn_conf" in argv and "--no-control-socket" in argv
    assert argv[argv.index("--workers") + 1] == "3"
    assert "--access-logfile" not in argv  # the request middleware logs each request
