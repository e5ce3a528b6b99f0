"""Device licenses of a caller (UMS or ALD token): listed packs, the license file,
documents due, revocations, and the active licenses of packs."""

import datetime
from collections.abc import Iterable

from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from ilp.core.errors import NotFound
from ilp.core.unit_ids import unit_id_search_normalize
from ilp.licensing.models import ProductPack
from ilp.licensing.selectors import PACK_RELATED

from ..errors import RolloutError
from ..licensee import Licensee
from ..models import DeviceLicense

LICENSE_RELATED = ("product", "pack", "ums")


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
