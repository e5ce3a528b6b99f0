"""Issue 12's "done when": through two server processes the 21st wrong password for one
account in a minute gets 429. Two real `ilp serve` processes (one worker each, so which
process answers is certain) on one SQLite file and its database cache; the requests
alternate between them, so each process sees only half of the failures."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ILP = str(Path(sys.executable).with_name("ilp"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(port: int, body: dict) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/tokens",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, dict(r.headers), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read() or b"{}")


def _wait_ready(port: int, proc) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server stopped"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("the server did not start")


@pytest.fixture
def data_dir(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL", "SECRET_KEY")
    }
    env.update(ILP_DATA_DIR=str(tmp_path), ILP_THROTTLE_LOGIN="20/m", ILP_LOG_LEVEL="WARNING")
    run = {"env": env, "check": True, "capture_output": True, "timeout": 300}
    subprocess.run([ILP, "migrate", "--no-input", "-v0"], **run)
    subprocess.run(
        [
            ILP,
            "shell",
            "-c",
            "from ilp.accounts.models import User; "
            "User.objects.create_user('anna@acme.test', 'correct horse battery staple')",
        ],
        **run,
    )
    yield tmp_path, env
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_two_processes_count_together(data_dir):
    _path, env = data_dir
    ports = [_free_port(), _free_port()]
    procs = [
        subprocess.Popen(
            [ILP, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        for port, proc in zip(ports, procs, strict=True):
            _wait_ready(port, proc)
        wrong = {"email": "anna@acme.test", "password": "wrong password"}
        for n in range(20):
            status, _headers, body = _post(ports[n % 2], wrong)
            assert status == 401, (n, body)
        # The 21st, on either process, even with the right password (and differently cased).
        for port in ports:
            status, headers, body = _post(
                port, {"email": "ANNA@acme.test", "password": "correct horse battery staple"}
            )
            assert status == 429, body
            assert body["code"] == "throttled"
            assert 1 <= int(headers["Retry-After"]) <= 65
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:  # pragma: no cover
                proc.kill()
