"""The plain apps of bench_issuance's single-device group: no framework, no Django, the same
gunicorn settings as `ilp serve` (issue 20). One WSGI callable, two routes:

- `GET /.well-known/jwks.json`: the JWKS document ILP serves, as bytes read once at start
  (ILP reads it from its database per request: that is part of ILP's figure).
- `POST /api/v1/ums/licenses` with one unit ID: the same work as ILP's single-device
  issuance, into the same tables of the same database. It looks the credential up by its
  digest; then, in one transaction, asks whether the device already holds a license (one
  index probe), picks the pack (assigned to this UMS, live, started, not expired, a free
  seat, most used first), signs the license (Ed25519 JWS, the same claims), inserts it,
  writes the audit event, and claims the seat with a conditional
  `UPDATE … SET seats_used = seats_used + 1 WHERE id = … AND seats_used < seats RETURNING`,
  last before COMMIT (a pack filled in between: the pick again). It answers like ILP
  (`{"results": [{"unit_id", "status", "license": {…}}]}`), 401 for an unknown credential.

It reads its settings from the JSON file named by ILP_PLAIN_CONFIG (bench_issuance writes
it): the database URL (PostgreSQL through psycopg, or a SQLite file), the signing key (PEM)
and its kid, the issuer, the lease and grace days, and the JWKS document. EULA checks,
demo licenses, batches and lease refreshes of held devices are not part of this path (a
device asked again answers `existing` without its document; the benchmark's packs need no
EULA and its devices are new). tests/test_benchmarks.py holds it to ILP's claims, rows,
audit event and seat count.
"""

import base64
import datetime
import hashlib
import json
import os
import secrets
import threading

from cryptography.hazmat.primitives.serialization import load_pem_private_key

CONFIG = json.loads(open(os.environ["ILP_PLAIN_CONFIG"]).read())  # noqa: SIM115
JWKS = json.dumps(CONFIG["jwks"]).encode()
KEY = load_pem_private_key(CONFIG["private_pem"].encode(), password=None)
POSTGRES = CONFIG["database_url"].startswith("postgres")
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

_local = threading.local()


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _canonical(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()  # as ILP signs


HEADER = _b64u(_canonical({"alg": "EdDSA", "kid": CONFIG["kid"], "typ": CONFIG["typ"]}))


def _sign(claims: dict) -> str:
    signing_input = f"{HEADER}.{_b64u(_canonical(claims))}"
    return f"{signing_input}.{_b64u(KEY.sign(signing_input.encode('ascii')))}"


def _connection():
    conn = getattr(_local, "conn", None)
    if conn is None:
        if POSTGRES:
            conn = psycopg.connect(CONFIG["database_url"])
        else:
            conn = sqlite3.connect(
                CONFIG["database_url"].removeprefix("sqlite:///"),  # sqlite:////abs/path
                timeout=30,
                isolation_level=None,
                check_same_thread=False,
            )
        _local.conn = conn
    return conn


def _sql(text: str) -> str:
    return text if POSTGRES else text.replace("%s", "?")


def _db_time(value: datetime.datetime):
    """Django's storage: aware on PostgreSQL, naive UTC text on SQLite."""
    if POSTGRES:
        return value
    return value.astimezone(datetime.UTC).replace(tzinfo=None).isoformat(" ")


def _json_time(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _epoch(value: datetime.datetime) -> int:
    return int(value.timestamp())


def _day_epoch(day: datetime.date) -> int:
    return int(datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC).timestamp())


def _as_date(value) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(value)


def _answer(start_response, status: str, body: dict, content_type="application/json"):
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(data)))])
    return [data]


CREDENTIAL = (
    "SELECT u.id, u.ums_id, u.company_id, c.gaid FROM rollout_umsinstance u"
    " JOIN accounts_company c ON c.id = u.company_id WHERE u.credential_hash = %s"
)
PRODUCT = "SELECT id FROM licensing_product WHERE sku = %s"
HELD = (
    "SELECT license_id FROM rollout_devicelicense WHERE company_id = %s AND product_id = %s"
    " AND unit_id = %s AND status = 'active'"
)
PICK = (
    "SELECT p.id, p.pack_id, p.expires_on, k.key FROM licensing_productpack p"
    " JOIN rollout_packassignment a ON a.pack_id = p.id"
    " JOIN licensing_subscriptionkey k ON k.id = p.subscription_key_id"
    " WHERE a.ums_id = %s AND p.product_id = %s AND p.state = 'live' AND p.starts_on <= %s"
    " AND (p.expires_on IS NULL OR p.expires_on > %s) AND p.seats_used < p.seats"
    " ORDER BY p.seats_used DESC, p.created_at, p.id LIMIT 1"
)
INSERT_LICENSE = (
    "INSERT INTO rollout_devicelicense (license_id, company_id, product_id, pack_id, ums_id,"
    " unit_id, status, issued_at, expires_on, token, ended_at, ald_key_id, document_signed_at,"
    " document_expires_at, listed_until)"
    " VALUES (%s, %s, %s, %s, %s, %s, 'active', %s, %s, %s, NULL, NULL, %s, %s, %s)"
)
INSERT_AUDIT = (
    "INSERT INTO audit_auditevent (created_at, company_id, actor_kind, actor_user_id,"
    " actor_label, action, object_type, object_id, before, after)"
    " VALUES (%s, %s, 'ums', NULL, %s, 'license.issued', 'device_license', %s, NULL, %s)"
)
CLAIM = (
    "UPDATE licensing_productpack SET seats_used = seats_used + 1"
    " WHERE id = %s AND seats_used < seats RETURNING seats_used"
)

