import datetime
import re
from urllib.parse import urlencode

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ilp.audit.labels import CODE_FIELDS, NO, YES, action_label, field_label, value_label

register = template.Library()

_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})")


def _show(value, field: str | None = None) -> str:
    """A figure as text; codes under a code field (a status, a kind, a role) as words."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(YES if value else NO)
    if isinstance(value, list):
        return ", ".join(_show(v, field) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{field_label(k)}: {_show(v, k)}" for k, v in value.items())
    if isinstance(value, str):
        if _ISO_MOMENT.fullmatch(value):  # a time as the services store it: as the pages show it
            moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")
        return value_label(field, value)
    return str(value)


@register.filter
def audit_changes(event) -> list[dict]:
    """An audit event's figures as rows (field, before, after). When the event has both a
    before and an after, only the fields that changed; otherwise what was created or removed."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    both = bool(before) and bool(after)
    rows = []
    for field in dict.fromkeys([*before, *after]):
        old, new = before.get(field), after.get(field)
        changed = field in before and field in after and old != new
        if both and field in before and field in after and not changed:
            continue
        rows.append(
            {
                "name": field,
                "field": field_label(field),
                "before": _show(old, field) if field in before else None,
                "after": _show(new, field) if field in after else None,
                "changed": changed,
            }
        )
    return rows


# Fields of audit figures that hold an ID with a page of its own: the ID becomes a link.
_LINKED_FIELDS = {
    "unit_id": "unit",
    "unit_ids": "unit",
    "moved_unit_ids": "unit",
    "pack": "pack",
    "pack_id": "pack",
    "packs": "pack",
    "product_packs": "pack",
    "created": "pack",
    "merged": "pack",
    "source": "pack",
    "target": "pack",
    "merged_into": "pack",
    "split_from": "pack",
    "ums": "ums",
    "ums_id": "ums",
    "subscription_key": "key",
    "key": "key",
    "order": "order",
    "order_number": "order",
}


def _id_url(kind: str, value: str, gaid: str) -> str | None:
    if kind == "unit":
        return reverse("rollout:hardware", kwargs={"gaid": gaid}) + "?" + urlencode({"q": value})
    if kind == "ums":
        if not value.startswith("UMS-"):
            return None
        return reverse("rollout:ums_list", kwargs={"gaid": gaid}) + f"#{value}"
    name, kwarg = {
        "pack": ("licensing:pack", "pack_id"),
        "key": ("licensing:key", "key"),
        "order": ("licensing:order", "order_number"),
    }[kind]
    try:
        return reverse(name, kwargs={"gaid": gaid, kwarg: value})
    except NoReverseMatch:
        return None


def _nested_kind(key: str, kind: str | None) -> str | None:
    """The link kind of a figure inside a dict: its own, else its parent's — but a code
    (`state: live` of a merged pack) is a word, never an ID to link (issue 24)."""
    if key in CODE_FIELDS:
        return None
    return _LINKED_FIELDS.get(key, kind)


def _show_html(value, gaid: str, kind: str | None = None, field: str | None = None) -> str:
    """As `_show`, as HTML: IDs under a linked field name (see `_LINKED_FIELDS`) are links."""
    if isinstance(value, str) and value and kind:
        url = _id_url(kind, value, gaid)
        if url:
            return format_html('<a class="mono" href="{}">{}</a>', url, value)
    if isinstance(value, list):
        if not value:
            return "—"
        return mark_safe(", ".join(_show_html(v, gaid, kind, field) for v in value))  # noqa: S308
    if isinstance(value, dict):
        parts = [
            format_html("{}: {}", field_label(k), _show_html(v, gaid, _nested_kind(k, kind), k))
            for k, v in value.items()
        ]
        return mark_safe(", ".join(parts))  # noqa: S308
    return conditional_escape(_show(value, field))


@register.simple_tag
def audit_rows(event, gaid: str) -> list[dict]:
    """`audit_changes` with the values as HTML, where IDs (packs, orders, keys, UMS, unit IDs)
    link to their pages in the company `gaid`."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    rows = audit_changes(event)
    for row in rows:
        kind = _LINKED_FIELDS.get(row["name"])
        if row["before"] is not None:
            row["before"] = _show_html(before.get(row["name"]), gaid, kind, row["name"])
        if row["after"] is not None:
            row["after"] = _show_html(after.get(row["name"]), gaid, kind, row["name"])
    return rows


@register.simple_tag
def audit_actor(event, gaid: str) -> str:
    """Who did it: a person's e-mail, a UMS linked to its card on the UMS page, or vendor
    staff by name with the reason they gave (rule 25)."""
    label = event.actor_label or ""
    if event.actor_kind == "staff":
        who = format_html(
            '<span class="staff-actor">{}</span> {}',
            _("Vendor staff"),
            label.removeprefix("staff:"),
        )
        if event.reason:
            return format_html(
                '{}<br><small class="staff-reason">{}: {}</small>', who, _("Reason"), event.reason
            )
        return who
    if label.startswith("ums:"):
        ums_id = label.removeprefix("ums:")
        url = reverse("rollout:ums_list", kwargs={"gaid": gaid}) + f"#{ums_id}"
        return format_html('UMS <a class="mono" href="{}">{}</a>', url, ums_id)
    if label.startswith("ald:"):
        key = label.removeprefix("ald:")
        url = _id_url("key", key, gaid)
        if url:
            return format_html('ALD <a class="mono" href="{}">{}</a>', url, key)
    return conditional_escape(label)


@register.filter
def audit_action(event) -> str:
    """The translated label of the event's action (its code when it has none)."""
    return action_label(event.action)


# Object types of the audit log that have a page of their own: (URL name, its keyword).
_OBJECT_PAGES = {
    "product_pack": ("licensing:pack", "pack_id"),
    "order": ("licensing:order", "order_number"),
    "subscription_key": ("licensing:key", "key"),
}


@register.simple_tag
def audit_object_url(event, gaid: str) -> str:
    """The page of the event's object, or "" when it has none (or is gone)."""
    if event.object_type == "device_license":
        unit_id = (
            (event.after or event.before or {}).get("unit_id")
            if isinstance(event.after or event.before, dict)
            else None
        )
        if unit_id:
            return reverse("rollout:hardware", kwargs={"gaid": gaid}) + f"?q={unit_id}"
        return ""
    if event.object_type == "renewal":
        # A renewal is named "<order number>/<product>": its order's page lists it.
        order_number = event.object_id.rsplit("/", 1)[0]
        return _id_url("order", order_number, gaid) or ""
    if event.object_type == "ums":
        return reverse("rollout:devices", kwargs={"gaid": gaid}) + f"?ums_id={event.object_id}"
    page = _OBJECT_PAGES.get(event.object_type)
    if page is None:
        return ""
    try:
        return reverse(page[0], kwargs={"gaid": gaid, page[1]: event.object_id})
    except NoReverseMatch:
        return ""
