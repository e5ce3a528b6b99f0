"""No URL or body that carries a secret reaches a log line, in either log format, whatever the
response status (API.md, third round; DESIGN rule 29).

One journey with failures (422, 404, 409, 401, 429) on reset, invitation, claim and deletion
links and API tokens, run twice: through Django's test client with a text and a JSON handler
built like the real one, and through two real `ilp serve` (gunicorn) processes, one per log
format, with gunicorn's access log turned on, capturing their whole output. Every token the
journey saw is then looked for in every log; none may be there.
"""

import io
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client

from ilp.core.logs import (
    TEXT_FORMAT,
    JsonFormatter,
    RedactFilter,
    RequestIdFilter,
    TextFormatter,
    logging_config,
    redact,
)
from ilp.notifications.models import OutboxMail
from tests.accounts.factories import PASSWORD, make_company, make_user
from tests.licensing.factories import make_key

ILP = str(Path(sys.executable).with_name("ilp"))
_TOKEN = re.compile(r"ilp[a-z]_[A-Za-z0-9_\-]+")
BOGUS = {
    "reset": "ilpr_" + "Bogus0reset0token0that0nobody0was0ever0given",
    "invitation": "ilpi_" + "Bogus0invitation0token0nobody0was0ever0given",
    "deletion": "ilpd_" + "Bogus0deletion0token0that0nobody0was0given0",
    "user": "ilpu_" + "Bogus0user0token0that0nobody0was0ever0given0",
    "foreign": "NotAnIlpToken-but-still-somebodys-link-x7",
}

Call = Callable[..., int]


def _tokens_of(mails: list[tuple[str, str, str]], template: str, to: str) -> list[str]:
    return [
        token
        for mail_to, mail_template, body in mails
        if mail_template.startswith(template) and mail_to == to
        for token in _TOKEN.findall(body)
    ]


