"""Passwords (rule 16): reset by a mailed link, change with the current one.

Either way the old password stops working, the person's API tokens are revoked and their
sessions end (API.md, "Account and credential safety"): Django ties a session to a hash of
the password, so every other session is logged out at its next request (a view that changes
the password keeps its own with `update_session_auth_hash`; a reset keeps none)."""

import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.errors import Invalid
from ilp.core.ids import new_token, token_hash
from ilp.notifications.services import mail_enqueue

from .. import selectors
from ..audit_actions import AuditAction
from ..errors import AccountError
from ..models import AccountLink, User, normalize_email
from .common import account_link_issue, account_link_use, link_url, password_check
from .sessions import sessions_end_all
from .tokens import api_tokens_revoke_all

PASSWORD_RESET_TTL = timedelta(hours=1)
PASSWORD_RESET_TOKEN_PREFIX = "ilpr"
PASSWORD_RESET_PATH = "password-reset"


def password_reset_request(*, email: str) -> None:
    """Mail a password-reset link (single use, 1 hour) to the person with this e-mail.

    Returns nothing either way, and takes about the same time either way, so neither the
    answer nor its time tells whether an account exists: an unknown or deactivated address
    costs the same work but the writes (a token, its hash, the mail rendered), and both take
    at least settings.ILP_PASSWORD_RESET_MIN_SECONDS, padded after the commit (a sleep inside
    the transaction would hold SQLite's write lock). A person whose account waits for registration
    (an order's contact, rule 4) may use it too: the link proves the mailbox as the
    invitation would.
    """
    started = time.monotonic()

    def pad() -> None:
        elapsed = time.monotonic() - started
        time.sleep(max(0.0, settings.ILP_PASSWORD_RESET_MIN_SECONDS - elapsed))

    try:
        _password_reset_request(email=email)
    finally:
        # Inside a caller's transaction (a request with an Idempotency-Key is one) the pad
        # waits for its commit, so that no lock is held while sleeping.
        transaction.on_commit(pad)


@transaction.atomic
def _password_reset_request(*, email: str) -> None:
    email = normalize_email(email)
    user = selectors.user_find(email=email) if email else None
    if user is None or not user.is_active:
        _decoy_work()
        return
    token = account_link_issue(
        user=user,
        purpose=AccountLink.Purpose.PASSWORD_RESET,
        ttl=PASSWORD_RESET_TTL,
        prefix=PASSWORD_RESET_TOKEN_PREFIX,
    )
    mail_enqueue(
        to=user.email,
        template="password_reset",
        language=user.language or "en",
        context=_reset_mail_context(user.first_name, link_url(PASSWORD_RESET_PATH, token)),
    )
    event_record(
        actor=Actor.system(),
        action=AuditAction.USER_PASSWORD_RESET_REQUESTED,
        obj_type="user",
        obj_id=user.email,
    )


def _reset_mail_context(first_name: str, link: str) -> dict:
    return {"first_name": first_name, "link": link, "valid_minutes": 60}


def _decoy_work() -> None:
    """What a known address costs besides its writes: a token, its hash, the mail rendered."""
    token = new_token(PASSWORD_RESET_TOKEN_PREFIX)
    token_hash(token)
    context = _reset_mail_context("", link_url(PASSWORD_RESET_PATH, token))
    with translation.override("en"):
        render_to_string("mail/password_reset.subject.txt", context)
        render_to_string("mail/password_reset.txt", context)


def password_reset_check(*, token: str) -> AccountLink:
    """The reset link behind a token if it can still be used: 404 unknown, 409 used or
    expired (the page asks before it shows the form)."""
    with transaction.atomic():
        return account_link_use(token=token, purpose=AccountLink.Purpose.PASSWORD_RESET)


@transaction.atomic
def password_reset_complete(*, token: str, password: str) -> User:
    """Set a new password through a reset link: 404 unknown link, 409 used or expired, 422
    `weak_password` with the validators' messages. The link is used up, the old password and
    every session and API token end."""
    link = account_link_use(token=token, purpose=AccountLink.Purpose.PASSWORD_RESET)
    user = User.objects.select_for_update().get(pk=link.user_id)
    password_check(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    api_tokens_revoke_all(actor=Actor.for_user(user), user=user, reason="password_reset")
    sessions_end_all(user=user)
    now = timezone.now()
    AccountLink.objects.filter(
        user=user, purpose=AccountLink.Purpose.PASSWORD_RESET, used_at__isnull=True
    ).update(used_at=now)
    _changed_mail(user)
    event_record(
        actor=Actor.for_user(user),
        action=AuditAction.USER_PASSWORD_RESET,
        obj_type="user",
        obj_id=user.email,
    )
    return user


@transaction.atomic
def password_change(
    *,
    actor: Actor,
    user: User,
    current_password: str,
    new_password: str,
    keep_session_id: int | None = None,
) -> User:
    """Change one's own password: 422 `wrong_password` when the current one is wrong, 422
    `weak_password` for a weak new one. Every API token of the person is revoked, the one
    the change is made with too (it was had with the old password), and every session but
    `keep_session_id` (the one the change is made in) ends."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.check_password(current_password or ""):
        message = _("The current password is wrong.")
        raise Invalid(
            message,
            code=AccountError.WRONG_PASSWORD,
            errors=[{"loc": ["body", "current_password"], "msg": message}],
        )
    password_check(new_password, user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    api_tokens_revoke_all(actor=actor, user=user, reason="password_changed")
    sessions_end_all(user=user, keep_session_id=keep_session_id)
    _changed_mail(user)
    event_record(
        actor=actor, action=AuditAction.USER_PASSWORD_CHANGED, obj_type="user", obj_id=user.email
    )
    return user


def _changed_mail(user: User) -> None:
    """Tell the person, so that a change they did not make does not go unnoticed."""
    mail_enqueue(
        to=user.email,
        template="password_changed",
        language=user.language or "en",
        context={
            "first_name": user.first_name,
            "link": link_url(PASSWORD_RESET_PATH, "").rstrip("/"),
        },
    )
