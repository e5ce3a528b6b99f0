"""Links for the IDs people read on the portal's pages: one place decides where a pack
ID, an order number, a subscription key, a UMS or a unit ID leads, so every page links them
alike.

`{% load ilp_links %}` then `{% pack_link pack.pack_id %}`, `{% order_link number %}`,
`{% key_link key.key %}`, `{% ums_link ums %}` (its name with the ID in small type;
`show="id"` in tables), `{% unit_link unit_id %}`. The company is the page's `company` (every
company page has it); pass `gaid=` to link into another one. Targets: the pack, order and key
pages; the UMS card on the UMS IDs page (`#UMS-…`); Search hardware for a unit ID. URL names
are strings here, not imports, so licensing and rollout templates may use these tags.
"""

from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()


def _gaid(context, gaid):
    if gaid:
        return gaid
    company = context.get("company")
    return getattr(company, "gaid", None)


def _link(url: str, text, css: str = "mono") -> str:
    return format_html('<a class="{}" href="{}">{}</a>', css, url, text)


@register.simple_tag(takes_context=True)
def pack_link(context, pack_id, gaid=None) -> str:
    gaid = _gaid(context, gaid)
    if not pack_id or not gaid:
        return format_html("{}", pack_id or "—")
    return _link(reverse("licensing:pack", kwargs={"gaid": gaid, "pack_id": pack_id}), pack_id)


@register.simple_tag(takes_context=True)
def order_link(context, order_number, gaid=None) -> str:
    gaid = _gaid(context, gaid)
    if not order_number or not gaid:
        return format_html("{}", order_number or "—")
    url = reverse("licensing:order", kwargs={"gaid": gaid, "order_number": order_number})
    return _link(url, order_number)


@register.simple_tag(takes_context=True)
def key_link(context, key, gaid=None) -> str:
    gaid = _gaid(context, gaid)
    if not key or not gaid:
        return format_html("{}", key or "—")
    return _link(reverse("licensing:key", kwargs={"gaid": gaid, "key": key}), key)


@register.simple_tag(takes_context=True)
def ums_link(context, ums, gaid=None, show="both") -> str:
    """A UMS linked to its card on the UMS page: by name and ID (`show="both"`), by name only
    (`"name"`) or, in narrow table columns, by ID only with its name as the title (`"id"`)."""
    gaid = _gaid(context, gaid)
    if ums is None or not gaid:
        return "—"
    url = reverse("rollout:ums_list", kwargs={"gaid": gaid}) + f"#{ums.ums_id}"
    if show == "name":
        return _link(url, ums.name, css="ums-link")
    if show == "id":
        return format_html('<a class="mono" href="{}" title="{}">{}</a>', url, ums.name, ums.ums_id)
    return format_html(
        '<a class="ums-link" href="{}">{} <small class="mono">{}</small></a>',
        url,
        ums.name,
        ums.ums_id,
    )


@register.simple_tag(takes_context=True)
def unit_link(context, unit_id, gaid=None) -> str:
    """A unit ID, linked to Search hardware for that device."""
    gaid = _gaid(context, gaid)
    if not unit_id or not gaid:
        return format_html("{}", unit_id or "—")
    url = reverse("rollout:hardware", kwargs={"gaid": gaid}) + "?" + urlencode({"q": unit_id})
    return _link(url, unit_id)
