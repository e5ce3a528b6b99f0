"""Webhook events about rollout's objects and the operations rollout orchestrates (orders,
split, merge): written through `ilp.webhooks` in the transaction of the change. Data is read
only when an endpoint subscribes (docs/webhooks.md)."""

from collections.abc import Callable, Iterable

from ilp.licensing.models import Order
from ilp.licensing.services.webhook_events import packs_changed, packs_created, packs_emit
from ilp.webhooks.services import event_emit, events_emit

from ..models import DeviceLicense, UmsInstance
from ..schemas import LicenseSummaryOut, UmsOut

__all__ = ["licenses_emit", "order_placed_emit", "packs_changed", "packs_created", "ums_emit"]


def licenses_emit(
    *,
    company_id: int,
    type: str,
    license_ids: Iterable[str],
    extra: Callable[[DeviceLicense], dict] | None = None,
) -> None:
    """One `type` event per license (by license ID) with the license as the fleet view shows
    it (without its signed document); all of them written in one bulk insert."""
    license_ids = list(license_ids)
    if not license_ids:
        return

    def data():
        rows = (
            DeviceLicense.objects.select_related("product", "pack", "ums")
            .filter(company_id=company_id, license_id__in=license_ids)
            .order_by("pk")
        )
        return [
            {
                **LicenseSummaryOut.from_orm(lic).model_dump(mode="json"),
                **(extra(lic) if extra else {}),
            }
            for lic in rows
        ]

    events_emit(company_id=company_id, type=type, data=data)


def ums_emit(*, ums: UmsInstance) -> None:
    event_emit(
        company_id=ums.company_id,
        type="ums.created",
        data=lambda: UmsOut.from_orm(ums).model_dump(mode="json"),
    )


def order_placed_emit(*, order: Order) -> None:
    """A new order: `order.delivered` (and `order.eula_pending` while its EULA waits) with
    the order object, `product_pack.created` for the packs it made and, for a renewal,
    `product_pack.changed` for the packs it extended."""
    result = order.result
    company_id = order.company_id
    event_emit(company_id=company_id, type="order.delivered", data=lambda: result)
    if not result.get("eula_accepted", True):
        event_emit(company_id=company_id, type="order.eula_pending", data=lambda: result)
    new = [p.pack_id for p in order.packs_new]
    packs_emit(company_id=company_id, type="product_pack.created", pack_ids=new)
    if order.kind == Order.Kind.RENEWAL:
        extended = [p["id"] for p in result.get("product_packs", []) if p["id"] not in new]
        packs_emit(
            company_id=company_id,
            type="product_pack.changed",
            pack_ids=extended,
            change="renewal",
        )
