"""Rule 12's reads on the seat path: the held licenses of devices and the first pack a
caller claims a seat from (prepared statements)."""

import datetime
from collections.abc import Iterable

from django.db.models import Subquery

from ilp.core.prepared import Prepared
from ilp.licensing.models import Product, ProductPack, SubscriptionKey

from ..licensee import Licensee
from ..models import DeviceLicense


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
