"""Reads of the audit log (scoped by the acting membership)."""

import datetime

from django.db.models import Exists, QuerySet

from ilp.core.authz import Permission, require

from .labels import ACTION_LABELS
from .models import AuditEvent


def event_list(
    *,
    membership,
    action: str | None = None,
    actor: str | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> QuerySet[AuditEvent]:
    """The company's audit log, newest first (administrators and service providers).

    `action` is one action (`pack.split`) or, without a dot, a family (`pack` → `pack.*`);
    `actor` matches the person's name or e-mail (part of it, any case); `since` and `until`
    are days, both included (UTC).
    """
    require(membership, Permission.READ_AUDIT)
    qs = AuditEvent.objects.filter(company_id=membership.company_id)
    action = (action or "").strip()
    if action:
        qs = (
            qs.filter(action=action)
            if "." in action
            else qs.filter(action__startswith=action + ".")
        )
    actor = (actor or "").strip()
    if actor:
        qs = qs.filter(actor_label__icontains=actor)
    if since:
        qs = qs.filter(created_at__gte=_day_start(since))
    if until:
        qs = qs.filter(created_at__lt=_day_start(until + datetime.timedelta(days=1)))
    return qs.order_by("-created_at", "-id")


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


def event_actions(*, membership) -> list[str]:
    """The actions recorded in the company's log (the audit page's action filter): one
    EXISTS probe per known action on the (company, action) index, not a DISTINCT over every
    event (issue 14); the labelled actions are every action the code records (a test checks
    that every recorded action has a label)."""
    require(membership, Permission.READ_AUDIT)
    events = AuditEvent.objects.filter(company_id=membership.company_id)
    codes = sorted(ACTION_LABELS)
    probes = {f"a{i}": Exists(events.filter(action=code)) for i, code in enumerate(codes)}
    # Any one event carries the probes (a log without events has no actions).
    found = events.order_by().annotate(**probes).values(*probes).first() or {}
    return [code for i, code in enumerate(codes) if found.get(f"a{i}")]
