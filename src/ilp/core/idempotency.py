"""`Idempotency-Key` for every API POST: a retry with the same key and body replays the
first response and changes nothing; the same key with another body is a 409.

The record is inserted before the view runs, inside one transaction with the view's own
work: on PostgreSQL a concurrent retry blocks on the unique index until the first request
commits and then replays it, so a retried split can never split twice. On SQLite the
IMMEDIATE transaction serialises writers anyway.

Replays need the caller authenticated first: the rows belong to a working credential (its
stored hash) or a logged-in session; a revoked, rotated, expired or unknown credential gets
no replay (the route answers 401), and revoking one drops its rows. Anonymous callers keep
rows only on the public POSTs (`PUBLIC_POSTS`); 401, 404 and 429 answers are never kept.

A route whose answer carries a new secret (an API token, recovery codes, a UMS credential,
an ALD or delivery token, a webhook secret) and `POST /auth/tokens` are never replayed (API.md,
"Account and credential safety"): each is marked `@not_replayable` where it is declared,
and that mark is the only thing the middleware asks. The first use of a key there runs and
is recorded without its body; any later use of the key → 409 `idempotency_not_replayable`,
and nothing runs. A replay would hand the secret to whoever repeats the request and skip
its throttles and used one-time codes.

Every other stored body is encrypted (AES-GCM) with a key derived from SECRET_KEY and what
only the caller sends — the raw Authorization header or session cookie, and the request
body — none of which is stored: the table alone reveals nothing of an answer, yet a genuine
retry can be replayed.
"""

import base64
import functools
import hashlib
import hmac
import os
import re
from datetime import timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .auth import principal_from_token
from .ids import token_hash
from .models import IdempotencyRecord
from .problems import problem_response

RETENTION = timedelta(hours=24)
HEADER = "Idempotency-Key"
META_HEADER = "HTTP_IDEMPOTENCY_KEY"
# Responses that say nothing about the request itself are not kept: a retry re-runs.
NOT_KEPT = {401, 404, 429}
# The API's POSTs without credentials (API.md): only these keep replay rows for anonymous
# callers; any other anonymous POST answers 401 and keeps nothing.
# tests/core/test_idempotency_auth.py checks this list against the OpenAPI document.
PUBLIC_POSTS = re.compile(
    r"^/api/v1/(auth/tokens|auth/password-reset(/[^/]+)?|registrations"
    r"|invitations/[^/]+/accept)$"
)


NOT_REPLAYABLE_ATTR = "idempotency_not_replayable"


def not_replayable(view):
    """Mark an API route as never replayed by `Idempotency-Key` (its answer carries a new
    secret, or it logs in): a reused key → 409 `idempotency_not_replayable`. Put it under the
    router's decorator; tests/core/test_idempotency_secrets.py checks that every POST whose
    answer has a secret field carries it."""

    @functools.wraps(view)
    def marked(request, *args, **kwargs):
        setattr(request, NOT_REPLAYABLE_ATTR, True)
        return view(request, *args, **kwargs)

    setattr(marked, NOT_REPLAYABLE_ATTR, True)
    return marked


def credential_caller(token_hash_: str) -> str:
    """The replay namespace of a bearer credential, from the SHA-256 its owner stores
    (`token_hash`, `credential_hash`): revoking it can drop its rows (`credential_forget`)."""
    return "cred:" + token_hash_


def _caller(request) -> str | None:
    """Who the replay rows belong to, after authentication: a working bearer credential, a
    logged-in session, an anonymous caller of a public POST; None when the request must not
    touch replay rows at all (unknown, revoked or expired credentials; anonymous POSTs to
    routes that need credentials). Such a request runs and gets its 401 from the route."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        token = token.strip()
        # Resolved once: the route's authentication reuses it (core.auth.authenticate).
        principal = request._ilp_principal = principal_from_token(token)
        if principal is None:
            return None
        return credential_caller(token_hash(token))
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active:
        return f"user:{user.pk}"
    if PUBLIC_POSTS.match(request.path):
        # Anonymous callers share a namespace per path; the body hash must still match.
        return "anon:" + token_hash(request.path)
    return None


def credential_forget(*token_hashes: str) -> int:
    """Drop the replay rows of credentials that are revoked, rotated or deleted (their stored
    responses may hold secrets, and nobody may replay them any more)."""
    deleted, _ = IdempotencyRecord.objects.filter(
        caller__in=[credential_caller(h) for h in token_hashes if h]
    ).delete()
    return deleted


def user_forget(user_pk) -> int:
    """Drop the replay rows of a person's sessions (the account is deleted)."""
    deleted, _ = IdempotencyRecord.objects.filter(caller=f"user:{user_pk}").delete()
    return deleted


