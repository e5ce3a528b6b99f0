"""The plain apps of bench_issuance (issue 20): no framework, no Django, psycopg. One WSGI
callable, three routes (the single-device group serves it under the same gunicorn settings as
`ilp serve`; the orders group calls it in-process, as its ILP side goes through Django's test
client):

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
- `POST /api/v1/orders` with a staff token: a new order of a new company with its contact,
  the same rows ILP's order writes (see "order intake" below).

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
import re
import secrets
import threading
import unicodedata

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
    if path == "/api/v1/orders" and environ.get("REQUEST_METHOD") == "POST":
        return orders_application(environ, start_response)
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


# --- order intake: `POST /api/v1/orders` (bench_issuance's orders group) -------------------
#
# The same work as ILP's order of a new company with a contact (kind "new", no subscription
# key named, the contact unknown): the staff token by its digest; then one transaction that
# probes the order number, reads the vendor EULA in force, and inserts the company, the
# subscription key, the order (its stored answer already in it), its items, the packs, the
# user (an unusable password), the administrator membership, the invitation (its token
# hashed), the registration mail in the outbox (its text rendered), the four audit events
# (one multi-row insert); COMMIT (the worker polls the outbox: no task row per mail).
# Products are read once per process (reference data). Other order shapes (renewals,
# add-ons, a known company or contact, replays with another body) are not part of this
# path: 422.

STAFF = "SELECT name FROM accounts_stafftoken WHERE revoked_at IS NULL AND token_hash = %s"
ORDER_FIND = "SELECT result FROM licensing_order WHERE order_number = %s"
PRODUCTS = "SELECT sku, id, pack_prefix FROM licensing_product"
VENDOR_EULA = (
    "SELECT v.eula_id FROM licensing_eulaversion v JOIN licensing_eula e ON e.id = v.eula_id"
    " WHERE e.kind = 'vendor' AND v.published_on <= %s LIMIT 1"
)
USER_FIND = "SELECT id FROM accounts_user WHERE email = %s LIMIT 1"
MAIL_TEXT = """Hello {first_name},

Order {order_number} names you as the contact person of {company} (GAID {gaid}). You are now \
the administrator of this company account on the license portal, where its licenses are kept.

Open this link to finalise your registration (your name and a password):
{base_url}/invitations/{token}

The link can be used once and is valid until {until} UTC.
"""

_order_products: dict[str, tuple[int, str]] = {}


def _search_text(value: str) -> str:
    """The name as the back office searches it: accents dropped, case folded, runs of other
    characters one space (ILP's core.text.search_text, restated plainly)."""
    bare = "".join(
        c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c)
    ).casefold()
    return re.sub(r"[\W_]+", " ", bare).strip()


def _crockford(n: int) -> str:
    return "".join(CROCKFORD[b & 31] for b in secrets.token_bytes(n))


def _months_later(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=d)
        except ValueError:
            continue
    raise ValueError(day)


def _insert(cur, table: str, columns: list[str], rows: list[tuple], returning: bool = True):
    marks = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
    sql = f"INSERT INTO {table} ({', '.join(f'"{c}"' for c in columns)}) VALUES {marks}"
    params = [v for row in rows for v in row]
    if not returning:
        cur.execute(_sql(sql), params)
        return None
    return [r[0] for r in cur.execute(_sql(sql + " RETURNING id"), params).fetchall()]


