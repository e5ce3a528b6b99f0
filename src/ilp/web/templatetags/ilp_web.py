from django import template

register = template.Library()


def _show(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_show(v)}" for k, v in value.items())
    return str(value)


@register.filter
def audit_changes(event) -> list[dict]:
    """An audit event's before/after figures as rows: field, before, after (changed first)."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    rows = []
    for field in dict.fromkeys([*before, *after]):
        old, new = before.get(field), after.get(field)
        rows.append(
            {
                "field": field.replace("_", " "),
                "before": _show(old) if field in before else None,
                "after": _show(new) if field in after else None,
                "changed": field in before and field in after and old != new,
            }
        )
    return rows
