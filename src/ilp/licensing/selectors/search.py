"""Company search (API.md, third round): the company's packs, subscription keys and orders
whose ID contains what was typed. IDs match with or without their dashes and in any case
(`sk7k3q` finds `SK-7K3Q-…`); each item is `{"kind", "id", "label"}`."""

import re

from django.db.models import F, Q, Value
from django.db.models.functions import Replace
from django.utils.translation import gettext as _

from ..models import Order, ProductPack, SubscriptionKey


def compact(text: str) -> str:
    """Letters and digits only, upper case: how IDs are compared by search."""
    return re.sub(r"[^0-9A-Za-z]", "", text or "").upper()


def _without_dashes(field: str) -> Replace:
    return Replace(F(field), Value("-"), Value(""))


def licensing_search(*, membership, q: str, limit: int) -> list[dict]:
    """Packs (by pack ID or comment), keys and orders (by number) of the company matching
    `q`, at most `limit` of each kind, the closest first (shortest ID)."""
    text = (q or "").strip()
    key = compact(text)
    if not key:
        return []
    company = membership.company_id
    items: list[dict] = []
    packs = (
        ProductPack.objects.filter(company_id=company)
        .annotate(plain=_without_dashes("pack_id"))
        .filter(Q(plain__contains=key) | Q(comment__icontains=text))
        .select_related("product", "subscription_key")
        .order_by("pack_id")[:limit]
    )
    for p in packs:
        items.append(
            {
                "kind": "pack",
                "id": p.pack_id,
                "label": _("%(id)s · %(seats)s × %(sku)s under %(key)s")
                % {
                    "id": p.pack_id,
                    "seats": p.seats,
                    "sku": p.product.sku,
                    "key": p.subscription_key.key,
                },
            }
        )
    keys = (
        SubscriptionKey.objects.filter(company_id=company)
        .annotate(plain=_without_dashes("key"))
        .filter(plain__contains=key)
        .order_by("key")[:limit]
    )
    for k in keys:
        expires = k.expires_on.isoformat() if k.expires_on else _("perpetual")
        items.append(
            {
                "kind": "key",
                "id": k.key,
                "label": _("%(key)s · expires %(date)s") % {"key": k.key, "date": expires},
            }
        )
    orders = (
        Order.objects.filter(company_id=company)
        .annotate(plain=_without_dashes("order_number"))
        .filter(Q(plain__icontains=key) | Q(order_number__icontains=text))
        .order_by("-invoice_date", "order_number")[:limit]
    )
    for o in orders:
        items.append(
            {
                "kind": "order",
                "id": o.order_number,
                "label": _("%(n)s · invoice %(date)s")
                % {"n": o.order_number, "date": o.invoice_date.isoformat()},
            }
        )
    return items