def journey(call: Call, mails: Callable[[], list], *, person: str, gaid: str, key: str) -> set:
    """Runs the requests; returns every secret they carried. `call(method, path, body=None,
    token=None, expect=...)` sends one request and returns its status."""
    secrets = set(BOGUS.values())
    strong = "a much better passphrase 2026"

    # An API token for the person (a body that carries a secret, 201).
    status, body = call("POST", "/api/v1/auth/tokens", {"email": person, "password": PASSWORD})
    assert status == 201, body
    user_token = body["token"]
    secrets.add(user_token)

    # Mails with links: a password reset, an account deletion, two company claims.
    assert call("POST", "/api/v1/auth/password-reset", {"email": person})[0] == 202
    assert call("POST", "/api/v1/me/deletion", token=user_token)[0] == 202
    claim = {"gaid": gaid, "subscription_key": key, "first_name": "A", "last_name": "B"}
    newcomer = "newcomer@claim.test"
    assert call("POST", "/api/v1/registrations", {**claim, "email": person})[0] == 202
    assert call("POST", "/api/v1/registrations", {**claim, "email": newcomer})[0] == 202
    sent = mails()
    (reset,) = _tokens_of(sent, "password_reset", person)
    (deletion,) = _tokens_of(sent, "account_deletion", person)
    (claim_mine,) = _tokens_of(sent, "registration_claim", person)
    (claim_theirs,) = _tokens_of(sent, "registration_claim", newcomer)
    secrets |= {reset, deletion, claim_mine, claim_theirs}

    # Reset link: weak password 422, unknown link 404, the portal page and its form.
    assert call("POST", f"/api/v1/auth/password-reset/{reset}", {"password": "1"})[0] == 422
    assert (
        call("POST", f"/api/v1/auth/password-reset/{BOGUS['reset']}", {"password": strong})[0]
        == 404
    )
    assert call("GET", f"/password-reset/{reset}")[0] == 200
    assert call("GET", f"/password-reset/{BOGUS['reset']}")[0] in (404, 410)
    assert call("POST", f"/password-reset/{reset}", form={"password1": "1", "password2": "1"})[
        0
    ] in (403, 422)  # 403: no CSRF cookie outside the test client
    assert call("GET", f"/password-reset/{BOGUS['foreign']}")[0] in (404, 410)

    # Invitation (claim) links: looked up, unknown, accepted, accepted too late (409).
    assert call("GET", f"/api/v1/invitations/{claim_theirs}")[0] == 200
    assert call("GET", f"/api/v1/invitations/{BOGUS['invitation']}")[0] == 404
    assert call("GET", f"/invitations/{claim_theirs}")[0] == 200
    assert call("GET", f"/invitations/{BOGUS['invitation']}")[0] == 404
    weak = {"first_name": "N", "last_name": "C", "password": "1"}
    assert call("POST", f"/api/v1/invitations/{claim_theirs}/accept", weak)[0] == 422
    assert call("POST", f"/api/v1/invitations/{claim_mine}/accept", token=BOGUS["user"])[0] == 401
    assert call("POST", f"/api/v1/invitations/{claim_mine}/accept", token=user_token)[0] == 200
    assert call("GET", f"/api/v1/invitations/{claim_mine}")[0] == 409  # used

    # Deletion link: without credentials 401, unknown 404, last administrator 409, the page.
    assert call("POST", f"/api/v1/me/deletion/{deletion}")[0] == 401
    assert call("POST", f"/api/v1/me/deletion/{BOGUS['deletion']}", token=user_token)[0] == 404
    status, body = call("POST", f"/api/v1/me/deletion/{deletion}", token=user_token)
    assert status == 409 and body["code"] == "last_administrator", body
    assert call("GET", f"/account/delete/{deletion}")[0] in (200, 302)

    # The other claim, finalised once the company has an administrator: 409
    # `company_has_administrator` by the contract (200 before that rule is in).
    good = {"first_name": "N", "last_name": "C", "password": strong}
    assert call("POST", f"/api/v1/invitations/{claim_theirs}/accept", good)[0] in (200, 409)

    # An unknown path and a query that carry tokens (404).
    assert call("GET", f"/api/v1/nothing/{user_token}")[0] == 404
    assert call("GET", f"/nothing/?token={BOGUS['foreign']}&next=/invitations/{reset}")[0] == 404

    # 429: the invitation and reset limits (lowered by the caller) run out.
    statuses = [call("GET", f"/api/v1/invitations/{claim_theirs}")[0] for _ in range(12)]
    assert 429 in statuses, statuses
    statuses = [
        call("POST", f"/api/v1/auth/password-reset/{reset}", {"password": "1"})[0]
        for _ in range(12)
    ]
    assert 429 in statuses, statuses
    return secrets


def _leaks(log: str, secrets: set) -> list[str]:
    return sorted(s for s in secrets if s in log)


# --- through Django's test client ---------------------------------------------------------------


def _handler(formatter: logging.Formatter) -> tuple[logging.Handler, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactFilter())
    return handler, stream


