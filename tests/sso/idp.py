"""The local OpenID provider of the tests: node's oidc-provider (tests/idp/server.js) on a
free port, with test clients and a signing key the tests know (to craft tokens that the
provider's JWKS vouches for). `npm ci` runs first when tests/idp/node_modules is missing."""

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

from joserfc.jwk import RSAKey

IDP_DIR = Path(__file__).resolve().parent.parent / "idp"
ROLE_CLAIM = "ilp_role"


def npm_ready() -> None:
    if (IDP_DIR / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed for the test identity provider (tests/idp)")
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"], cwd=IDP_DIR, check=True, capture_output=True
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TestIdp:
    """A running oidc-provider. `clients` as oidc-provider takes them."""

    __test__ = False

    def __init__(self, clients: list[dict]):
        npm_ready()
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig"})
        env = {
            **os.environ,
            "IDP_PORT": str(self.port),
            "IDP_CLIENTS": json.dumps(clients),
            "IDP_JWKS": json.dumps({"keys": [self.key.as_dict(private=True)]}),
            "IDP_ROLE_CLAIM": ROLE_CLAIM,
            "NODE_ENV": "test",
        }
        self.process = subprocess.Popen(
            ["node", "server.js"],
            cwd=IDP_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        lines: list[str] = []
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                if self.process.poll() is not None:
                    break
                continue
            lines.append(line)
            if line.startswith("READY"):
                # Keep reading its output, so that the pipe never fills.
                threading.Thread(target=self.process.stdout.read, daemon=True).start()
                return
        self.stop()
        raise RuntimeError("the test identity provider did not start:\n" + "".join(lines))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
