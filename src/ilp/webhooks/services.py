"""Webhooks: events written with the change that causes them, delivered by the worker.

Emitting (licensing, rollout and accounts call these downward, inside their transaction):
`event_emit(company_id=, type=, data=)` and `events_emit(..., data=)` (one event per item,
written in one bulk insert). `data` is a callable: it runs only when an enabled endpoint of
the company (or, for `order.*`, a vendor endpoint) subscribes to the type, so an event costs
one indexed read when nobody listens.

Delivering (`ilp worker`, `deliveries_send_due`): a worker claims due deliveries (row locks
with SKIP LOCKED on PostgreSQL, and a conditional UPDATE that only one claim can win) for
`ILP_WEBHOOK_LEASE_SECONDS`; a worker killed meanwhile loses its claim when the lease ends
and another worker sends the delivery again. Delivery is therefore at least once: the
receiver dedupes on `webhook-id`.
"""

import base64
import datetime
import hashlib
import hmac
import http.client
import json
import logging
import secrets
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.bulk import rows_insert
from ilp.core.errors import Invalid
from ilp.core.ids import crockford
from ilp.core.outbound import (
    OutboundHostUnresolved,
    OutboundUrlNotAllowed,
    pinned_request,
    url_check,
)
from ilp.core.prepared import Prepared
from ilp.notifications.services import mail_enqueue

from .audit_actions import AuditAction
from .errors import WebhookError
from .events import EVENT_TYPES, TEST, VENDOR_EVENT_TYPES
from .models import WebhookDelivery, WebhookEndpoint

logger = logging.getLogger("ilp.webhooks")

# After the first attempt failed, the next ones wait this long (API.md); then `failed`.
RETRY_SCHEDULE = (
    datetime.timedelta(seconds=5),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
    datetime.timedelta(hours=5),
    datetime.timedelta(hours=10),
    datetime.timedelta(hours=10),
)
TIMEOUT_SECONDS = 10.0
DISABLE_AFTER = datetime.timedelta(days=5)  # failing this long: the endpoint is disabled
PREVIOUS_SECRET_VALID = datetime.timedelta(hours=24)
MAX_ENDPOINTS = 20  # per company (and for the vendor)
USER_AGENT = "ILP-Webhooks/1"


# --- secrets and signatures ------------------------------------------------------------------


def secret_new() -> str:
    """`whsec_` and the base64 of 32 random bytes (the Standard Webhooks secret format)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(secret: str, *, message_id: str, timestamp: int, body: str) -> str:
    """`v1,<base64 HMAC-SHA256 of "id.timestamp.body">` under the secret's base64 part."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.{body}".encode()
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signatures(endpoint: WebhookEndpoint, *, message_id: str, timestamp: int, body: str) -> str:
    """The `webhook-signature` header: the current secret's signature and, for 24 h after a
    rotation, the previous secret's, separated by a space."""
    keys = [endpoint.secret]
    until = endpoint.previous_secret_until
    if endpoint.previous_secret and until is not None and until > timezone.now():
        keys.append(endpoint.previous_secret)
    return " ".join(
        signature(k, message_id=message_id, timestamp=timestamp, body=body) for k in keys
    )


def _message_id() -> str:
    return "msg_" + crockford(26)


# --- emitting --------------------------------------------------------------------------------


class _TransactionMark:
    """A no-op on-commit callback whose presence in the connection's list says that the
    transaction which registered it is still open (commit and rollback empty the list)."""

    def __call__(self):
        pass


def _endpoints_of(company_id: int | None) -> list[tuple[int, list[str], bool]]:
    """(pk, events, is vendor) of the enabled endpoints of the company and of the vendor,
    read once per transaction: an order that adds a member, delivers an order and creates
    packs asks once (one indexed read), however many events it writes. Endpoint changes in
    the same transaction forget what was read (`_endpoints_forget`)."""
    conn = transaction.get_connection()
    cache = getattr(conn, "_ilp_webhook_endpoints", None)
    if conn.in_atomic_block:
        if cache is None or not any(f is cache[0] for _s, f, _r in conn.run_on_commit):
            cache = (_TransactionMark(), {})
            transaction.on_commit(cache[0])
            conn._ilp_webhook_endpoints = cache
    else:
        cache = (None, {})
    known = cache[1]
    if company_id not in known:
        rows = (
            _VENDOR_ENDPOINTS.rows()
            if company_id is None
            else _ENDPOINTS.rows(company_id=company_id)
        )
        known[company_id] = [(pk, events, owner is None) for pk, events, owner in rows]
    return known[company_id]