@pytest.mark.django_db
def test_no_secret_reaches_a_log_line_in_either_format(settings):
    settings.ILP_THROTTLE_INVITATION = "12/m"
    settings.ILP_THROTTLE_PASSWORD_RESET = "12/m"
    company = make_company(name="Claim GmbH")  # no administrator yet
    key = make_key(company, packs=[("WE", 5)])
    person = make_user("person@acme.test")
    browser = Client()

    def call(method, path, body=None, token=None, form=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if form is not None:
            response = browser.post(path, form, headers=headers)
        elif body is None:
            response = browser.generic(method, path, headers=headers)
        else:
            response = browser.generic(
                method, path, json.dumps(body), content_type="application/json", headers=headers
            )
        try:
            data = response.json()
        except ValueError:
            data = {}
        return response.status_code, data

    def mails():
        return list(OutboxMail.objects.values_list("to", "template", "body_text"))

    text, text_out = _handler(TextFormatter(TEXT_FORMAT))
    as_json, json_out = _handler(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(text)
    root.addHandler(as_json)
    root.setLevel(logging.INFO)
    try:
        secrets = journey(call, mails, person=person.email, gaid=company.gaid, key=key.key)
        # An application's own line and a traceback that name a token.
        try:
            raise ValueError(f"bad link /invitations/{BOGUS['foreign']}")
        except ValueError:
            logging.getLogger("ilp.test").exception(
                "failed for %s", BOGUS["reset"], extra={"path": f"/account/delete/{BOGUS['user']}"}
            )
    finally:
        root.removeHandler(text)
        root.removeHandler(as_json)
        root.setLevel(old_level)
    for log in (text_out.getvalue(), json_out.getvalue()):
        assert "Unprocessable Entity: /api/v1/auth/password-reset/[redacted]" in log
        assert "Too Many Requests" in log and "Conflict" in log and "Not Found" in log
        assert _leaks(log, secrets) == []
    entries = [json.loads(line) for line in json_out.getvalue().splitlines()]
    assert {e["logger"] for e in entries} >= {"django.request", "ilp.request", "ilp.test"}
    test_line = next(e for e in entries if e["logger"] == "ilp.test")
    assert test_line["path"] == "/account/delete/[redacted]"
    assert "ValueError: bad link /invitations/[redacted]" in test_line["exc_info"]


def test_the_configured_handler_redacts_in_both_formats():
    for fmt in ("text", "json"):
        config = logging_config(fmt=fmt)
        assert "redact" in config["handlers"]["console"]["filters"]
        assert config["filters"]["redact"] == {"()": "ilp.core.logs.RedactFilter"}
        # Django's own handlers (admins' mail, DEBUG console) are replaced by ours.
        assert config["loggers"]["django"]["handlers"] == []
    assert logging_config(fmt="text")["formatters"]["ilp"]["class"] == "ilp.core.logs.TextFormatter"


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (
            "Not Found: /api/v1/invitations/ilpi_x1Y2z3-_ab/accept",
            "/api/v1/invitations/[redacted]/accept",
        ),
        ("GET /password-reset/whatever-was-typed HTTP/1.1", "/password-reset/[redacted] HTTP/1.1"),
        ("/account/delete/abc", "/account/delete/[redacted]"),
        ("/api/v1/me/deletion/abc", "/api/v1/me/deletion/[redacted]"),
        ("Bearer ilpu_abcdefgh12", "Bearer [redacted]"),
        ("ums ilpm_abcdefgh12 ald ilpa_abcdefgh12", "ums [redacted] ald [redacted]"),
        ("staff ilps_abcdefgh12", "staff [redacted]"),
        ("token DT-7K3QX-AB12C-DEF34-GH5JK-MN6PQ done", "token [redacted] done"),
        (
            "/sso/callback?code=abc&state=xyz&lang=de",
            "/sso/callback?code=[redacted]&state=[redacted]&lang=de",
        ),
        ("/manage/invitations/12/withdraw/", "/manage/invitations/12/withdraw/"),
        ("pack WE-7K3QX of GAXXXXYYYY", "pack WE-7K3QX of GAXXXXYYYY"),
    ],
)
def test_redact_replaces_every_secret_shape_and_place(text, redacted):
    assert redacted in redact(text)


# --- through real `ilp serve` processes ---------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _shell(env: dict, code: str) -> str:
    done = subprocess.run(
        [ILP, "shell", "-c", code], env=env, check=True, capture_output=True, timeout=300
    )
    return done.stdout.decode()


def _wait_ready(port: int, proc) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server stopped"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("the server did not start")


_SETUP = """
import datetime
from ilp.accounts.models import Company, User
from ilp.licensing.models import SubscriptionKey
User.objects.create_user('person@acme.test', {password!r})
company = Company.objects.create(name='Claim GmbH', country='DE', gaid='GACLAIM0001')
SubscriptionKey.objects.create(
    key='SK-AAAA-BBBB-CCCC', company=company,
    expires_on=datetime.date.today() + datetime.timedelta(days=300),
)
"""

