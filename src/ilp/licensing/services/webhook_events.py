"""Webhook events about licensing's objects (docs/webhooks.md): written through
`ilp.webhooks` in the transaction of the change. Their data is read (as the API shows the
pack now) only when an endpoint subscribes."""

import datetime
from collections.abc import Iterable

from ilp.webhooks.services import events_emit

from ..models import ProductPack
from ..schemas import PackOut

# product_pack.changed says what changed in `data.change`.
SPLIT, MERGE, RENEWAL, EULA, CANCEL = "split", "merge", "renewal", "eula", "cancel"


def packs_emit(
    *, company_id: int, type: str, pack_ids: Iterable[str], change: str | None = None
) -> None:
    """One `type` event per pack (by pack ID), with the pack object as data."""
    pack_ids = list(dict.fromkeys(pack_ids))
    if not pack_ids:
        return

    def data():
        packs = (
            ProductPack.objects.select_related("product", "subscription_key", "merged_into")
            .filter(company_id=company_id, pack_id__in=pack_ids)
            .order_by("pk")
        )
        extra = {"change": change} if change else {}
        return [{**PackOut.from_orm(p).model_dump(mode="json"), **extra} for p in packs]

    events_emit(company_id=company_id, type=type, data=data)


def packs_changed(*, company_id: int, packs: Iterable[ProductPack], change: str) -> None:
    packs_emit(
        company_id=company_id,
        type="product_pack.changed",
        pack_ids=[p.pack_id for p in packs],
        change=change,
    )


def packs_created(*, company_id: int, packs: Iterable[ProductPack]) -> None:
    packs_emit(
        company_id=company_id, type="product_pack.created", pack_ids=[p.pack_id for p in packs]
    )


def packs_expiring(
    *, company_id: int, due: list[tuple[ProductPack, int]], today: datetime.date
) -> None:
    """`product_pack.expiring` for each pack whose reminder is due today (the reminder days
    of `send-reminders`), with `days_left` and the reminder's `days_before`."""

    def data():
        return [
            {
                **PackOut.from_orm(pack).model_dump(mode="json"),
                "days_left": (pack.expires_on - today).days,
                "days_before": days,
            }
            for pack, days in due
        ]

    events_emit(company_id=company_id, type="product_pack.expiring", data=data)
