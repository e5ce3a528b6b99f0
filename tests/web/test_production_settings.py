"""Production settings from the environment (issue 12): `check --deploy` is clean with an https
base URL, HSTS, SSL redirect, secure cookies, allowed hosts, the proxy header; the
Content-Security-Policy on pages; no template holds inline script, handler or style; the data
directory and its secrets are private from the start."""

import json
import os
import re
import runpy
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.test import Client

from tests.accounts.factories import make_user

SRC = Path(__file__).resolve().parents[2] / "src"
ILP = Path(sys.executable).with_name("ilp")
STRONG_SECRET = "k" * 10 + "-9f3Q0x7TzP2LmA8vWcR5yH1bN6jE4uG0sD" + "s" * 20


def _env(data_dir, **extra) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ILP_", "DJANGO_")) and key not in ("SECRET_KEY", "DATABASE_URL")
    }
    env.update(
        {
            "ILP_DATA_DIR": str(data_dir),
            "PYTHONPATH": str(SRC),
            "DJANGO_SETTINGS_MODULE": "ilp.settings",
        }
    )
    env.update(extra)
    return env


def _settings_of(data_dir, names, **extra) -> dict:
    """The named settings as settings.py computes them with `extra` as its environment (run
    apart from the settings of this test process)."""
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(_env(data_dir, **extra))
        computed = runpy.run_path(str(SRC / "ilp" / "settings.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return json.loads(json.dumps({n: computed.get(n) for n in names}, default=str))


def test_check_deploy_is_clean_with_an_https_base_url(tmp_path):
    done = subprocess.run(
        [str(ILP), "check", "--deploy", "--fail-level", "WARNING"],
        env=_env(
            tmp_path,
            ILP_BASE_URL="https://licenses.example.com",
            SECRET_KEY=STRONG_SECRET,
            EMAIL_URL="smtp://127.0.0.1:25",
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNING" not in output.upper().replace("FAIL-LEVEL", ""), output


def test_https_base_url_turns_on_hsts_redirect_and_secure_cookies(tmp_path):
    names = [
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "ALLOWED_HOSTS",
        "SECURE_PROXY_SSL_HEADER",
    ]
    https = _settings_of(tmp_path, names, ILP_BASE_URL="https://licenses.example.com:8443/")
    assert https["SECURE_SSL_REDIRECT"] is True
    assert https["SECURE_HSTS_SECONDS"] == 31_536_000
    assert https["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert https["SECURE_HSTS_PRELOAD"] is False
    assert https["SESSION_COOKIE_SECURE"] is True and https["CSRF_COOKIE_SECURE"] is True
    assert https["ALLOWED_HOSTS"] == ["licenses.example.com", "127.0.0.1", "localhost", "[::1]"]
    assert https["SECURE_PROXY_SSL_HEADER"] is None

    http = _settings_of(tmp_path, names, ILP_BASE_URL="http://127.0.0.1:8000")
    assert http["SECURE_SSL_REDIRECT"] is False and http["SECURE_HSTS_SECONDS"] == 0
    assert http["SESSION_COOKIE_SECURE"] is False and http["CSRF_COOKIE_SECURE"] is False
    assert http["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "[::1]", "testserver"]

    tuned = _settings_of(
        tmp_path,
        names,
        ILP_BASE_URL="https://licenses.example.com",
        ILP_ALLOWED_HOSTS="portal.example.com,licenses.example.com",
        ILP_HSTS_SECONDS="600",
        ILP_HSTS_INCLUDE_SUBDOMAINS="false",
        ILP_SSL_REDIRECT="false",
        ILP_PROXY_SSL_HEADER="true",
    )
    assert tuned["ALLOWED_HOSTS"] == ["portal.example.com", "licenses.example.com"]
    assert tuned["SECURE_HSTS_SECONDS"] == 600
    assert tuned["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert tuned["SECURE_SSL_REDIRECT"] is False
    assert tuned["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_an_unknown_host_is_refused(db):
    # Tests add "testserver" to ALLOWED_HOSTS (Django's test set-up); other hosts stay out.
    assert Client().get("/login/").status_code == 200
    assert Client(HTTP_HOST="localhost").get("/login/").status_code == 200
    assert Client(HTTP_HOST="evil.example.com").get("/login/").status_code == 400


def test_https_redirect_and_hsts_behind_a_proxy(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    plain = Client().get("/login/")
    assert plain.status_code == 301 and plain["Location"] == "https://testserver/login/"
    proxied = Client(HTTP_X_FORWARDED_PROTO="https").get("/login/")
    assert proxied.status_code == 200
    assert proxied["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    # A load balancer's plain-http probes are not redirected.
    for probe in ("/healthz", "/metrics", "/api/v1/healthz"):
        assert Client().get(probe).status_code != 301, probe


POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


def test_pages_api_and_admin_carry_the_strict_policy(db):
    client = Client()
    assert client.get("/login/")["Content-Security-Policy"] == POLICY
    assert client.get("/api/v1/openapi.json")["Content-Security-Policy"] == POLICY
    client.force_login(make_user("staff@vendor.test", is_staff=True, is_superuser=True))
    page = client.get("/admin/accounts/user/")
    assert page.status_code == 200 and page["Content-Security-Policy"] == POLICY


# Every page template (mails, under templates/mail/, are not pages: no browser applies the
# policy to them).
TEMPLATES = sorted(
    path
    for path in SRC.glob("ilp/*/templates/**/*.html")
    if "mail" not in path.relative_to(SRC).parts[3:4]
)
INLINE = [
    ("a <script> without src", re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)),
    ("a <style> block", re.compile(r"<style\b", re.I)),
    ("a style= attribute", re.compile(r"\sstyle\s*=", re.I)),
    ("an on…= handler", re.compile(r"\son[a-z]+\s*=", re.I)),
    ("an hx-on handler", re.compile(r"\shx-on[:\w-]*\s*=", re.I)),
    ("an htmx trigger filter (eval)", re.compile(r"hx-trigger\s*=\s*\"[^\"]*\[", re.I)),
    ("js: in hx-vals (eval)", re.compile(r"hx-vals\s*=\s*['\"]\s*(js|javascript):", re.I)),
    ("a javascript: URL", re.compile(r"javascript:", re.I)),
]


def test_templates_hold_no_inline_script_handler_or_style():
    """The rule for every page template (docs/architecture.md, "Pages and the CSP"): behaviour in
    web/static/ilp/ilp.js (data- attributes), looks in CSS files."""
    assert len(TEMPLATES) > 40
    found = []
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        for what, pattern in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(SRC)}:{line}: {what}")
    assert not found, "\n".join(found)


def test_the_template_rule_catches_each_kind():
    samples = {
        "a <script> without src": "<script>alert(1)</script>",
        "a <style> block": "<style>p{}</style>",
        "a style= attribute": '<p style="color:red">',
        "an on…= handler": '<select onchange="this.form.submit()">',
        "an hx-on handler": '<button hx-on:click="x()">',
        "an htmx trigger filter (eval)": "<div hx-trigger=\"change[target.name=='x']\">",
        "js: in hx-vals (eval)": "<div hx-vals='js:{a: 1}'>",
        "a javascript: URL": '<a href="javascript:void(0)">',
    }
    for what, pattern in INLINE:
        assert pattern.search(samples[what]), what
    assert not INLINE[0][1].search('<script src="/static/ilp/ilp.js" defer></script>')
    assert not INLINE[3][1].search('<input data-confirm="x" name="once">')


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_directory_and_secrets_are_private_from_the_start(tmp_path):
    data = tmp_path / "fresh"
    # With the usual umask 022; the modes are read while the database is open (its -wal and
    # -shm files exist only then).
    code = (
        "import os, json, stat, pathlib; os.umask(0o022); import django; django.setup(); "
        "from django.db import connection; "
        "connection.cursor().execute('CREATE TABLE t (x)'); "
        "connection.cursor().execute('INSERT INTO t VALUES (1)'); "
        "from ilp.rollout.signing import current_key; current_key(); "
        "root = pathlib.Path(os.environ['ILP_DATA_DIR']); "
        "print(json.dumps({str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode) "
        "for p in [root, *root.rglob('*')]}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=_env(data, ILP_SIGNING_KEY=""),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    modes = json.loads(done.stdout.strip().splitlines()[-1])
    assert modes["."] == 0o700
    assert modes["signing"] == 0o700
    for name in ("ilp.sqlite3", "ilp.sqlite3-wal", "ilp.sqlite3-shm", "secret_key", "totp_key"):
        assert modes[name] == 0o600, (name, oct(modes[name]))
    assert modes["signing/current.pem"] == 0o600


def test_the_totp_key_is_generated_once_or_taken_from_the_environment(tmp_path):
    names = ["ILP_TOTP_KEY", "ILP_TOTP_KEY_FALLBACKS"]
    generated = _settings_of(tmp_path, names)
    Fernet(generated["ILP_TOTP_KEY"])  # a Fernet key, not any random string
    assert generated["ILP_TOTP_KEY_FALLBACKS"] == []
    assert _mode(tmp_path / "totp_key") == 0o600
    assert _settings_of(tmp_path, names) == generated  # generated once, then read
    keys = [Fernet.generate_key().decode() for _ in range(3)]
    given = _settings_of(
        tmp_path, names, ILP_TOTP_KEY=keys[0], ILP_TOTP_KEY_FALLBACKS=f"{keys[1]},{keys[2]}"
    )
    assert given == {"ILP_TOTP_KEY": keys[0], "ILP_TOTP_KEY_FALLBACKS": keys[1:]}
    for wrong in ({"ILP_TOTP_KEY": "s" * 50}, {"ILP_TOTP_KEY_FALLBACKS": f"{keys[1]},oops"}):
        with pytest.raises(ValueError, match="must be a Fernet key") as raised:
            _settings_of(tmp_path, names, **wrong)
        assert "oops" not in str(raised.value) and "sss" not in str(raised.value)


def test_an_older_open_data_directory_is_tightened(tmp_path):
    data = tmp_path / "old"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    for name in ("ilp.sqlite3", "secret_key"):
        (data / name).write_text("" if name.endswith("3") else "s" * 60)
        (data / name).chmod(0o644)
    _settings_of(data, ["DEBUG"])
    assert _mode(data) == 0o700
    assert _mode(data / "ilp.sqlite3") == 0o600
    assert _mode(data / "secret_key") == 0o600


def test_deploy_check_warns_about_a_data_directory_open_to_others(tmp_path, settings):
    from ilp.core.checks import data_dir_private

    settings.DATA_DIR = tmp_path
    (tmp_path / "signing").mkdir(mode=0o700)
    (tmp_path / "signing" / "current.pem").write_text("k")
    (tmp_path / "secret_key").write_text("s")
    for path in (tmp_path, tmp_path / "signing" / "current.pem", tmp_path / "secret_key"):
        path.chmod(0o600 if path.is_file() else 0o700)
    assert data_dir_private(None) == []
    tmp_path.chmod(0o755)
    (tmp_path / "signing" / "current.pem").chmod(0o644)
    warned = data_dir_private(None)
    assert [w.id for w in warned] == ["ilp.W001", "ilp.W001"]
    assert str(tmp_path / "signing" / "current.pem") in warned[1].msg
