"""Expiry reminders: 90, 60, 30 and 7 days before a pack expires, each sent once per pack.

`ilp send-reminders` (daily) calls `reminders_queue`; the mail goes through the outbox.
"""

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from ilp.accounts.models import Company
from ilp.accounts.selectors import MailTopic, mail_recipients
from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.notifications.services import mail_enqueue

from ..audit_actions import AuditAction
from ..models import ExpiryReminder, ProductPack
from ..selectors import expiry_reminders_sent, pack_list_expiring
from .webhook_events import packs_expiring

REMINDER_DAYS = (90, 60, 30, 7)


@dataclass
class ReminderRun:
    """What one `reminders_queue` run did."""

    companies: int = 0
    reminders: int = 0  # (pack, threshold) pairs recorded
    mails: int = 0
    skipped_no_recipient: int = 0  # companies with due packs but nobody to tell (yet)


def reminder_threshold(days_left: int) -> int | None:
    """The one reminder that is due for a pack expiring in `days_left` days.

    It is the most urgent threshold already reached: 29 days left → the 30-day reminder.
    A run that missed days still sends that one; thresholds passed before it (60, 90) are
    not sent late, because a "90 days left" mail a month before expiry would mislead.
    """
    if days_left <= 0:
        return None
    due = [days for days in REMINDER_DAYS if days_left <= days]
    return min(due) if due else None


def _packs_url(company, *, expires_before: date) -> str:
    """The company's pack list filtered to the packs this mail is about (and any sooner)."""
    try:
        path = reverse("licensing:packs", kwargs={"gaid": company.gaid})
    except NoReverseMatch:
        return f"{settings.ILP_BASE_URL}/companies/{company.gaid}/"
    query = urlencode({"status": "active", "expires_before": expires_before.isoformat()})
    return f"{settings.ILP_BASE_URL}{path}?{query}"


def _packs_expiring(today: date):
    """Live packs that expire after today and within the longest reminder horizon."""
    return pack_list_expiring(today=today, within_days=max(REMINDER_DAYS))


@transaction.atomic
def _company_reminders_queue(
    *, company_id: int, pack_pks: list[int], today: date
) -> tuple[int, int, bool]:
    """Queue one company's due reminders; returns (reminders recorded, mails queued, whether
    reminders were due but nobody could be told).

    The company row is locked first, so two runs handling the same company serialise and
    the second sees the first one's ExpiryReminder rows; the unique constraint on those rows
    is the last line of defence (an IntegrityError rolls the whole company back).
    """
    # FOR NO KEY UPDATE: it still serialises two runs, but does not block the key-share
    # locks that inserts referencing the company take (an issuance's or the exchange's
    # licenses and audit events) while they hold pack locks this run's reminder rows wait
    # for: with a plain FOR UPDATE the two deadlocked (seen with two workers, issue 14).
    company = Company.objects.select_for_update(no_key=True).get(pk=company_id)
    due = _reminders_due(pack_pks=pack_pks, today=today)
    if not due:
        return 0, 0, False
    recipients = mail_recipients(company=company, topic=MailTopic.EXPIRY)
    if not recipients:
        # Nobody to tell yet: record nothing, so the then-due reminder goes out once the
        # company has an administrator or an opted-in member.
        return 0, 0, True
    ExpiryReminder.objects.bulk_create(
        ExpiryReminder(
            pack=pack, expires_on=pack.expires_on, days_before=days, recipients=len(recipients)
        )
        for pack, days in due
    )
    due.sort(key=lambda item: (item[0].expires_on, item[0].pack_id))
    mails = _reminder_mails(company=company, recipients=recipients, due=due, today=today)
    event_record(
        actor=Actor.system(),
        action=AuditAction.PACK_EXPIRY_REMINDER,
        obj_type="company",
        obj_id=company.gaid,
        company=company,
        after={
            "reminders": [{"pack": pack.pack_id, "days_before": days} for pack, days in due],
            "recipients": [user.email for user in recipients],
        },
    )
    packs_expiring(company_id=company.pk, due=due, today=today)
    return len(due), mails, False


def _reminders_due(*, pack_pks: list[int], today: date) -> list[tuple[ProductPack, int]]:
    """`(pack, days before expiry)` of the reminders due today and not yet recorded."""
    # Read the packs again under the lock: a renewal may have moved an expiry since the scan.
    candidates = []
    for pack in _packs_expiring(today).filter(pk__in=pack_pks):
        days = reminder_threshold((pack.expires_on - today).days)
        if days is not None:
            candidates.append((pack, days))
    sent = expiry_reminders_sent(packs=[pack for pack, _ in candidates])
    return [
        (pack, days) for pack, days in candidates if (pack.pk, pack.expires_on, days) not in sent
    ]


def _reminder_mails(
    *, company, recipients: list, due: list[tuple[ProductPack, int]], today: date
) -> int:
    """One mail per recipient listing the due packs (soonest first); returns how many were
    queued (a mail already queued for the same packs and person is not queued again)."""
    rows = [
        {
            "pack_id": pack.pack_id,
            "product": pack.product.name,
            "sku": pack.product.sku,
            "seats": pack.seats,
            "subscription_key": pack.subscription_key.key,
            "expires_on": pack.expires_on,
            "days_left": (pack.expires_on - today).days,
        }
        for pack, _days in due
    ]
    digest = hashlib.sha256(
        ",".join(f"{pack.pack_id}@{pack.expires_on}@{days}" for pack, days in due).encode()
    ).hexdigest()[:24]
    mails = 0
    for user in recipients:
        queued = mail_enqueue(
            to=user.email,
            template="expiry_reminder",
            language=user.language or "en",
            context={
                "company": company,
                "user": user,
                "packs": rows,
                "packs_url": _packs_url(
                    company, expires_before=rows[-1]["expires_on"] + timedelta(days=1)
                ),
                "first_days_left": rows[0]["days_left"],
            },
            dedup_key=f"reminder:{company.gaid}:{digest}:{user.email}"[:200],
        )
        mails += 1 if queued else 0
    return mails


def reminders_queue(
    *, today: date | None = None, progress: Callable[[int, int, ReminderRun], None] | None = None
) -> ReminderRun:
    """Queue the expiry reminders due on `today` (90, 60, 30 and 7 days before expiry).

    Each pack gets each reminder once per expiry date; every administrator and every member
    who opted in (Membership.notify) gets one mail per company listing that company's due
    packs. Idempotent: running it again the same day queues nothing. One transaction per
    company, so a long run commits as it goes and `progress(done, total, run)` can report.
    """
    today = today or timezone.localdate()
    by_company: dict[int, list[int]] = defaultdict(list)
    for company_id, pk in _packs_expiring(today).values_list("company_id", "pk"):
        by_company[company_id].append(pk)
    run = ReminderRun()
    total = len(by_company)
    for done, (company_id, pack_pks) in enumerate(sorted(by_company.items()), start=1):
        try:
            reminders, mails, nobody = _company_reminders_queue(
                company_id=company_id, pack_pks=pack_pks, today=today
            )
        except IntegrityError:
            # A concurrent run recorded these reminders first and queued their mails.
            reminders, mails, nobody = 0, 0, False
        if nobody:
            run.skipped_no_recipient += 1
        elif reminders:
            run.companies += 1
            run.reminders += reminders
            run.mails += mails
        if progress is not None:
            progress(done, total, run)
    return run
