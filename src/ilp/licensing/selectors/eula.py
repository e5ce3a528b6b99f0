"""Reads of EULAs (rule 20): the vendor's EULA and the version in force."""

import datetime

from django.utils import timezone

from ilp.core.prepared import Prepared

from ..models import Eula, EulaVersion, Order, ProductPack
from .packs import PACK_RELATED


def vendor_eula() -> Eula | None:
    """The vendor's EULA, which every delivered order carries (None if staff have none)."""
    return Eula.objects.filter(kind=Eula.Kind.VENDOR).first()


def vendor_eula_id_in_force(*, today: datetime.date | None = None) -> int | None:
    """The id of the vendor's EULA when a version of it is in force today, else None: what a
    new order carries (rule 20). One query (`vendor_eula` plus `eula_version_in_force`)."""
    rows = _VENDOR_EULA_IN_FORCE.rows(today=today or timezone.localdate())
    return rows[0][0] if rows else None


_VENDOR_EULA_IN_FORCE = Prepared(
    lambda *, today: (
        EulaVersion.objects.filter(eula__kind=Eula.Kind.VENDOR, published_on__lte=today)
        .order_by()  # any version in force will do
        .values_list("eula_id")[:1]
    ),
    today=datetime.date,
)


def eula_version_in_force(
    *, eula: Eula | None, today: datetime.date | None = None
) -> EulaVersion | None:
    """The version of `eula` in force today: the latest published on or before today."""
    return eula.version_current(today) if eula is not None else None


def vendor_eula_in_force() -> EulaVersion | None:
    """The vendor EULA's version in force, with its EULA (what the portal shows to accept)."""
    eula = vendor_eula()
    version = eula_version_in_force(eula=eula)
    if version is not None:
        version.eula = eula
    return version


def eula_versions_in_force(*, eula_ids) -> dict[int, EulaVersion]:
    """The version in force of each of these EULAs (with its EULA), by EULA id; EULAs with
    none in force are absent."""
    found = {}
    for eula in Eula.objects.filter(pk__in=set(eula_ids)):
        version = eula.version_current()
        if version is not None:
            version.eula = eula
            found[eula.pk] = version
    return found


def packs_waiting_for_third_party_eula(*, membership, order) -> list[ProductPack]:
    """The company's packs created by `order` (split-off ones too) whose third-party EULA
    waits for acceptance."""
    return list(
        ProductPack.objects.filter(
            company_id=membership.company_id,
            order=order,
            third_party_eula__isnull=False,
            third_party_eula_accepted_at__isnull=True,
        )
        .select_related(*PACK_RELATED)
        .order_by("pk")
    )


def pack_eulas_to_accept(*, pack: ProductPack) -> dict:
    """What a pack waits for, with the text to read: `order_version` (the vendor EULA of the
    order that created it, covering the whole order) and `third_party_version`."""
    wanted = []
    if pack.order_eula_pending:
        wanted.append(pack.order.eula_id)
    if pack.third_party_eula_pending:
        wanted.append(pack.third_party_eula_id)
    versions = eula_versions_in_force(eula_ids=wanted) if wanted else {}
    return {
        "order_version": versions.get(pack.order.eula_id) if pack.order_eula_pending else None,
        "third_party_version": versions.get(pack.third_party_eula_id)
        if pack.third_party_eula_pending
        else None,
    }


def eulas_waiting(*, membership) -> dict:
    """Everything the company waits to accept (what "Accept all" accepts and its confirmation
    names): `orders` whose vendor EULA waits, `packs` whose third-party EULA waits, each in
    primary-key order (the lock order), `versions` the version in force of each EULA named,
    by EULA id, and `blocked_packs`, the live packs that issue no device licenses until then
    (packs a renewal extended keep the order that created them, so they are not among them
    unless that order waits)."""
    orders = list(
        Order.objects.filter(
            company_id=membership.company_id, eula__isnull=False, eula_accepted_at__isnull=True
        )
        .select_related("eula")
        .order_by("pk")
    )
    packs = list(
        ProductPack.objects.filter(
            company_id=membership.company_id,
            third_party_eula__isnull=False,
            third_party_eula_accepted_at__isnull=True,
        )
        .select_related(*PACK_RELATED)
        .order_by("pk")
    )
    versions = eula_versions_in_force(
        eula_ids={o.eula_id for o in orders} | {p.third_party_eula_id for p in packs}
    )
    blocked = list(
        ProductPack.objects.filter(company_id=membership.company_id, state=ProductPack.State.LIVE)
        .eula_pending()
        .order_by("pk")
        .values_list("pack_id", flat=True)
    )
    return {"orders": orders, "packs": packs, "versions": versions, "blocked_packs": blocked}


def packs_blocked_by_eula(*, membership, limit: int) -> tuple[list[str], int]:
    """The dashboard's EULA card: the IDs of the first `limit` live packs that issue no device
    licenses because an EULA waits (their order's or their own), and how many there are.
    Packs a renewal extended are among them only when the order that created them waits."""
    qs = (
        ProductPack.objects.filter(company_id=membership.company_id, state=ProductPack.State.LIVE)
        .eula_pending()
        .order_by("pk")
    )
    return list(qs.values_list("pack_id", flat=True)[:limit]), qs.count()
