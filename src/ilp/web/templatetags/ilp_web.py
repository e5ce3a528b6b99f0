from django import template
from django.urls import NoReverseMatch, reverse

from ilp.audit.labels import NO, YES, action_label, field_label

register = template.Library()


def _show(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(YES if value else NO)
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{field_label(k)}: {_show(v)}" for k, v in value.items())
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
                "field": field_label(field),
                "before": _show(old) if field in before else None,
                "after": _show(new) if field in after else None,
                "changed": changed,
            }
        )
    return rows


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
    if event.object_type == "ums":
        return reverse("rollout:devices", kwargs={"gaid": gaid}) + f"?ums_id={event.object_id}"
    page = _OBJECT_PAGES.get(event.object_type)
    if page is None:
        return ""
    try:
        return reverse(page[0], kwargs={"gaid": gaid, page[1]: event.object_id})
    except NoReverseMatch:
        return ""
