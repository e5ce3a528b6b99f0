"""Reads of product packs and subscription keys, scoped by the acting membership."""

import datetime
import re
from collections.abc import Iterable, Sequence

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.core.errors import Invalid, NotFound

from ..errors import PackError
from ..models import ExpiryReminder, ProductPack, Renewal, SubscriptionKey

# Everything PackOut reads; `order` for `eula_accepted` (the order's vendor EULA).
PACK_RELATED = ("product", "subscription_key", "merged_into", "order")
SELECTION_MAX = 500  # packs one portal selection may name

PACK_SORTS = {
    "id": "pack_id",
    "product": "product__sku",
    "key": "subscription_key__key",
    "seats": "seats",
    "used": "seats_used",
    "starts": "starts_on",
    "expires": "expires_on",
    "status": "current_status",
}


def pack_queryset(*, membership) -> QuerySet[ProductPack]:
    """The company's packs with everything PackOut needs, and `current_status` annotated."""
    return (
        ProductPack.objects.filter(company_id=membership.company_id)
        .select_related(*PACK_RELATED)
        .with_status()
    )


def pack_get(*, membership, pack_id: str) -> ProductPack:
    pack = pack_queryset(membership=membership).filter(pack_id=pack_id.upper()).first()
    if pack is None:
        raise NotFound(code=PackError.PACK_NOT_FOUND, message=f"No product pack {pack_id}.")
    return pack


def pack_list_by_ids(*, membership, pack_ids: Iterable[str]) -> QuerySet[ProductPack]:
    """The company's packs among these exact pack IDs (unknown ones are simply absent)."""
    return pack_queryset(membership=membership).filter(pack_id__in=list(pack_ids))


def pack_get_many(*, membership, pack_ids: Sequence[str]) -> list[ProductPack]:
    """The named packs of the company, in the order named; 404 naming the unknown ones."""
    wanted = [pid.strip().upper() for pid in pack_ids]
    found = {p.pack_id: p for p in pack_list_by_ids(membership=membership, pack_ids=wanted)}
    missing = [pid for pid in wanted if pid not in found]
    if missing:
        raise NotFound(
            code=PackError.PACK_NOT_FOUND,
            message="No product pack " + ", ".join(dict.fromkeys(missing)),
        )
    return [found[pid] for pid in wanted]


def pack_selection(*, membership, pack_ids: Sequence[str]) -> list[ProductPack]:
    """A portal selection: the named packs of the company in the order named, each once;
    unknown ones drop (a page shows what is left rather than an error)."""
    wanted = [p.strip().upper() for p in pack_ids if p.strip()][:SELECTION_MAX]
    found = {p.pack_id: p for p in pack_list_by_ids(membership=membership, pack_ids=wanted)}
    return [found[p] for p in dict.fromkeys(wanted) if p in found]


def pack_reload_many(*, membership, packs: Sequence[ProductPack]) -> list[ProductPack]:
    """Re-read packs with everything PackOut needs (one query), in the given order."""
    rows = {
        p.pk: p for p in pack_queryset(membership=membership).filter(pk__in=[p.pk for p in packs])
    }
    return [rows[p.pk] for p in packs]


def pack_list(
    *,
    membership,
    product: str | None = None,
    status: str | None = None,
    subscription_key: str | None = None,
    expires_before: datetime.date | None = None,
    eula_accepted: bool | None = None,
    sort: str | None = None,
) -> QuerySet[ProductPack]:
    """The company's packs, filtered (API.md filters) and sorted by a PACK_SORTS key
    (`-` prefix for descending). An unknown status is a 422; an unknown sort is ignored."""
    qs = pack_queryset(membership=membership)
    if product:
        qs = qs.filter(product__sku__iexact=product.strip())
    if status:
        if status not in ProductPack.Status.values:
            raise Invalid(
                _("Unknown status %(s)s.") % {"s": status},
                code=PackError.INVALID_STATUS,
                errors=[
                    {
                        "loc": ["query", "status"],
                        "msg": _("One of: %(v)s.") % {"v": ", ".join(ProductPack.Status.values)},
                    }
                ],
            )
        qs = qs.filter(current_status=status)
    if subscription_key:
        qs = qs.filter(subscription_key__key=subscription_key.strip().upper())
    if expires_before:
        qs = qs.filter(expires_on__lt=expires_before)
    if eula_accepted is not None:
        qs = qs.eula_accepted() if eula_accepted else qs.eula_pending()
    field = PACK_SORTS.get((sort or "").lstrip("-"))
    if field:
        desc = (sort or "").startswith("-")
        order = F(field).desc(nulls_last=True) if desc else F(field).asc(nulls_last=True)
        qs = qs.order_by(order, "id")
    else:
        qs = qs.order_by("created_at", "id")
    return qs


def pack_list_live(*, membership, limit: int) -> list[ProductPack]:
    """At most `limit` live packs of the company, the soonest expiry first (perpetual last),
    with what the pack table shows (product, key, the order for `eula_accepted`): read from
    the (company, state, expires_on) index, ties sorted by pack ID."""
    live = (
        ProductPack.objects.filter(company_id=membership.company_id, state=ProductPack.State.LIVE)
        .select_related("product", "subscription_key", "order")
        .with_status()
    )
    return list(live.order_by(F("expires_on").asc(nulls_last=True), "pack_id")[:limit])