# Prepared once per process (core.prepared): every change that may emit asks this.
_ENDPOINTS = Prepared(
    lambda *, company_id: (
        WebhookEndpoint.objects.filter(
            Q(company_id__isnull=True) | Q(company_id=company_id), enabled=True
        )
        .order_by()
        .values_list("pk", "events", "company_id")
    ),
    company_id=int,
)
_VENDOR_ENDPOINTS = Prepared(
    lambda: (
        WebhookEndpoint.objects.filter(company_id__isnull=True, enabled=True)
        .order_by()
        .values_list("pk", "events", "company_id")
    )
)


def _endpoints_forget() -> None:
    transaction.get_connection()._ilp_webhook_endpoints = None


def subscribed_endpoint_ids(*, company_id: int | None, type: str) -> list[int]:
    """The enabled endpoints that receive `type` events of this company (vendor endpoints:
    `order.*` of every company)."""
    vendor_type = type in VENDOR_EVENT_TYPES
    return [
        pk
        for pk, events, vendor in _endpoints_of(company_id)
        if type in events and (vendor_type or not vendor)
    ]


def event_body(type: str, data: dict, *, at: datetime.datetime | None = None) -> str:
    """The JSON body `{"type", "timestamp", "data"}` exactly as it is signed and sent."""
    at = at or timezone.now()
    return json.dumps(
        {
            "type": type,
            "timestamp": at.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z"),
            "data": data,
        },
        cls=DjangoJSONEncoder,
        separators=(",", ":"),
        ensure_ascii=False,
    )


_FIELDS = (
    "message_id",
    "endpoint_id",
    "event_type",
    "body",
    "status",
    "attempts",
    "last_error",
    "created_at",
    "next_attempt_at",
    "claimed_by",
)


def _deliveries_write(endpoint_ids: list[int], type: str, items: Iterable[dict]) -> int:
    now = timezone.now()
    rows = [
        (
            _message_id(),
            endpoint_id,
            type,
            body,
            WebhookDelivery.Status.PENDING,
            0,
            "",
            now,
            now,
            "",
        )
        for body in (event_body(type, item, at=now) for item in items)
        for endpoint_id in endpoint_ids
    ]
    rows_insert(WebhookDelivery, _FIELDS, rows)
    return len(rows)


def events_emit(*, company_id: int | None, type: str, data: Callable[[], Iterable[dict]]) -> int:
    """Write one event per item `data()` returns, for every endpoint subscribed to `type`;
    call it inside the transaction of the change. `data` runs only when someone subscribes.
    Returns how many deliveries were written."""
    if type not in EVENT_TYPES:  # a programming error, not a request's
        raise ValueError(f"unknown webhook event type {type!r}")
    endpoint_ids = subscribed_endpoint_ids(company_id=company_id, type=type)
    if not endpoint_ids:
        return 0
    return _deliveries_write(endpoint_ids, type, data())


def event_emit(*, company_id: int | None, type: str, data: Callable[[], dict]) -> int:
    """`events_emit` for a single event."""
    return events_emit(company_id=company_id, type=type, data=lambda: [data()])


# --- endpoints -------------------------------------------------------------------------------


def _url_checked(url: str) -> str:
    url = (url or "").strip()
    try:
        url_check(url)
    except OutboundHostUnresolved:
        # Nothing to connect to yet (a name not in DNS yet, a resolver away): no risk in
        # storing it, and every delivery checks the name again before it connects.
        pass
    except OutboundUrlNotAllowed as exc:
        raise Invalid(
            _("This URL is not allowed for webhooks: %(reason)s.") % {"reason": exc.reason},
            code=WebhookError.URL_NOT_ALLOWED,
            errors=[{"loc": ["body", "url"], "msg": exc.reason}],
        ) from None
    return url


def _events_checked(events: Iterable[str], *, vendor: bool) -> list[str]:
    allowed = VENDOR_EVENT_TYPES if vendor else tuple(EVENT_TYPES)
    chosen = list(dict.fromkeys(events or []))
    wrong = [e for e in chosen if e not in allowed]
    if not chosen or wrong:
        raise Invalid(
            _("Choose at least one event type, each of: %(types)s.")
            % {"types": ", ".join(allowed)},
            code=WebhookError.INVALID_EVENTS,
            errors=[{"loc": ["body", "events"], "msg": f"unknown: {', '.join(wrong)}"}],
        )
    return chosen


def _audit(actor: Actor, action: str, endpoint: WebhookEndpoint, **after) -> None:
    event_record(
        actor=actor,
        action=action,
        obj_type="webhook",
        obj_id=endpoint.endpoint_id,
        company=endpoint.company,
        after=after or None,
    )


