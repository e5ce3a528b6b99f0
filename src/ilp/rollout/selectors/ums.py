"""UMS instances of a company and the packs assigned to them (pages and API)."""

import datetime

from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    StringAgg,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Cast, Concat, LPad, RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.core.errors import NotFound
from ilp.licensing.models import Product, ProductPack

from ..errors import RolloutError
from ..models import DeviceLicense, PackAssignment, UmsInstance


def ums_list(*, membership) -> QuerySet[UmsInstance]:
    """The company's UMS instances (one query; their packs: `ums_pack_summary` and
    `ums_assigned_packs` for pages, `ums_list_with_pack_ids` for the API)."""
    return (
        UmsInstance.objects.filter(company_id=membership.company_id)
        .select_related("company")
        .order_by("name", "id")
    )


def _pack_ids_joined() -> Subquery:
    """The packs of the outer UMS as one string — `<created_at>|<pk, padded>|<pack ID>`
    joined by commas (pack IDs hold neither) — one aggregate instead of one model object per
    assignment. Sorted in Python (`ums_pack_ids`): SQLite cannot order an aggregate."""
    return Subquery(
        PackAssignment.objects.filter(ums=OuterRef("pk"))
        .order_by()
        .values("ums")
        .annotate(
            ids=StringAgg(
                Concat(
                    Cast("pack__created_at", CharField()),
                    Value("|"),
                    LPad(Cast("pack__id", CharField()), 12, Value("0")),
                    Value("|"),
                    "pack__pack_id",
                    output_field=CharField(),
                ),
                delimiter=Value(","),
            )
        )
        .values("ids")
    )


def ums_list_with_pack_ids(*, membership) -> QuerySet[UmsInstance]:
    """`ums_list`, each with `pack_ids_joined` (what the API's `product_packs` lists)."""
    return ums_list(membership=membership).annotate(pack_ids_joined=_pack_ids_joined())


def ums_get(*, membership, ums_id: str) -> UmsInstance:
    ums = ums_list(membership=membership).filter(ums_id=(ums_id or "").upper()).first()
    if ums is None:
        raise NotFound(_("No UMS %(ums)s.") % {"ums": ums_id}, code=RolloutError.UMS_NOT_FOUND)
    return ums


def ums_pack_ids(*, ums) -> list[str]:
    """The IDs of the packs assigned to one UMS, oldest first (one query)."""
    joined = getattr(ums, "pack_ids_joined", None)
    if joined is None and hasattr(ums, "pack_ids_joined"):
        return []
    if joined is not None:
        return [entry.rsplit("|", 1)[1] for entry in sorted(joined.split(","))]
    return list(
        PackAssignment.objects.filter(ums=ums)
        .order_by("pack__created_at", "pack__id")
        .values_list("pack__pack_id", flat=True)
    )


def ums_pack_summary(*, ums_list) -> dict[int, list[dict]]:
    """Per UMS (by pk): its assigned packs summed per product — `sku`, `packs`, `seats`,
    `used` — in SKU order (pages; one aggregate query whatever the number of packs)."""
    rows = (
        PackAssignment.objects.filter(ums__in=[u.pk for u in ums_list])
        .values("ums_id", "pack__product__sku")
        .annotate(packs=Count("id"), seats=Sum("pack__seats"), used=Sum("pack__seats_used"))
        .order_by("ums_id", "pack__product__sku")
    )
    summary: dict[int, list[dict]] = {}
    for row in rows:
        summary.setdefault(row["ums_id"], []).append(
            {
                "sku": row["pack__product__sku"],
                "packs": row["packs"],
                "seats": row["seats"] or 0,
                "used": row["used"] or 0,
            }
        )
    return summary


def ums_assigned_packs(
    *, ums, q: str = "", after: int | None = None, limit: int = 50
) -> list[ProductPack]:
    """One page of the packs assigned to a UMS, in assignment-key order (pack pk), after
    the pack pk `after` (keyset paging: no OFFSET walk, no count); `q` is part of a pack ID.
    Returns up to `limit + 1` packs: the extra one says there is a next page."""
    qs = ProductPack.objects.filter(assignment__ums=ums).select_related("product")
    if q:
        qs = qs.filter(pack_id__icontains=q.strip())
    if after is not None:
        qs = qs.filter(pk__gt=after)
    return list(qs.order_by("pk")[: limit + 1])


