"""Reads of rollout data: scoped by the acting membership (company side) or the UMS itself.

Services read through these too, except where a read takes row locks: those stay beside the
write they protect (lock before count).
"""

import datetime
import re
from collections.abc import Iterable

from django.db.models import (
    BooleanField,
    CharField,
    Count,
    Exists,
    F,
    Func,
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
from django.utils.translation import ngettext

from ilp.accounts.models import Company
from ilp.core.auth import Principal
from ilp.core.errors import Invalid, NotFound
from ilp.core.ids import token_hash
from ilp.core.prepared import Prepared
from ilp.core.unit_ids import unit_id_search_normalize
from ilp.licensing.models import Product, ProductPack, SubscriptionKey
from ilp.licensing.selectors import PACK_RELATED

from .errors import RolloutError
from .licensee import Licensee
from .models import AldToken, DemoLicense, DeviceLicense, PackAssignment, UmsInstance

LICENSE_RELATED = ("product", "pack", "ums")


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


def ums_packs(*, ums) -> QuerySet[ProductPack]:
    """The packs of this caller (what `GET /ums/product-packs` shows): a UMS's assigned
    packs, or an ALD token's key's live packs."""
    licensee = Licensee.of(ums)
    return (
        ProductPack.objects.filter(_listed_packs_q(licensee))
        .select_related(*PACK_RELATED)
        .with_status()
        .order_by("created_at", "id")
    )


def _listed_packs_q(licensee: Licensee, prefix: str = "") -> Q:
    """The filter of the packs a caller sees (`ums_packs`, the license file): a UMS's
    assigned packs, an ALD token's key's live ones."""
    q = licensee.packs_q(prefix)
    if licensee.ald is not None:
        q &= Q(**{f"{prefix}state": ProductPack.State.LIVE})
    return q


def ums_license_list(
    *, ums, unit_id: str | None = None, changed_since: datetime.datetime | None = None
) -> QuerySet[DeviceLicense]:
    """This caller's active licenses, optionally of one device, or only those whose document
    was signed at or after `changed_since` (a refresh, a renewal, an exchange, a move)."""
    licensee = Licensee.of(ums)
    qs = DeviceLicense.objects.filter(
        licensee.licenses_q(), status=DeviceLicense.Status.ACTIVE
    ).select_related(*LICENSE_RELATED)
    if unit_id:
        # With the company, the (company, unit_id) index finds the device's few rows.
        qs = qs.filter(
            company_id=licensee.company_id,
            unit_id=unit_id_search_normalize(unit_id) or unit_id.upper(),
        )
    if changed_since is not None:
        qs = qs.filter(document_signed_at__gte=changed_since)
    return qs.order_by("issued_at", "id")


def license_file_licenses(*, ums) -> QuerySet[DeviceLicense]:
    """The licenses a caller's license file carries: its active licenses on the packs
    `ums_packs` lists. Said as a join, not `pack IN (the packs' query)`: PostgreSQL planned
    that semi-join as a nested loop over all of a UMS's packs per license (185 s for the
    largest customer's 308,000 licenses on 11,000 packs; 4 s as a join)."""
    licensee = Licensee.of(ums)
    return ums_license_list(ums=licensee).filter(_listed_packs_q(licensee, prefix="pack__"))


class _DistinctFrom(Func):
    """`a IS DISTINCT FROM b`: unequal, a null unequal to a value (SQLite ≥ 3.39 too)."""

    arg_joiner = " IS DISTINCT FROM "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def licenses_due_candidates(
    *, licensee: Licensee, now: datetime.datetime, lease_days: int
) -> list[DeviceLicense]:
    """This caller's active licenses that may need a fresh document (the services decide
    exactly with `document_due`), locked in primary-key order, loaded for signing.

    Found in two cheap reads before the lock (issue 14: no scan of a large fleet's rows):
    documents due by time through the partial index on (ums, document_expires_at), and the
    packs whose end moved away from one of their licenses' through an index-only semi-join
    on (ums, pack, expires_on)."""
    half = now + datetime.timedelta(days=lease_days) / 2
    active = DeviceLicense.objects.filter(licensee.licenses_q(), status=DeviceLicense.Status.ACTIVE)
    moved = list(
        ProductPack.objects.filter(company_id=licensee.company_id)
        .filter(
            Exists(
                active.filter(pack=OuterRef("pk")).filter(
                    _DistinctFrom(F("expires_on"), OuterRef("expires_on"))
                )
            )
        )
        .values_list("pk", flat=True)
    )
    due = (
        Q(document_signed_at__isnull=True)
        | Q(document_expires_at__isnull=True)
        | Q(document_expires_at__lt=half)
    )
    if moved:
        due |= Q(pack_id__in=moved)
    return list(
        active.select_for_update(of=("self",))
        .select_related("pack__product", "pack__subscription_key", "company", "ums")
        .filter(due)
        .order_by("pk")
    )


def revoked_license_ids(*, ums, now: datetime.datetime) -> list[str]:
    """Every license issued through the caller's packs (a UMS or an ALD token,
    `Licensee.revocations_q`) that was returned, removed or revoked and one of whose documents
    may still verify (rule 21): the content of its revocation list."""
    licensee = Licensee.of(ums)
    return list(
        DeviceLicense.objects.filter(licensee.revocations_q(), company_id=licensee.company_id)
        .exclude(status=DeviceLicense.Status.ACTIVE)
        .filter(Q(listed_until__isnull=True) | Q(listed_until__gt=now))
        .order_by("license_id")
        .values_list("license_id", flat=True)
    )


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


def licenses_listed(*, company_id: int, now: datetime.datetime, **filters):
    """The ended licenses still on the revocation list (pages), newest first."""
    return (
        DeviceLicense.objects.filter(company_id=company_id, **filters)
        .exclude(status=DeviceLicense.Status.ACTIVE)
        .filter(Q(listed_until__isnull=True) | Q(listed_until__gt=now))
        .select_related(*LICENSE_RELATED)
        .order_by("-ended_at", "-id")
    )


def _license_in(scope: QuerySet[DeviceLicense], license_id: str) -> DeviceLicense:
    """The license `license_id` within the caller's scope; one 404 for missing and foreign."""
    lic = scope.filter(license_id=(license_id or "").upper()).first()
    if lic is None:
        raise NotFound(
            _("No license %(id)s.") % {"id": license_id}, code=RolloutError.LICENSE_NOT_FOUND
        )
    return lic


def ums_license_get(*, ums, license_id: str) -> DeviceLicense:
    """One of this caller's licenses, also an ended one (a repeated DELETE answers 204)."""
    return _license_in(
        DeviceLicense.objects.filter(Licensee.of(ums).licenses_q()).select_related(
            *LICENSE_RELATED
        ),
        license_id,
    )


def device_unit_id(raw: str) -> str:
    """A unit ID or MAC address with any separator, normalised; 422 if it cannot be one."""
    unit_id = unit_id_search_normalize(raw)
    if unit_id is None:
        raise Invalid(
            _("%(value)s is not a unit ID or MAC address (6 to 64 letters and digits).")
            % {"value": raw},
            code=RolloutError.INVALID_UNIT_ID,
        )
    return unit_id


def device_licenses(
    *, membership, unit_id: str, active_only: bool = True
) -> QuerySet[DeviceLicense]:
    """The company's licenses of one device (search hardware), active first."""
    qs = DeviceLicense.objects.filter(
        company_id=membership.company_id, unit_id=device_unit_id(unit_id)
    ).select_related(*LICENSE_RELATED)
    if active_only:
        qs = qs.filter(status=DeviceLicense.Status.ACTIVE)
    return qs.order_by("status", "-issued_at", "-id")


def device_license_get(*, membership, unit_id: str, license_id: str) -> DeviceLicense:
    """One of the company's licenses of this device, also an ended one."""
    return _license_in(
        device_licenses(membership=membership, unit_id=unit_id, active_only=False), license_id
    )


def principal_for_ums_credential(token: str) -> Principal | None:
    """The UMS instance behind a credential (`ilpm_…`)."""
    # One prepared statement on the unique index, the company with it (the routes need it
    # next); no ORDER BY (`.first()` would sort by name what is at most one row).
    rows = _UMS_BY_CREDENTIAL.rows(digest=token_hash(token))
    if not rows:
        return None
    n = len(_UMS_FIELDS)
    ums = UmsInstance.from_db("default", _UMS_FIELDS, rows[0][:n])
    ums.company = Company.from_db("default", _COMPANY_FIELDS, rows[0][n:])
    return Principal(kind="ums", ums=ums)


_UMS_FIELDS = [f.attname for f in UmsInstance._meta.concrete_fields]
_COMPANY_FIELDS = [f.attname for f in Company._meta.concrete_fields]
_UMS_BY_CREDENTIAL = Prepared(
    lambda *, digest: (
        UmsInstance.objects.filter(credential_hash=digest)
        .order_by()
        .values_list(*_UMS_FIELDS, *(f"company__{name}" for name in _COMPANY_FIELDS))[:1]
    ),
    digest=str,
)


def principal_for_ald_token(token: str) -> Principal | None:
    """The ALD token behind a bearer token (`ilpa_…`): a UMS credential of one key."""
    ald = next(
        iter(
            AldToken.objects.select_related("company", "subscription_key")
            .filter(token_hash=token_hash(token))
            .order_by()[:1]
        ),
        None,
    )
    return Principal(kind="ald", ald_token=ald) if ald is not None else None


def ald_token_of(*, key) -> AldToken | None:
    """The ALD token of a subscription key the caller looked up in scope, if it has one."""
    return AldToken.objects.filter(subscription_key=key).first()


def device_demo_licenses(*, membership, unit_id: str) -> QuerySet[DemoLicense]:
    """The company's demo licenses of one device (search hardware), newest first."""
    return (
        DemoLicense.objects.filter(company_id=membership.company_id, unit_id=unit_id)
        .select_related("product", "ums")
        .order_by("-issued_at", "-id")
    )


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


def sku_normalise(sku: str | None) -> str:
    """A SKU as a UMS may name it (any case, stray spaces) as the catalogue spells it."""
    return (sku or "").strip().upper()


def product_find(*, sku: str) -> Product | None:
    """The product of a SKU as a UMS names it, or None."""
    return Product.objects.filter(sku=sku_normalise(sku)).first()


def product_id_of(sku: str) -> Subquery:
    """The product of a (normalised) SKU as a subquery: a query that filters by it stays one
    statement, and PostgreSQL uses it as one value in an index condition (`= $0`), where a
    join on `product.sku` would let the plan depend on the statistics."""
    return Subquery(Product.objects.filter(sku=sku).values("pk")[:1])


def device_licenses_held(
    *, company_id: int, sku: str, unit_ids: Iterable[str]
) -> dict[str, DeviceLicense]:
    """The company's active licenses of product `sku` for these (normalised) unit IDs, by unit
    ID, whichever of its UMS instances or ALD tokens they were issued to (a device holds one
    license per product), loaded with their pack (to see whether the caller may use it) and
    what signing them again needs. First a lean probe of the unique index (company, product,
    unit ID): a new device, the usual case, costs that one statement."""
    unit_ids = list(unit_ids)
    if not unit_ids:
        return {}
    if len(unit_ids) == 1:
        # One device (the hot path) by equality, prepared once: all three columns sit in the
        # index condition whatever the statistics say.
        rows = _HELD_ONE.rows(company_id=company_id, sku=sku, unit_id=unit_ids[0])
        pks = [pk for (pk,) in rows]
    else:
        pks = list(
            DeviceLicense.objects.filter(
                company_id=company_id,
                product_id=product_id_of(sku),
                unit_id__any_of=unit_ids,
                status=DeviceLicense.Status.ACTIVE,
            )
            .order_by()
            .values_list("pk", flat=True)
        )
    if not pks:
        return {}
    return {
        lic.unit_id: lic
        for lic in DeviceLicense.objects.select_related(
            "pack__product", "pack__subscription_key", "product", "ums", "company"
        ).filter(pk__any_of=pks, status=DeviceLicense.Status.ACTIVE)
    }


_HELD_ONE = Prepared(
    lambda *, company_id, sku, unit_id: (
        DeviceLicense.objects.filter(
            company_id=company_id,
            product_id=product_id_of(sku),
            unit_id=unit_id,
            status=DeviceLicense.Status.ACTIVE,
        )
        .order_by()
        .values_list("pk")
    ),
    company_id=int,
    sku=str,
    unit_id=str,
)


# The pack columns `pack_pick_first` reads, and the two names signing a license needs.
_PACK_FIELDS = [f.attname for f in ProductPack._meta.concrete_fields]


def _pick(holder_field: str, holder_kind: type) -> Prepared:
    def build(*, holder, sku, today):
        return (
            ProductPack.objects.issuable(today)
            .with_free_seat()
            .filter(**{holder_field: holder}, product_id=product_id_of(sku))
            .in_claim_order()
            .values_list(*_PACK_FIELDS, "product__sku", "subscription_key__key")[:1]
        )

    return Prepared(build, holder=holder_kind, sku=str, today=datetime.date)


# One prepared pick per column `Licensee.claim_holder` may name.
_PICKS = {
    "assigned_to": _pick("assigned_to", str),
    "subscription_key_id": _pick("subscription_key_id", int),
}


def pack_pick_first(*, licensee: Licensee, sku: str, today: datetime.date) -> ProductPack | None:
    """The first pack rule 12 hands a seat from to this caller (`ProductPack.objects
    .issuable()` with a free seat, the caller's, of the product, in claim order), with its
    product's SKU and its key loaded for signing; one prepared statement on the claim index.
    None when the caller has no such pack."""
    ((field, holder),) = licensee.claim_holder().items()
    rows = _PICKS[field].rows(holder=holder, sku=sku, today=today)
    if not rows:
        return None
    row = rows[0]
    n = len(_PACK_FIELDS)
    pack = ProductPack.from_db("default", _PACK_FIELDS, row[:n])
    pack.product = Product.from_db("default", ["id", "sku"], (pack.product_id, row[n]))
    pack.subscription_key = SubscriptionKey.from_db(
        "default", ["id", "key"], (pack.subscription_key_id, row[n + 1])
    )
    return pack


def pack_licenses_active(*, packs: Iterable[ProductPack]) -> QuerySet[DeviceLicense]:
    """The active licenses of packs the caller already looked up in scope (or holds locked),
    loaded with what the split page shows and what signing them again needs."""
    return DeviceLicense.objects.filter(
        pack__in=[p.pk for p in packs], status=DeviceLicense.Status.ACTIVE
    ).select_related("ums", "company", "pack__product", "pack__subscription_key")


def pack_licenses_active_count(*, packs: Iterable[ProductPack]) -> int:
    """How many active licenses these packs carry (call it holding their row locks)."""
    return DeviceLicense.objects.filter(
        pack__in=[p.pk for p in packs], status=DeviceLicense.Status.ACTIVE
    ).count()


def device_scope(
    *,
    membership,
    product: str | None = None,
    pack_id: str | None = None,
    ums_id: str | None = None,
    q: str | None = None,
) -> QuerySet[DeviceLicense]:
    """The company's active device licenses matching the fleet filters (API.md "Fleet views"):
    product SKU, pack ID, UMS ID, and `q` a unit-ID prefix (any separator, any case)."""
    qs = DeviceLicense.objects.filter(
        company_id=membership.company_id, status=DeviceLicense.Status.ACTIVE
    )
    if product:
        qs = qs.filter(product__sku=product.strip().upper())
    if pack_id:
        qs = qs.filter(pack__pack_id=pack_id.strip().upper())
    if ums_id:
        qs = qs.filter(ums__ums_id=ums_id.strip().upper())
    prefix = re.sub(r"[^0-9A-Za-z]", "", q or "").upper()
    if prefix:
        qs = qs.filter(unit_id__startswith=prefix)
    return qs


def device_unit_ids(*, scope: QuerySet[DeviceLicense]) -> QuerySet:
    """The distinct unit IDs of a device scope, in order: what the devices list pages over."""
    return scope.order_by("unit_id").values_list("unit_id", flat=True).distinct()


def devices_of(*, scope: QuerySet[DeviceLicense], unit_ids: Iterable[str]) -> list[dict]:
    """`{"unit_id", "licenses"}` for one page of unit IDs: one query whatever the page size."""
    unit_ids = list(unit_ids)
    by_unit: dict[str, list[DeviceLicense]] = {u: [] for u in unit_ids}
    for lic in (
        scope.filter(unit_id__in=unit_ids)
        .select_related(*LICENSE_RELATED)
        .order_by("unit_id", "product__sku", "issued_at", "id")
    ):
        by_unit[lic.unit_id].append(lic)
    return [{"unit_id": u, "licenses": by_unit[u]} for u in unit_ids]


def device_export_rows(*, scope: QuerySet[DeviceLicense]) -> Iterable[tuple]:
    """Every license of a device scope as a CSV row (streamed, one query)."""
    return (
        scope.order_by("unit_id", "product__sku", "id")
        .values_list(
            "unit_id",
            "product__sku",
            "pack__pack_id",
            "ums__ums_id",
            "license_id",
            "issued_at",
            "expires_on",
            "document_expires_at",
        )
        .iterator(chunk_size=2000)
    )


DEVICE_EXPORT_HEADER = (
    "unit_id",
    "product",
    "pack_id",
    "ums_id",
    "license_id",
    "issued_at",
    "expires_on",
    "lease_expires_at",
)


def fleet_products(*, membership) -> list[str]:
    """The SKUs the company holds device licenses of (the devices page's product filter):
    one EXISTS probe per product on the active-license constraint's index."""
    return list(
        Product.objects.filter(
            Exists(
                DeviceLicense.objects.filter(
                    company_id=membership.company_id,
                    product=OuterRef("pk"),
                    status=DeviceLicense.Status.ACTIVE,
                )
            )
        )
        .order_by("sku")
        .values_list("sku", flat=True)
    )


def ums_choices(*, membership) -> list[tuple[str, str]]:
    """(UMS ID, name) of the company's UMS instances, for filters."""
    return list(
        UmsInstance.objects.filter(company_id=membership.company_id)
        .order_by("name", "ums_id")
        .values_list("ums_id", "name")
    )


def licenses_stale_ids(
    *, pack_ids: Iterable[int] | None = None, limit: int, after: int = 0
) -> list[int]:
    """Up to `limit` active licenses (primary keys above `after`, in order) of these packs —
    or of any pack with `pack_ids` None — whose document names another end than their
    pack's (a renewal moved it): what the re-sign task signs again. Nothing is locked."""
    qs = DeviceLicense.objects.filter(status=DeviceLicense.Status.ACTIVE, pk__gt=after).filter(
        _DistinctFrom(F("expires_on"), F("pack__expires_on"))
    )
    if pack_ids is not None:
        qs = qs.filter(pack_id__in=list(pack_ids))
    return list(qs.order_by("pk").values_list("pk", flat=True)[:limit])


def licenses_stale_lock(*, pks: Iterable[int]) -> list[DeviceLicense]:
    """These licenses, locked in primary-key order and loaded for signing, if they are still
    active and still name another end than their pack's (a concurrent run, move or return
    may have dealt with them meanwhile)."""
    return list(
        DeviceLicense.objects.select_for_update(of=("self",))
        .select_related("pack__product", "pack__subscription_key", "company", "ums")
        .filter(pk__in=list(pks), status=DeviceLicense.Status.ACTIVE)
        .filter(_DistinctFrom(F("expires_on"), F("pack__expires_on")))
        .order_by("pk")
    )


def device_licenses_active_many(
    *, membership, unit_ids: Iterable[str], product: str | None = None
) -> list[DeviceLicense]:
    """The company's active licenses of these devices (normal form), of one product when
    `product` names its SKU: what bulk "Remove" returns."""
    qs = DeviceLicense.objects.filter(
        company_id=membership.company_id,
        status=DeviceLicense.Status.ACTIVE,
        unit_id__in=list(unit_ids),
    )
    if product:
        qs = qs.filter(product__sku=sku_normalise(product))
    return list(qs.select_related(*LICENSE_RELATED).order_by("pack_id", "pk"))


def rollout_search(*, membership, q: str, limit: int) -> list[dict]:
    """Company search (API.md, third round): UMS by ID or name, and devices whose unit ID
    starts with `q` (any separator, any case; `core.unit_ids`)."""
    text = (q or "").strip()
    if not text:
        return []
    items: list[dict] = []
    plain = re.sub(r"[^0-9A-Za-z]", "", text).upper()
    ums_q = Q(name__icontains=text)
    if plain:
        ums_q |= Q(ums_id__contains=plain)
    for ums in ums_list(membership=membership).filter(ums_q).order_by("name", "ums_id")[:limit]:
        items.append({"kind": "ums", "id": ums.ums_id, "label": f"{ums.name} · {ums.ums_id}"})
    if len(plain) >= 4:
        counted = (
            device_scope(membership=membership, q=plain)
            .values("unit_id")
            .annotate(n=Count("id"))
            .order_by("unit_id")[:limit]
        )
        for row in counted:
            items.append(
                {
                    "kind": "unit_id",
                    "id": row["unit_id"],
                    "label": ngettext(
                        "%(unit)s · %(n)s active license",
                        "%(unit)s · %(n)s active licenses",
                        row["n"],
                    )
                    % {"unit": row["unit_id"], "n": row["n"]},
                }
            )
    return items