def dashboard_figures(*, membership, today: datetime.date | None = None) -> dict:
    """Seats per product over active packs, and the counts behind the quick filters
    (expired; active and expiring within 30 / 90 days). One grouped query (issue 14: one
    pass over the company's packs, plain conditions instead of the status CASE)."""
    today = today or timezone.localdate()
    d30, d90 = today + datetime.timedelta(days=31), today + datetime.timedelta(days=91)
    # `current_status` as plain conditions (no CASE per row): of the packs neither merged
    # nor archived that have begun, the active ones are perpetual or end after today, the
    # expired ones ended.
    active = Q(expires_on__isnull=True) | Q(expires_on__gt=today)
    rows = list(
        ProductPack.objects.filter(company_id=membership.company_id, starts_on__lte=today)
        .exclude(state__in=[ProductPack.State.MERGED, ProductPack.State.ARCHIVED])
        .values("product__sku", "product__name")
        .annotate(
            seats=Sum("seats", filter=active),
            used=Sum("seats_used", filter=active),
            active=Count("id", filter=active),
            expired=Count("id", filter=Q(expires_on__lte=today)),
            within_30=Count("id", filter=Q(expires_on__gt=today, expires_on__lt=d30)),
            within_90=Count("id", filter=Q(expires_on__gt=today, expires_on__lt=d90)),
        )
        .order_by("product__sku")
    )
    counts = {k: sum(row[k] for row in rows) for k in ("expired", "within_30", "within_90")}
    per_product = [
        {k: row[k] for k in ("product__sku", "product__name", "seats", "used")}
        for row in rows
        if row["active"]
    ]
    top = max((row["seats"] for row in per_product), default=0)
    for row in per_product:
        row["free"] = row["seats"] - row["used"]
        row["pct"] = round(100 * row["seats"] / top) if top else 0
        row["used_pct"] = round(100 * row["used"] / row["seats"]) if row["seats"] else 0
    return {
        "counts": counts,
        "per_product": per_product,
        "within_30_before": d30,
        "within_90_before": d90,
    }


# --- subscription keys --------------------------------------------------------------------


def key_get(*, membership, key: str) -> SubscriptionKey:
    found = SubscriptionKey.objects.filter(company_id=membership.company_id, key=key).first()
    if found is None:
        raise NotFound(
            code=PackError.SUBSCRIPTION_KEY_NOT_FOUND, message=f"No subscription key {key}."
        )
    return found


_KEY_ALIASES = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})


def subscription_key_normalize(raw: str) -> str:
    """A subscription key as a person may type it — any case, with spaces, dashes or none,
    `O` for `0` — in the form ILP writes it (`SK-XXXX-XXXX-XXXX`, Crockford base32, as
    delivery tokens are read). Text of another shape comes back upper-cased and trimmed."""
    text = re.sub(r"[\s\-_.]", "", (raw or "").upper())
    body = text[2:] if text.startswith("SK") else text
    if len(body) != 12:
        return (raw or "").strip().upper()
    body = body.translate(_KEY_ALIASES)
    return f"SK-{body[0:4]}-{body[4:8]}-{body[8:12]}"


def key_held_by(*, company_id: int, key: str) -> bool:
    """Whether the subscription key (as typed: `subscription_key_normalize`) is the
    company's: the proof of a company claim (rule 16), where the claimant has no membership
    to read through yet."""
    return SubscriptionKey.objects.filter(
        company_id=company_id, key=subscription_key_normalize(key)
    ).exists()


def key_queryset(*, membership) -> QuerySet[SubscriptionKey]:
    """The company's keys with their packs (`packs`) and the order numbers of renewals
    awaiting redemption (`pending`) prefetched: three queries whatever the size."""
    return (
        SubscriptionKey.objects.filter(company_id=membership.company_id)
        .prefetch_related(
            Prefetch(
                "product_packs",
                queryset=ProductPack.objects.select_related(*PACK_RELATED)
                .with_status()
                .order_by("product__sku", "created_at", "id"),
                to_attr="packs",
            ),
            Prefetch(
                "renewals",
                queryset=Renewal.objects.filter(status=Renewal.Status.AWAITING_REDEMPTION)
                .select_related("order")
                .order_by("created_at", "id"),
                to_attr="pending",
            ),
        )
        .order_by("-created_at", "-id")
    )


def key_detail(*, membership, key: str) -> SubscriptionKey:
    found = key_queryset(membership=membership).filter(key=key.strip().upper()).first()
    if found is None:
        raise NotFound(
            code=PackError.SUBSCRIPTION_KEY_NOT_FOUND, message=f"No subscription key {key}."
        )
    return found


# --- services' reads, outside any one membership ------------------------------------------


def pack_list_of_company(*, company, pks: Iterable[int]) -> list[ProductPack]:
    """These packs of the company with everything PackOut needs, by primary key."""
    return list(
        ProductPack.objects.filter(company=company, pk__in=list(pks))
        .select_related(*PACK_RELATED)
        .order_by("id")
    )


def pack_list_expiring(*, today: datetime.date, within_days: int) -> QuerySet[ProductPack]:
    """Live packs of every company that expire after today and within `within_days`."""
    return (
        ProductPack.objects.filter(
            state=ProductPack.State.LIVE,
            expires_on__isnull=False,
            expires_on__gt=today,
            expires_on__lte=today + datetime.timedelta(days=within_days),
        )
        .select_related("product", "subscription_key")
        .order_by("company_id", "pk")
    )


def expiry_reminders_sent(*, packs: Iterable[ProductPack]) -> set[tuple[int, datetime.date, int]]:
    """`(pack pk, expires_on, days_before)` of the reminders already recorded for these packs."""
    return set(
        ExpiryReminder.objects.filter(pack__in=list(packs)).values_list(
            "pack_id", "expires_on", "days_before"
        )
    )
