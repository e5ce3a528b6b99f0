"""A company's devices: search hardware, the fleet filters, the devices list and its
CSV export, bulk removal."""

import re
from collections.abc import Iterable

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from ilp.core.errors import Invalid
from ilp.core.unit_ids import unit_id_search_normalize
from ilp.licensing.models import Product

from ..errors import RolloutError
from ..models import DemoLicense, DeviceLicense
from .claims import sku_normalise
from .licenses import LICENSE_RELATED, _license_in


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


def device_demo_licenses(*, membership, unit_id: str) -> QuerySet[DemoLicense]:
    """The company's demo licenses of one device (search hardware), newest first."""
    return (
        DemoLicense.objects.filter(company_id=membership.company_id, unit_id=unit_id)
        .select_related("product", "ums")
        .order_by("-issued_at", "-id")
    )


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


def merge_license_conflicts(*, source, target) -> list[str]:
    """Unit IDs for which both companies hold an active license of the same product."""
    rows = (
        DeviceLicense.objects.filter(
            company__in=[source, target], status=DeviceLicense.Status.ACTIVE
        )
        .values("product_id", "unit_id")
        .annotate(n=Count("company_id", distinct=True))
        .filter(n__gt=1)
        .order_by("unit_id")
    )
    return list(dict.fromkeys(r["unit_id"] for r in rows))