def _body_key(request) -> bytes:
    material = (
        request.META.get("HTTP_AUTHORIZATION", "")
        + "\n"
        + request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
        + "\n"
        + request.path
        + "\n"
    ).encode() + request.body
    return hmac.new(settings.SECRET_KEY.encode(), b"idempotency\n" + material, "sha256").digest()


def _seal(request, body: bytes) -> str:
    nonce = os.urandom(12)
    return base64.b64encode(nonce + AESGCM(_body_key(request)).encrypt(nonce, body, None)).decode()


def _open(request, sealed: str) -> bytes | None:
    try:
        raw = base64.b64decode(sealed)
        return AESGCM(_body_key(request)).decrypt(raw[:12], raw[12:], None)
    except (InvalidTag, ValueError):
        return None


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.META.get(META_HEADER)  # `HEADER`, without building request.headers
        if request.method != "POST" or key is None or not request.path.startswith("/api/"):
            return self.get_response(request)
        if not key or len(key) > 255:
            return problem_response(
                422,
                "invalid_idempotency_key",
                _("Idempotency-Key must be 1 to 255 characters."),
                errors=[{"loc": ["header", HEADER], "msg": _("1 to 255 characters")}],
            )
        caller = _caller(request)
        if caller is None:
            return self.get_response(request)
        digest = hashlib.sha256(request.method.encode() + request.path.encode() + b"\n")
        digest.update(request.body)
        request_hash = digest.hexdigest()

        with transaction.atomic():
            IdempotencyRecord.objects.filter(
                caller=caller, key=key, created_at__lt=timezone.now() - RETENTION
            ).delete()
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        caller=caller, key=key, request_hash=request_hash
                    )
            except IntegrityError:
                return self._replay(request, caller, key, request_hash)

            response = self.get_response(request)
            if response.status_code >= 500:
                # Nothing half-written: undo the view's work together with the record.
                transaction.set_rollback(True)
                return response
            if response.status_code in NOT_KEPT or getattr(response, "streaming", False):
                record.delete()
                return response
            # An update, not a save: the view may have dropped the row (it revoked the very
            # credential it was called with, or deleted the account). A route that is not
            # replayable keeps no body: a kept record without one marks the key as used.
            replayable = not getattr(request, NOT_REPLAYABLE_ATTR, False)
            IdempotencyRecord.objects.filter(pk=record.pk).update(
                status_code=response.status_code,
                content_type=response.get("Content-Type", ""),
                body=_seal(request, response.content) if replayable else "",
            )
            return response

    def _replay(self, request, caller: str, key: str, request_hash: str):
        record = IdempotencyRecord.objects.filter(caller=caller, key=key).first()
        if record is None or record.status_code == 0:
            return problem_response(
                409,
                "idempotency_in_progress",
                _("A request with this Idempotency-Key is still running."),
            )
        if not record.body:  # a route that is never replayed: the key is used up
            return problem_response(
                409,
                "idempotency_not_replayable",
                _(
                    "This Idempotency-Key was already used, and this request is never replayed "
                    "(its answer carries a new secret). Send it again with a new key."
                ),
            )
        if record.request_hash != request_hash:
            return problem_response(
                409,
                "idempotency_key_reused",
                _("This Idempotency-Key was used with a different request."),
            )
        body = _open(request, record.body)
        if body is None:  # SECRET_KEY changed since: the first response cannot be replayed
            return problem_response(
                409, "idempotency_key_reused", _("This Idempotency-Key was already used.")
            )
        response = HttpResponse(body, status=record.status_code, content_type=record.content_type)
        response["Idempotent-Replayed"] = "true"
        return response


def idempotency_purge() -> int:
    """Delete records past their 24 hours (the worker calls this now and then)."""
    deleted, _ = IdempotencyRecord.objects.filter(
        created_at__lt=timezone.now() - RETENTION
    ).delete()
    return deleted