def _order(conn, staff_name: str, body: dict) -> tuple[int, dict]:
    """One new order of a new company with its contact, in one transaction."""
    number = str(body["order_number"]).strip()
    customer, contact = body["end_customer"], body["contact"]
    if not number or body.get("kind") != "new" or body.get("subscription_key") or not contact:
        return 422, {"status": 422}
    items = [
        (str(i["product"]).upper(), int(i["seats"]), int(i["term_months"])) for i in body["items"]
    ]
    email = str(contact["email"]).strip().lower()
    cur = conn.cursor()
    if not _order_products:
        for sku, pk, prefix in cur.execute(PRODUCTS).fetchall():
            _order_products[sku] = (pk, prefix)
    if not items or any(sku not in _order_products or seats < 1 for sku, seats, _t in items):
        return 422, {"status": 422}
    now = datetime.datetime.now(datetime.UTC)
    today = now.date()
    actor = f"staff:{staff_name}"
    request_hash = hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).hexdigest()
    if not POSTGRES:
        cur.execute("BEGIN IMMEDIATE")
    stored = cur.execute(_sql(ORDER_FIND), (number,)).fetchone()
    if stored is not None:
        conn.commit()
        result = stored[0]
        return 200, result if isinstance(result, dict) else json.loads(result)
    if cur.execute(_sql(USER_FIND), (email,)).fetchone() is not None:
        conn.rollback()
        return 422, {"status": 422}  # a known contact: not this path
    eula = cur.execute(_sql(VENDOR_EULA), (today.isoformat(),)).fetchone()
    gaid = f"GA{_crockford(8)}"
    (company_id,) = _insert(
        cur,
        "accounts_company",
        ["gaid", "customer_number", "name", "street", "postal_code", "city", "country"]
        + ["require_2fa", "created_at", "name_search"],
        [(gaid, None, customer["name"], "", "", customer.get("city", ""), customer["country"])
         + (False, _db_time(now), _search_text(customer["name"])[:200])],
    )  # fmt: skip
    expires_on = max(_months_later(today, term) for _sku, _seats, term in items)
    key = f"SK-{_crockford(4)}-{_crockford(4)}-{_crockford(4)}"
    (key_id,) = _insert(
        cur,
        "licensing_subscriptionkey",
        ["key", "company_id", "expires_on", "created_at"],
        [(key, company_id, expires_on.isoformat(), _db_time(now))],
    )
    packs = [
        (f"{_order_products[sku][1]}-{_crockford(5)}", sku, seats, _months_later(today, term))
        for sku, seats, term in items
    ]
    packs_out = [
        {"id": pack_id, "product": sku, "subscription_key": key, "seats": seats,
         "seats_used": 0, "starts_on": today.isoformat(), "expires_on": ends.isoformat(),
         "status": "active", "comment": "", "ums_id": None, "merged_into": None,
         "eula_accepted": False}
        for pack_id, sku, seats, ends in packs
    ]  # fmt: skip
    result = {
        "order_number": number, "kind": "new", "gaid": gaid, "company_created": True,
        "subscription_key": key, "status": "fulfilled", "product_packs": packs_out,
        "contact_outcome": "administrator_created", "eula_accepted": False,
        "eula_version": None, "eula_accepted_at": None, "eula_accepted_by": None,
    }  # fmt: skip
    (order_id,) = _insert(
        cur,
        "licensing_order",
        ["order_number", "kind", "invoice_date", "company_id", "subscription_key_id", "contact"]
        + ["company_created", "contact_outcome", "status", "request_hash", "result"]
        + ["created_at", "eula_id", "eula_version_id", "eula_accepted_at", "eula_accepted_by"],
        [(number, "new", body["invoice_date"], company_id, key_id, json.dumps(contact), True)
         + ("administrator_created", "fulfilled", request_hash, json.dumps(result))
         + (_db_time(now), eula[0] if eula else None, None, None, "")],
    )  # fmt: skip
    _insert(
        cur,
        "licensing_orderitem",
        ["order_id", "product_id", "seats", "term_months"],
        [(order_id, _order_products[sku][0], seats, term) for sku, seats, term in items],
    )
    _insert(
        cur,
        "licensing_productpack",
        ["pack_id", "subscription_key_id", "company_id", "product_id", "seats", "seats_used"]
        + ["starts_on", "expires_on", "state", "merged_into_id", "comment", "order_id"]
        + ["split_from_id", "created_at", "third_party_eula_id", "third_party_eula_version_id"]
        + ["third_party_eula_accepted_at", "third_party_eula_accepted_by", "assigned_to"],
        [(pack_id, key_id, company_id, _order_products[sku][0], seats, 0, today.isoformat())
         + (ends.isoformat(), "live", None, "", order_id, None, _db_time(now), None, None)
         + (None, "", None)
         for pack_id, sku, seats, ends in packs],
    )  # fmt: skip
    (user_id,) = _insert(
        cur,
        "accounts_user",
        ["password", "last_login", "is_superuser", "email", "first_name", "last_name"]
        + ["is_active", "is_staff", "default_company_id", "language", "time_zone", "date_joined"],
        [("!" + secrets.token_urlsafe(30)[:40], None, False, email, contact.get("first_name", ""))
         + (contact.get("last_name", ""), True, False, company_id, "", "", _db_time(now))],
    )  # fmt: skip
    _insert(
        cur,
        "accounts_membership",
        ["user_id", "company_id", "role", "notify", "notify_new_key", "created_at"],
        [(user_id, company_id, "administrator", False, False, _db_time(now))],
    )
    token = f"ilpi_{secrets.token_urlsafe(32)}"
    until = now + datetime.timedelta(days=CONFIG["invitation_days"])
    (invitation_id,) = _insert(
        cur,
        "accounts_invitation",
        ["company_id", "email", "role", "token_hash", "invited_by_id", "created_at"]
        + ["expires_at", "accepted_at", "accepted_by_id", "withdrawn_at", "is_claim"],
        [(company_id, email, "administrator", hashlib.sha256(token.encode()).hexdigest())
         + (None, _db_time(now), _db_time(until), None, None, None, False)],
    )  # fmt: skip
    text = MAIL_TEXT.format(
        first_name=contact.get("first_name", ""), order_number=number, company=customer["name"],
        gaid=gaid, base_url=CONFIG["base_url"], token=token,
        until=until.strftime("%Y-%m-%d %H:%M"),
    )  # fmt: skip
    _insert(
        cur,
        "notifications_outboxmail",
        ["to", "subject", "body_text", "body_html", "template", "status", "attempts"]
        + ["next_attempt_at", "last_error", "created_at", "sent_at", "dedup_key"],
        [(email, f"Finalise your registration as administrator of {customer['name']}", text)
         + ("", "registration_finalise", "pending", 0, _db_time(now), "", _db_time(now))
         + (None, None)],
        returning=False,
    )  # fmt: skip
    events = [
        ("company.created", "company", gaid,
         {"name": customer["name"], "customer_number": None}),
        ("member.added", "membership", email,
         {"role": "administrator", "order_number": number, "pending": True}),
        ("invitation.created", "invitation", str(invitation_id),
         {"email": email, "role": "administrator", "replaced": []}),
        ("order.received", "order", number,
         {"kind": "new", "add_on": False, "eula_pending": eula is not None,
          "subscription_key": key, "status": "fulfilled", "company_created": True,
          "product_packs": [{"id": p[0], "seats": p[2]} for p in packs],
          "contact_outcome": "administrator_created"}),
    ]  # fmt: skip
    _insert(
        cur,
        "audit_auditevent",
        ["created_at", "company_id", "actor_kind", "actor_user_id", "actor_label", "action"]
        + ["object_type", "object_id", "before", "after"],
        [(_db_time(now), company_id, "staff", None, actor, action, kind, oid, None)
         + (json.dumps(after),)
         for action, kind, oid, after in events],
    )  # fmt: skip
    conn.commit()
    return 201, result


