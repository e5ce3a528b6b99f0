"""Mail goes through the outbox: written in the caller's transaction, delivered by the worker."""

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone, translation

from ilp.core.bulk import objects_insert_later
from ilp.core.emails import email_for_delivery
from ilp.core.text import plain_text

from .models import OutboxMail

logger = logging.getLogger(__name__)

# A word that carries a token (core.ids.new_token: `ilp<kind>_…`), such as the invitation,
# finalise, password-reset and account-deletion links. Such mails are secrets at rest: their
# body is kept only until delivered (or given up), then the link is removed.
_SECRET_WORD = re.compile(r"\S*\bilp[a-z]_[A-Za-z0-9_-]{16,}\S*")


def mail_carries_secret(text: str) -> bool:
    return bool(_SECRET_WORD.search(text or ""))


# A note for the back office, not for the recipient (who got the mail before): one fixed
# text, whatever language was active in the worker when the mail was delivered.
REDACTED = "[link removed after delivery]"


def mail_redact(text: str) -> str:
    """The text with every link or word that carries a token replaced by a note."""
    return _SECRET_WORD.sub(REDACTED, text or "")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

MAX_ATTEMPTS = 60  # with the back-off capped at one hour: more than two days of retries
BACKOFF_CAP = timedelta(hours=1)


_about: ContextVar[str] = ContextVar("mail_about", default="")


@contextmanager
def mail_about(subject: str) -> Iterator[None]:
    """Mark every mail queued in the block as being about `subject` (`order:SO-1`), so the
    back office lists an order's mails on its page; nested, the outer subject stays."""
    if _about.get():
        yield
        return
    token = _about.set(subject[:100])
    try:
        yield
    finally:
        _about.reset(token)


def mails_about(*, subject: str):
    """The mails queued about `subject` (see `mail_about`), oldest first."""
    return OutboxMail.objects.filter(about=subject).order_by("created_at", "pk")


def mail_enqueue(
    *,
    to: str,
    template: str,
    context: dict,
    language: str = "en",
    dedup_key: str | None = None,
) -> OutboxMail | None:
    """Render `mail/<template>.subject.txt` and `.txt` and queue the mail in the outbox.

    Must run inside the transaction of the change that causes the mail, so that the mail
    exists exactly when the change does; the worker delivers it (`outbox_deliver_due`). With a
    `dedup_key` the mail is queued at most once ever (returns None when it already was).
    """
    if dedup_key and OutboxMail.objects.filter(dedup_key=dedup_key).exists():
        return None
    ctx = {"base_url": settings.ILP_BASE_URL, **context}
    with translation.override(language):
        # A guard for names stored before they were cleaned (core/text.py): a subject is
        # one line without control or format characters, whatever its context holds.
        subject = plain_text(_render_text(f"mail/{template}.subject.txt", ctx))
        subject = " ".join(subject.split())[:255]
        # The body keeps its lines; other control characters (a NUL, which PostgreSQL
        # refuses in text) go.
        body = _CONTROL.sub("", _render_text(f"mail/{template}.txt", ctx))
    mail = OutboxMail(
        to=to,
        subject=subject,
        body_text=body,
        template=template,
        dedup_key=dedup_key,
        about=_about.get(),
    )
    objects_insert_later([mail])  # no primary key inside `writes_held`
    # No task per mail: the worker's outbox loop finds it within a second of the commit
    # (`outbox_deliver_due`), so the change writes one row for its mail and commits once.
    return mail


def _render_text(name: str, context: dict) -> str:
    """Render a plain-text mail template without HTML escaping ("Smith & Sons" stays so)."""
    template = get_template(name)
    return template.template.render(Context(context, autoescape=False))


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def mail_deliver(*, mail_id: int) -> bool:
    """Try to send one pending, due mail. Safe to run twice and from several workers."""
    with transaction.atomic():
        qs = OutboxMail.objects.filter(
            pk=mail_id, status=OutboxMail.Status.PENDING, next_attempt_at__lte=timezone.now()
        )
        if transaction.get_connection().features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        mail = qs.first()
        if mail is None:
            return False
        mail.attempts += 1
        try:
            message = EmailMultiAlternatives(
                subject=mail.subject,
                body=mail.body_text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                # The stored address with its domain as IDNA 2008 A-label (core/emails.py).
                to=[email_for_delivery(mail.to)],
            )
            if mail.body_html:
                message.attach_alternative(mail.body_html, "text/html")
            message.send(fail_silently=False)
        except Exception as exc:  # any transport failure: keep the mail, retry later
            mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            mail.next_attempt_at = timezone.now() + _backoff(mail.attempts)
            fields = ["attempts", "last_error", "next_attempt_at", "status"]
            if mail.attempts >= MAX_ATTEMPTS:
                mail.status = OutboxMail.Status.FAILED
                # Given up: the link is no use to anyone any more (ask for a new one).
                fields += _redact_body(mail)
            mail.save(update_fields=fields)
            logger.warning("mail %s not delivered (attempt %s): %s", mail.pk, mail.attempts, exc)
            return False
        mail.status = OutboxMail.Status.SENT
        mail.sent_at = timezone.now()
        mail.last_error = ""
        fields = ["attempts", "status", "sent_at", "last_error", *_redact_body(mail)]
        mail.save(update_fields=fields)
        return True


def _redact_body(mail: OutboxMail) -> list[str]:
    """Remove the token links from a delivered (or abandoned) mail; the changed fields."""
    changed = []
    for field in ("body_text", "body_html"):
        value = getattr(mail, field)
        if mail_carries_secret(value):
            setattr(mail, field, mail_redact(value))
            changed.append(field)
    return changed


def outbox_deliver_due(*, limit: int = 200) -> int:
    """Deliver every pending mail that is due; the worker's sweeper calls this."""
    ids = list(
        OutboxMail.objects.filter(
            status=OutboxMail.Status.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for mail_id in ids if mail_deliver(mail_id=mail_id))
