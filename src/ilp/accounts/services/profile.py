"""A person's own profile: name, language, default company, mail opt-ins."""

import functools
import zoneinfo

from django.db import transaction
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.errors import Invalid
from ilp.core.text import plain_text

from ..audit_actions import AuditAction
from ..errors import AccountError
from ..models import Membership, User

LANGUAGES = ("en", "de")


@transaction.atomic
def profile_update(
    *,
    actor: Actor,
    user: User,
    first_name: str,
    last_name: str,
    language: str,
    default_company_gaid: str | None = None,
    opt_ins: dict[str, dict[str, bool]] | None = None,
    time_zone: str | None = None,
) -> User:
    """Change the user's own name, language, default company and per-company mail opt-ins
    (`opt_ins[gaid][topic]`, topics of MailTopic: "expiry", "new_key"). The e-mail never
    changes (it is the key of the account)."""
    errors = []
    first_name, last_name = plain_text(first_name), plain_text(last_name)
    if not first_name:
        errors.append({"loc": ["first_name"], "msg": _("Enter your first name.")})
    if not last_name:
        errors.append({"loc": ["last_name"], "msg": _("Enter your last name.")})
    if language and language not in LANGUAGES:
        errors.append({"loc": ["language"], "msg": _("Choose English or German.")})
    if time_zone is not None:
        try:
            time_zone = time_zone_check(time_zone)
        except Invalid as exc:
            errors.append({"loc": ["time_zone"], "msg": exc.message})
    memberships = {
        m.company.gaid: m
        for m in Membership.objects.select_for_update()
        .select_related("company")
        .filter(user=user)
        .order_by("pk")
    }
    default = None
    if default_company_gaid:
        if default_company_gaid not in memberships:
            errors.append({"loc": ["default_company"], "msg": _("Choose one of your companies.")})
        else:
            default = memberships[default_company_gaid].company
    if errors:
        raise Invalid(errors=errors)
    user = User.objects.select_for_update().get(pk=user.pk)
    before = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "language": user.language,
        "default_company": user.default_company.gaid if user.default_company else None,
        "time_zone": user.time_zone or "UTC",
    }
    user.first_name, user.last_name, user.language = first_name[:150], last_name[:150], language
    user.default_company = default
    if time_zone is not None:
        user.time_zone = time_zone
    user.save(update_fields=["first_name", "last_name", "language", "default_company", "time_zone"])
    changed_notify: dict[str, dict[str, bool]] = {}
    for gaid, topics in (opt_ins or {}).items():
        membership = memberships.get(gaid)
        if membership is None:
            continue
        changed = {}
        for topic, wanted in topics.items():
            field = Membership.TOPIC_FIELDS.get(topic)
            if field and getattr(membership, field) != bool(wanted):
                setattr(membership, field, bool(wanted))
                changed[topic] = bool(wanted)
        if changed:
            membership.save(update_fields=[Membership.TOPIC_FIELDS[t] for t in changed])
            changed_notify[gaid] = changed
    event_record(
        actor=actor,
        action=AuditAction.USER_PROFILE_UPDATED,
        obj_type="user",
        obj_id=user.email,
        before=before,
        after={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "language": language,
            "default_company": default.gaid if default else None,
            "time_zone": user.time_zone or "UTC",
            "notify": changed_notify,
        },
    )
    return user


@functools.cache
def time_zone_names() -> frozenset[str]:
    """The IANA zone names the portal accepts (the tzdata package's, via zoneinfo)."""
    return frozenset(zoneinfo.available_timezones())


def time_zone_check(name: str) -> str:
    """A zone name as stored ("" for UTC); 422 `invalid_time_zone` when IANA has no such
    zone. Names are exact (`Europe/Berlin`), as zoneinfo spells them."""
    name = (name or "").strip()
    if name in ("", "UTC"):
        return "" if name == "" else "UTC"
    if name not in time_zone_names():
        raise Invalid(
            _("%(name)s is not a time zone. Choose one such as Europe/Berlin.") % {"name": name},
            code=AccountError.INVALID_TIME_ZONE,
            errors=[{"loc": ["body", "time_zone"], "msg": _("unknown time zone")}],
        )
    return name


@transaction.atomic
def time_zone_set(*, actor: Actor, user: User, time_zone: str) -> User:
    """Set the zone the portal shows the person's times in (`PATCH /me`, the profile page).
    Dates of the business (expiry, "today") stay UTC days; only how times are shown changes."""
    name = time_zone_check(time_zone)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.time_zone == name:
        return user
    before = user.time_zone or "UTC"
    user.time_zone = name
    user.save(update_fields=["time_zone"])
    event_record(
        actor=actor,
        action=AuditAction.USER_PROFILE_UPDATED,
        obj_type="user",
        obj_id=user.email,
        before={"time_zone": before},
        after={"time_zone": name or "UTC"},
    )
    return user