def ums_first_packs(*, ums_list, limit: int) -> dict[int, list[ProductPack]]:
    """Per UMS (by pk): its first `limit` assigned packs (the UMS page). Two queries
    whatever the number of UMS and packs: a window over the narrow assignment rows in the
    order of the (ums, pack) index, then those packs by key."""
    ranked = list(
        PackAssignment.objects.filter(ums__in=[u.pk for u in ums_list])
        .annotate(rank=Window(RowNumber(), partition_by=F("ums_id"), order_by=F("pack_id").asc()))
        .filter(rank__lte=limit)
        .values_list("ums_id", "pack_id")
    )
    packs = ProductPack.objects.select_related("product").in_bulk([p for _u, p in ranked])
    by_ums: dict[int, list[ProductPack]] = {}
    for ums_pk, pack_pk in sorted(ranked):
        by_ums.setdefault(ums_pk, []).append(packs[pack_pk])
    return by_ums


def ums_lease_figures(*, ums_list, now: datetime.datetime) -> dict[int, dict]:
    """Per UMS (by pk): whether it holds active licenses (`active`), the earliest lease end
    among them, and the last document refresh (pages). One query of index probes per UMS
    row — the partial indexes on active licenses — not an aggregate over the fleet."""
    active = DeviceLicense.objects.filter(ums=OuterRef("pk"), status=DeviceLicense.Status.ACTIVE)
    rows = (
        UmsInstance.objects.filter(pk__in=[u.pk for u in ums_list])
        .annotate(
            # Not EXISTS: PostgreSQL answers that with a sequential scan (it expects an active
            # license within the first rows), which reads the whole table for a UMS without
            # one (a new UMS of a large customer: ~270 ms). The first in the order of the
            # partial index (ums, issued_at, id) is one index probe either way.
            first_active=Subquery(active.order_by("issued_at", "id").values("pk")[:1]),
            earliest=Subquery(
                active.filter(document_expires_at__isnull=False)
                .order_by("document_expires_at")
                .values("document_expires_at")[:1]
            ),
            last_signed=Subquery(
                active.filter(document_signed_at__isnull=False)
                .order_by("-document_signed_at")
                .values("document_signed_at")[:1]
            ),
        )
        .values("pk", "first_active", "earliest", "last_signed")
    )
    return {
        row["pk"]: {
            "pk": row["pk"],
            "ums_id": row["pk"],
            "active": True,
            "earliest": row["earliest"],
            "last_signed": row["last_signed"],
        }
        for row in rows
        if row["first_active"] is not None
    }


def ums_products(*, ums) -> QuerySet[Product]:
    """The products of the packs assigned to this UMS (one query with a subquery, whatever
    the number of packs)."""
    return Product.objects.filter(
        pk__in=PackAssignment.objects.filter(ums=ums).values("pack__product_id")
    ).order_by("sku")


def packs_assignable(*, membership, q: str = "") -> QuerySet[ProductPack]:
    """Live, unexpired packs of the company that no UMS has yet: the choices behind "+"
    (pages slice it); `q` is part of a pack ID."""
    today = timezone.localdate()
    # NOT EXISTS (an anti-join the planner sizes right, where LEFT JOIN … IS NULL was
    # estimated at one row) and "not expired" as plain conditions instead of the status CASE
    # (issue 14: the UMS page at 20,000 packs).
    qs = (
        ProductPack.objects.filter(
            ~Exists(PackAssignment.objects.filter(pack=OuterRef("pk"))),
            Q(starts_on__gt=today) | Q(expires_on__isnull=True) | Q(expires_on__gt=today),
            company_id=membership.company_id,
            state=ProductPack.State.LIVE,
        )
        .select_related("product")
        .with_status(today)
    )
    if q:
        qs = qs.filter(pack_id__icontains=q.strip())
    return qs.order_by("product__sku", "created_at", "id")


def ums_choices(*, membership) -> list[tuple[str, str]]:
    """(UMS ID, name) of the company's UMS instances, for filters."""
    return list(
        UmsInstance.objects.filter(company_id=membership.company_id)
        .order_by("name", "ums_id")
        .values_list("ums_id", "name")
    )