_products: dict[str, int] = {}
if POSTGRES:
    import psycopg

    INTEGRITY_ERRORS: tuple = (psycopg.IntegrityError,)
else:
    import sqlite3

    INTEGRITY_ERRORS = (sqlite3.IntegrityError,)


def _issue(conn, ums, sku: str, unit_id: str) -> tuple[str, dict | None]:
    ums_pk, ums_id, company_id, gaid = ums
    cur = conn.cursor()
    if sku not in _products:
        row = cur.execute(_sql(PRODUCT), (sku,)).fetchone()
        if row is None:
            return "unknown_product", None
        _products[sku] = row[0]
    product_id = _products[sku]
    now = datetime.datetime.now(datetime.UTC)
    today = now.date()
    for _attempt in range(5):
        if not POSTGRES:
            cur.execute("BEGIN IMMEDIATE")
        held = cur.execute(_sql(HELD), (company_id, product_id, unit_id)).fetchone()
        if held is not None:
            conn.commit()
            return "existing", None
        pack = cur.execute(
            _sql(PICK), (ums_pk, product_id, today.isoformat(), today.isoformat())
        ).fetchone()
        if pack is None:
            conn.commit()
            return "no_free_seat", None
        pack_pk, pack_id, expires_on, key = pack
        expires_on = _as_date(expires_on)
        license_id = "LIC-" + "".join(CROCKFORD[b & 31] for b in secrets.token_bytes(12))
        lease_end = _epoch(now) + CONFIG["lease_days"] * 86400
        exp = lease_end if expires_on is None else min(lease_end, _day_epoch(expires_on))
        claims = {
            "jti": license_id,
            "sub": unit_id,
            "product": sku,
            "pack": pack_id,
            "subscription_key": key,
            "gaid": gaid,
            "iat": _epoch(now),
            "exp": exp,
            "entitled_until": _day_epoch(expires_on) if expires_on is not None else None,
            "lease": True,
            "grace_days": CONFIG["grace_days"],
            "iss": CONFIG["iss"],
        }
        token = _sign(claims)
        document_expires = datetime.datetime.fromtimestamp(exp, tz=datetime.UTC)
        listed_until = document_expires + datetime.timedelta(days=CONFIG["grace_days"])
        try:
            cur.execute(
                _sql(INSERT_LICENSE),
                (
                    license_id,
                    company_id,
                    product_id,
                    pack_pk,
                    ums_pk,
                    unit_id,
                    _db_time(now),
                    expires_on.isoformat() if expires_on is not None else None,
                    token,
                    _db_time(now),
                    _db_time(document_expires),
                    _db_time(listed_until),
                ),
            )
        except INTEGRITY_ERRORS:
            conn.rollback()  # a concurrent request licensed this device first: probe again
            continue
        after = json.dumps({"unit_id": unit_id, "pack": pack_id, "ums_id": ums_id})
        cur.execute(_sql(INSERT_AUDIT), (_db_time(now), company_id, ums_id, license_id, after))
        if cur.execute(_sql(CLAIM), (pack_pk,)).fetchone() is None:
            conn.rollback()  # the pack filled up in between: pick again
            continue
        conn.commit()
        return "issued", {
            "id": license_id,
            "unit_id": unit_id,
            "product": sku,
            "pack_id": pack_id,
            "expires_on": expires_on.isoformat() if expires_on is not None else None,
            "token": token,
            "status": "active",
            "ums_id": ums_id,
            "issued_at": _json_time(now),
            "lease_expires_at": _json_time(document_expires),
            "signed_at": _json_time(now),
            "demo": False,
        }
    return "no_free_seat", None


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/.well-known/jwks.json":
        start_response(
            "200 OK",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(JWKS))),
                ("Cache-Control", "public, max-age=300"),
            ],
        )
        return [JWKS]
    if path != "/api/v1/ums/licenses" or environ.get("REQUEST_METHOD") != "POST":
        return _answer(start_response, "404 Not Found", {"status": 404}, "application/problem+json")
    scheme, _sep, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    conn = _connection()
    ums = None
    if scheme.lower() == "bearer" and token.strip():
        digest = hashlib.sha256(token.strip().encode()).hexdigest()
        ums = conn.execute(_sql(CREDENTIAL), (digest,)).fetchone()
        if POSTGRES:
            conn.commit()  # end the read's transaction (psycopg opens one)
    if ums is None:
        return _answer(
            start_response, "401 Unauthorized", {"status": 401}, "application/problem+json"
        )
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        payload = json.loads(environ["wsgi.input"].read(length))
        sku, (unit_id,) = str(payload["product"]).upper(), payload["unit_ids"]
        unit_id = str(unit_id).strip().upper()
    except (ValueError, KeyError, TypeError):
        return _answer(
            start_response, "422 Unprocessable Entity", {"status": 422}, "application/problem+json"
        )
    try:
        status, license = _issue(conn, ums, sku, unit_id)
    except Exception:
        conn.rollback()
        raise
    if status == "unknown_product":
        return _answer(
            start_response, "422 Unprocessable Entity", {"status": 422}, "application/problem+json"
        )
    return _answer(
        start_response,
        "200 OK",
        {"results": [{"unit_id": unit_id, "status": status, "license": license}]},
    )