@transaction.atomic
def endpoint_create(
    *, actor: Actor, company, url: str, events: Iterable[str], description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint of `company` (None: a vendor endpoint) and its secret, in clear once."""
    _endpoints_forget()
    vendor = company is None
    url = _url_checked(url)
    events = _events_checked(events, vendor=vendor)
    owner = Q(company__isnull=True) if vendor else Q(company=company)
    if WebhookEndpoint.objects.filter(owner).count() >= MAX_ENDPOINTS:
        raise Invalid(
            _("At most %(max)d webhook endpoints.") % {"max": MAX_ENDPOINTS},
            code=WebhookError.TOO_MANY_ENDPOINTS,
        )
    secret = secret_new()
    endpoint = WebhookEndpoint.objects.create(
        endpoint_id="we_" + crockford(16),
        company=company,
        url=url,
        description=(description or "").strip()[:200],
        events=events,
        secret=secret,
    )
    _audit(actor, AuditAction.WEBHOOK_CREATED, endpoint, url=url, events=events)
    return endpoint, secret


@transaction.atomic
def endpoint_update(
    *,
    actor: Actor,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events: Iterable[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    """Change what is given; enabling again forgets the failing streak."""
    _endpoints_forget()
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    changed: dict = {}
    if url is not None:
        endpoint.url = changed["url"] = _url_checked(url)
    if events is not None:
        endpoint.events = changed["events"] = _events_checked(events, vendor=endpoint.is_vendor)
    if description is not None:
        endpoint.description = description.strip()[:200]
        changed["description"] = endpoint.description
    if enabled is not None and enabled != endpoint.enabled:
        endpoint.enabled = changed["enabled"] = enabled
        endpoint.failing_since = None
        endpoint.disabled_reason = ""
    endpoint.updated_at = timezone.now()
    endpoint.save()
    if changed:
        _audit(actor, AuditAction.WEBHOOK_UPDATED, endpoint, **changed)
    return endpoint


@transaction.atomic
def endpoint_delete(*, actor: Actor, endpoint: WebhookEndpoint) -> None:
    _endpoints_forget()
    _audit(actor, AuditAction.WEBHOOK_DELETED, endpoint, url=endpoint.url)
    endpoint.delete()


@transaction.atomic
def endpoint_secret_rotate(*, actor: Actor, endpoint: WebhookEndpoint) -> str:
    """A new secret (returned in clear once); the old one also signs for 24 hours."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    secret = secret_new()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = timezone.now() + PREVIOUS_SECRET_VALID
    endpoint.secret = secret
    endpoint.updated_at = timezone.now()
    endpoint.save()
    _audit(actor, AuditAction.WEBHOOK_SECRET_ROTATED, endpoint)
    return secret


@transaction.atomic
def endpoint_test(*, actor: Actor, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a `webhook.test` event for this endpoint only (whatever it subscribes to)."""
    _deliveries_write(
        [endpoint.pk],
        TEST,
        [{"endpoint_id": endpoint.endpoint_id, "message": "This is a test event."}],
    )
    delivery = endpoint.deliveries.order_by("-pk").first()
    _audit(actor, AuditAction.WEBHOOK_TESTED, endpoint, delivery=delivery.message_id)
    return delivery


@transaction.atomic
def delivery_retry(*, actor: Actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send this delivery again now (it keeps its `webhook-id`); a failure goes on with the
    schedule where it was (or fails at once when the schedule is used up)."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now()
    )
    delivery.refresh_from_db()
    _audit(
        actor, AuditAction.WEBHOOK_DELIVERY_RETRIED, delivery.endpoint, delivery=delivery.message_id
    )
    return delivery


# --- delivering ------------------------------------------------------------------------------


def _due(now: datetime.datetime):
    return WebhookDelivery.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        status=WebhookDelivery.Status.PENDING,
        next_attempt_at__lte=now,
        endpoint__enabled=True,
    )


def deliveries_claim(*, worker_id: str, limit: int = 10) -> list[WebhookDelivery]:
    """Claim up to `limit` due deliveries for this worker until its lease ends. Rows another
    worker has locked are skipped (PostgreSQL); the UPDATE re-checks that each is still
    claimable, so two workers never hold the same delivery at once."""
    now = timezone.now()
    until = now + datetime.timedelta(seconds=settings.ILP_WEBHOOK_LEASE_SECONDS)
    with transaction.atomic():
        due = _due(now)
        if transaction.get_connection().features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        pks = list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
        if not pks:
            return []
        _due(now).filter(pk__in=pks).update(claimed_until=until, claimed_by=worker_id)
    return list(
        WebhookDelivery.objects.select_related("endpoint")
        .filter(pk__in=pks, claimed_by=worker_id, claimed_until=until)
        .order_by("next_attempt_at", "pk")
    )


def _attempt(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """One POST; (status code or None, error text or "")."""
    endpoint = delivery.endpoint
    try:
        target = url_check(endpoint.url)
    except OutboundUrlNotAllowed as exc:
        return None, f"URL not allowed: {exc.reason}"
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures(
            endpoint, message_id=delivery.message_id, timestamp=timestamp, body=delivery.body
        ),
    }
    try:
        response = pinned_request(
            target, body=delivery.body.encode(), headers=headers, timeout=TIMEOUT_SECONDS
        )
    except TimeoutError:
        return None, f"no answer within {TIMEOUT_SECONDS:g} s"
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status < 300:
        return response.status, ""
    return response.status, f"HTTP {response.status}"


def delivery_send(delivery: WebhookDelivery, *, worker_id: str) -> bool:
    """Send one claimed delivery and record the outcome (only while the claim is still this
    worker's). True when the receiver answered 2xx."""
    code, error = _attempt(delivery)
    now = timezone.now()
    attempts = delivery.attempts + 1
    mine = WebhookDelivery.objects.filter(pk=delivery.pk, claimed_by=worker_id)
    common = {
        "attempts": F("attempts") + 1,
        "last_status_code": code,
        "last_error": error,
        "last_attempt_at": now,
        "claimed_until": None,
        "claimed_by": "",
    }
    endpoint = delivery.endpoint
    if not error:
        mine.update(status=WebhookDelivery.Status.SUCCEEDED, next_attempt_at=None, **common)
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=False).update(
            failing_since=None
        )
        return True
    if attempts <= len(RETRY_SCHEDULE):
        mine.update(next_attempt_at=now + RETRY_SCHEDULE[attempts - 1], **common)
    else:
        mine.update(status=WebhookDelivery.Status.FAILED, next_attempt_at=None, **common)
    logger.info("webhook %s to %s failed: %s", delivery.message_id, endpoint.endpoint_id, error)
    _endpoint_failed(endpoint, now=now)
    return False


def _endpoint_failed(endpoint: WebhookEndpoint, *, now: datetime.datetime) -> None:
    """Start the failing streak, or disable the endpoint (and mail the company's
    administrators) once it has lasted five days."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
        failing_since=now
    )
    with transaction.atomic():
        locked = (
            WebhookEndpoint.objects.select_for_update()
            .filter(pk=endpoint.pk, enabled=True, failing_since__lte=now - DISABLE_AFTER)
            .first()
        )
        if locked is None:
            return
        locked.enabled = False
        locked.disabled_reason = "failing"
        locked.updated_at = now
        locked.save(update_fields=["enabled", "disabled_reason", "updated_at"])
        _endpoints_forget()
        _audit(Actor.system(), AuditAction.WEBHOOK_DISABLED, locked, reason="failing for 5 days")
        if locked.company_id is not None:
            for email, language in _administrators(locked.company_id):
                mail_enqueue(
                    to=email,
                    template="webhook_disabled",
                    language=language,
                    context={"company": locked.company, "endpoint": locked},
                )


def deliveries_send_due(*, worker_id: str | None = None, limit: int = 10) -> int:
    """Claim and send due deliveries until none is due (at most `limit` per claim); returns
    how many succeeded. The worker calls this every second."""
    worker_id = worker_id or get_random_string(32)
    succeeded = 0
    while True:
        claimed = deliveries_claim(worker_id=worker_id, limit=limit)
        if not claimed:
            return succeeded
        for delivery in claimed:
            try:
                succeeded += delivery_send(delivery, worker_id=worker_id)
            except Exception:  # one broken row must not stop the others; its lease ends
                logger.exception("webhook delivery %s failed", delivery.message_id)


# The company's administrators (e-mail, language) are accounts' to say: it registers the
# look-up at start-up (accounts/apps.py), as it registers the membership look-up with core.
_administrators_lookup: Callable[[int], list[tuple[str, str]]] | None = None


def administrators_lookup_register(lookup: Callable[[int], list[tuple[str, str]]]) -> None:
    global _administrators_lookup
    _administrators_lookup = lookup


def _administrators(company_id: int) -> list[tuple[str, str]]:
    return _administrators_lookup(company_id) if _administrators_lookup else []


@transaction.atomic
def company_endpoints_drop(*, actor: Actor, company_id: int) -> int:
    """A company merged into another (vendor staff) sends no more events: its endpoints go
    (each audited, deliveries with them); returns how many."""
    endpoints = list(WebhookEndpoint.objects.filter(company_id=company_id).order_by("pk"))
    for endpoint in endpoints:
        endpoint_delete(actor=actor, endpoint=endpoint)
    return len(endpoints)