_MAILS = """
import json
from ilp.notifications.models import OutboxMail
print(json.dumps(list(OutboxMail.objects.values_list('to', 'template', 'body_text'))))
"""


def test_no_secret_reaches_the_logs_of_a_real_server(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL", "SECRET_KEY")
    }
    env.update(
        ILP_DATA_DIR=str(tmp_path),
        ILP_THROTTLE_INVITATION="24/m",
        ILP_THROTTLE_PASSWORD_RESET="20/m",
        DJANGO_SETTINGS_MODULE="ilp.settings",
        # gunicorn's own access log on as well (off in production: the request log replaces it)
        GUNICORN_CMD_ARGS="--access-logfile -",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    subprocess.run(
        [ILP, "migrate", "--no-input", "-v0"], env=env, check=True, capture_output=True, timeout=300
    )
    _shell(env, _SETUP.format(password=PASSWORD))
    ports = {"text": _free_port(), "json": _free_port()}
    procs, outputs = {}, {}
    try:
        for fmt, port in ports.items():
            outputs[fmt] = open(tmp_path / f"serve-{fmt}.log", "wb")  # noqa: SIM115
            procs[fmt] = subprocess.Popen(
                [ILP, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2"],
                env={**env, "ILP_LOG_FORMAT": fmt},
                stdout=outputs[fmt],
                stderr=subprocess.STDOUT,
            )
        for fmt, port in ports.items():
            _wait_ready(port, procs[fmt])

        def send(port, method, path, body, token, form):
            data, headers = None, {}
            if form is not None:
                data = "&".join(f"{k}={v}" for k, v in form.items()).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            elif body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            if token:
                headers["Authorization"] = f"Bearer {token}"
            # A page that loads its style sheet sends the link along as the referer.
            headers["Referer"] = f"http://127.0.0.1:{port}{path}"
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{path}", data=data, headers=headers, method=method
            )
            opener = urllib.request.build_opener(_NoRedirect)
            try:
                with opener.open(request, timeout=30) as response:
                    status, raw = response.status, response.read()
            except urllib.error.HTTPError as exc:
                status, raw = exc.code, exc.read()
            try:
                return status, json.loads(raw or b"{}")
            except ValueError:
                return status, {}

        def call(method, path, body=None, token=None, form=None):
            # A request that fails goes to both servers (it fails again alike), so each log
            # format sees every failure; one that changes something goes to the text server.
            first = send(ports["text"], method, path, body, token, form)
            if first[0] >= 400:
                second = send(ports["json"], method, path, body, token, form)
                if first[0] != 429 and second[0] != 429:
                    assert second[0] == first[0], (path, first, second)
            return first

        secrets = journey(
            call,
            lambda: json.loads(_shell(env, _MAILS).strip().splitlines()[-1]),
            person="person@acme.test",
            gaid="GACLAIM0001",
            key="SK-AAAA-BBBB-CCCC",
        )
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        for out in outputs.values():
            out.close()
    logs = {fmt: (tmp_path / f"serve-{fmt}.log").read_text() for fmt in ports}
    try:
        json_lines = [_json_or_none(line) for line in logs["json"].splitlines()]
        assert any(e and e.get("logger") == "django.request" for e in json_lines)
        assert any(e and e.get("logger") == "gunicorn.error" for e in json_lines)
        for fmt, log in logs.items():
            assert "Unprocessable Entity: /api/v1/auth/password-reset/[redacted]" in log, fmt
            # gunicorn's access log: the request line and the referer, redacted.
            assert '"POST /api/v1/auth/password-reset/[redacted] HTTP/1.1" 422' in log, fmt
            assert _leaks(log, secrets) == [], fmt
    except AssertionError:
        print(logs["text"][-6000:])
        raise
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)


def _json_or_none(line: str) -> dict | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None  # gunicorn's access log lines are text
    return entry if isinstance(entry, dict) else None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
