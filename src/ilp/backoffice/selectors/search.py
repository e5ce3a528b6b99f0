"""Search across every company (API.md `GET /staff/search`): GAID, subscription key, pack ID,
order number, e-mail, unit ID (any separators) and company name (prefix, accents and case
ignored).

Each kind of identifier is one indexed equality (or, for names, one indexed prefix range)
probed with the normal form of what was typed; a query that cannot be an identifier of a kind
skips that probe. No probe reads more rows than it returns, so the answer's time does not grow
with the size of the largest customer (bench/bench_staff_search.py).
"""

import re

from django.db import connection
from django.db.models import Q

from ilp.accounts.models import Company, Membership, User, normalize_email
from ilp.core.text import search_text
from ilp.core.unit_ids import unit_id_search_normalize
from ilp.licensing.models import Order, ProductPack, SubscriptionKey
from ilp.licensing.selectors.packs import subscription_key_normalize
from ilp.rollout.models import DeviceLicense

PER_KIND = 20  # at most this many hits of one kind
NAME_PREFIX_MIN = 2  # a one-letter prefix names half the customers: type more
_COMPACT = re.compile(r"[^0-9A-Za-z]")


def prefix_q(field: str, prefix: str) -> Q:
    """Rows whose `field` starts with `prefix`, as a range an index answers: on PostgreSQL
    `LIKE 'p%'` (the pattern-ops index), elsewhere `p <= field < p + U+10FFFF` (SQLite's LIKE
    ignores case and so no index)."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__startswith": prefix})
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\U0010ffff"})


def _hit(kind: str, id_: str, label: str, gaid: str | None) -> dict:
    return {"kind": kind, "id": id_, "label": label, "gaid": gaid}


def _company_label(company: Company) -> str:
    where = ", ".join(p for p in (company.city, company.country) if p)
    return f"{company.name} · {where}" if where else company.name


def _pack_id_candidates(text: str, compact: str) -> list[str]:
    """A pack ID as typed (`we-7k3qx`, `WE 7K3QX`, `we7k3qx`): its prefix is letters (and
    digits after them, `WEP`), so each split of the compact form after a letter is a guess."""
    found = {text.strip().upper(), re.sub(r"[\s_.]+", "-", text.strip().upper())}
    for i in range(1, min(len(compact), 9)):
        if compact[i - 1].isalpha():
            found.add(f"{compact[:i]}-{compact[i:]}")
    return sorted(found)


def staff_search(*, q: str) -> list[dict]:
    """Everything whose identifier matches `q`, in the order of the contract's kinds."""
    text = (q or "").strip()[:200]
    if not text:
        return []
    compact = _COMPACT.sub("", text).upper()
    hits: list[dict] = []

    # Companies: GAID, ERP customer number, name prefix.
    name = search_text(text)
    company_q = Q(gaid=compact) | Q(customer_number=text)
    companies = list(Company.objects.filter(company_q).order_by("name")[:PER_KIND])
    if len(name) >= NAME_PREFIX_MIN:
        seen = {c.pk for c in companies}
        companies += [
            c
            for c in Company.objects.filter(prefix_q("name_search", name)).order_by(
                "name_search", "pk"
            )[:PER_KIND]
            if c.pk not in seen
        ]
    hits += [_hit("company", c.gaid, _company_label(c), c.gaid) for c in companies]

    if len(compact) >= 6:
        key = subscription_key_normalize(text)
        for k in SubscriptionKey.objects.select_related("company").filter(key__in={key, text}):
            hits.append(
                _hit("subscription_key", k.key, f"{k.key} · {k.company.name}", k.company.gaid)
            )
        packs = (
            ProductPack.objects.select_related("company", "product")
            .filter(pack_id__in=_pack_id_candidates(text, compact))
            .order_by("pack_id")[:PER_KIND]
        )
        for p in packs:
            label = f"{p.pack_id} · {p.seats} × {p.product.name} · {p.company.name}"
            hits.append(_hit("product_pack", p.pack_id, label, p.company.gaid))

    orders = (
        Order.objects.select_related("company")
        .filter(order_number__in={text, text.upper()})
        .order_by("order_number")[:PER_KIND]
    )
    for o in orders:
        label = f"{o.order_number} · {o.invoice_date.isoformat()} · {o.company.name}"
        hits.append(_hit("order", o.order_number, label, o.company.gaid))

    if "@" in text:
        hits += _people(normalize_email(text))

    unit_id = unit_id_search_normalize(text)
    if unit_id:
        hits += _devices(unit_id)
    return hits


def _people(email: str) -> list[dict]:
    user = User.objects.filter(email=email).first()
    if user is None:
        return []
    label = f"{user.email} · {user.full_name}" if user.full_name != user.email else user.email
    memberships = list(
        Membership.objects.select_related("company")
        .filter(user=user)
        .order_by("company__name")[:PER_KIND]
    )
    if not memberships:
        return [_hit("user", user.email, label, None)]
    return [
        _hit(
            "user",
            user.email,
            f"{label} · {m.get_role_display()} · {m.company.name}",
            m.company.gaid,
        )
        for m in memberships
    ]


def _devices(unit_id: str) -> list[dict]:
    """A unit ID's active licenses, one hit per company holding any (its products named)."""
    rows = (
        DeviceLicense.objects.filter(unit_id=unit_id, status=DeviceLicense.Status.ACTIVE)
        .values_list("company__gaid", "company__name", "product__sku")
        .order_by("company__name", "product__sku")[: PER_KIND * 4]
    )
    by_company: dict[str, tuple[str, list[str]]] = {}
    for gaid, company_name, sku in rows:
        by_company.setdefault(gaid, (company_name, []))[1].append(sku)
    return [
        _hit("device", unit_id, f"{unit_id} · {', '.join(skus)} · {company_name}", gaid)
        for gaid, (company_name, skus) in list(by_company.items())[:PER_KIND]
    ]
