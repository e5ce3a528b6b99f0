"""`ilp verify-license TOKEN-or-FILE [--jwks URL-or-FILE] [--revocations FILE-or-URL]`:
check a license offline.

Exit 0 when the signature is good and the license is not expired beyond its grace days (and,
with `--revocations`, not on the signed revocation list, which must not be past its `exp`:
"revocation list expired"); 1 otherwise. Also accepts a UMS
license file (every license inside is checked too, against `--revocations` if given, else
against the revocation list the file carries). The revocation list may be the JWS itself,
the JSON answer of `GET /ums/revocations` (`{"token": …}`) or a license file.
"""

import datetime
import json
import sys
import urllib.request
from pathlib import Path

from django.core.management.base import BaseCommand

from ilp.rollout import signing


def _read_jwks(source: str | None) -> dict:
    if not source:
        return signing.jwks()  # the local one, straight from the database
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=10) as response:  # noqa: S310
            return json.loads(response.read())
    return json.loads(Path(source).read_text())


def _read_revocations(source: str) -> str:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=10) as response:  # noqa: S310
            text = response.read().decode()
    else:
        text = _read_token(source)
    text = text.strip()
    if text.startswith("{"):
        text = str(json.loads(text).get("token", ""))
    return text


def _read_token(arg: str) -> str:
    if arg == "-":
        return sys.stdin.read().strip()
    try:
        path = Path(arg)
        if path.is_file():
            return path.read_text().strip()
    except OSError:  # a token is too long to be a file name
        pass
    return arg.strip()


class Command(BaseCommand):
    help = "Verify a license document (or a UMS license file) offline against a JWKS."

    def add_arguments(self, parser):
        parser.add_argument("token", help="the JWS itself, a file holding it, or - for stdin")
        parser.add_argument("--jwks", help="JWKS URL or file (default: this portal's keys)")
        parser.add_argument(
            "--revocations",
            help="signed revocation list (JWS, GET /ums/revocations JSON or a license file): "
            "a license listed there fails",
        )

    def _fail(self, message: str) -> None:
        self.stderr.write(f"INVALID: {message}")
        sys.exit(1)

    def handle(self, *args, **options):
        try:
            keyset = _read_jwks(options.get("jwks"))
        except (OSError, ValueError) as exc:
            self._fail(f"cannot read the JWKS: {exc}")
        token = _read_token(options["token"])
        now = datetime.datetime.now(datetime.UTC)
        try:
            header, claims = signing.jws_verify(token, keyset)
        except signing.VerificationError as exc:
            self._fail(str(exc))
        revoked = self._revoked(options.get("revocations"), keyset, now)
        if header.get("typ") == signing.LICENSE_FILE_TYP:
            if revoked is None and claims.get("revocations"):
                # The list a file carries is as old as the file, and every license in the
                # file was active when both were signed: its `exp` is not the file's lease.
                revoked = self._revoked_from(claims["revocations"], keyset, None)
            self._license_file(claims, keyset, now, revoked or {})
            return
        if header.get("typ") != signing.LICENSE_TYP:
            self._fail(f"not an ILP license (typ {header.get('typ')!r})")
        valid, reason = signing.license_time_state(claims, now)
        self.stdout.write(json.dumps(claims, indent=2, sort_keys=True))
        if not valid:
            self._fail(reason)
        if revoked is not None:
            listed = self._listed(claims, revoked)
            if listed:
                self._fail(listed)
        self.stdout.write(f"VALID ({reason}), key {header['kid']}")

    def _revoked(self, source: str | None, keyset: dict, now) -> dict | None:
        """The revocation list's claims (`gaid`, `revoked` as a set), or None without one. A
        list past its `exp` fails ("revocation list expired")."""
        if not source:
            return None
        try:
            token = _read_revocations(source)
        except (OSError, ValueError) as exc:
            self._fail(f"cannot read the revocation list: {exc}")
        return self._revoked_from(token, keyset, now)

    def _revoked_from(self, token: str, keyset: dict, now) -> dict:
        try:
            claims = signing.revocations_verify(token, keyset, now=now)
        except signing.VerificationError as exc:
            self._fail(f"revocation list: {exc}")
        return {"gaid": claims.get("gaid"), "revoked": set(claims["revoked"])}

    @staticmethod
    def _listed(claims: dict, revoked: dict) -> str | None:
        """Why a license fails against the revocation list, or None when it passes."""
        if not revoked:
            return None
        if revoked["gaid"] != claims.get("gaid"):
            return f"the revocation list is of company {revoked['gaid']}, not {claims.get('gaid')}"
        if claims.get("jti") in revoked["revoked"]:
            return "revoked: the license was returned or revoked"
        return None

    def _license_file(self, claims: dict, keyset: dict, now, revoked: dict) -> None:
        bad = 0
        self.stdout.write(
            f"license file of {claims.get('ums_id')} ({claims.get('gaid')}): "
            f"{len(claims.get('product_packs', []))} packs, "
            f"{len(claims.get('licenses', []))} licenses"
        )
        for item in claims.get("licenses", []):
            try:
                _header, inner = signing.jws_verify(item.get("token", ""), keyset)
                valid, reason = signing.license_time_state(inner, now)
                listed = self._listed(inner, revoked)
                if valid and listed:
                    valid, reason = False, listed
            except signing.VerificationError as exc:
                valid, reason = False, str(exc)
            bad += not valid
            self.stdout.write(f"  {item.get('id')} {item.get('unit_id')}: {reason}")
        if bad:
            self._fail(f"{bad} licenses in the file are not valid")
        self.stdout.write("VALID license file")