def orders_application(environ, start_response):
    """`POST /api/v1/orders` with a staff token (served under `application` too)."""
    scheme, _sep, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    conn = _connection()
    staff = None
    if scheme.lower() == "bearer" and token.strip():
        digest = hashlib.sha256(token.strip().encode()).hexdigest()
        staff = conn.execute(_sql(STAFF), (digest,)).fetchone()
        if POSTGRES:
            conn.commit()
    if staff is None:
        return _answer(
            start_response, "401 Unauthorized", {"status": 401}, "application/problem+json"
        )
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length))
        for _attempt in range(5):
            try:
                status, answer = _order(conn, staff[0], body)
                break
            except Exception as exc:
                # A random GAID, key or pack ID already taken (25 bits for a pack ID: it
                # happens within a benchmark's thousands of packs): draw them all again.
                if type(exc).__name__ not in ("UniqueViolation", "IntegrityError"):
                    raise
                conn.rollback()
                if "order_number" in str(exc):
                    raise
    except (ValueError, KeyError, TypeError, AttributeError):
        conn.rollback()
        status, answer = 422, {"status": 422}
    except Exception:
        conn.rollback()
        raise
    reason = {201: "201 Created", 200: "200 OK", 422: "422 Unprocessable Entity"}[status]
    kind = "application/json" if status < 300 else "application/problem+json"
    return _answer(start_response, reason, answer, kind)
