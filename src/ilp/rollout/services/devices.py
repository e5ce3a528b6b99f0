"""Remove hardware in bulk (API.md, third round): return the active licenses of many devices
at once, as "Remove" does for one, in one transaction."""

from collections.abc import Sequence

from django.db import transaction

from ilp.core.actors import Actor
from ilp.core.unit_ids import unit_id_search_normalize

from .. import selectors
from .licenses import _batch_check, license_return


@transaction.atomic
def devices_remove(
    *, actor: Actor, membership, unit_ids: Sequence[str], product: str | None = None
) -> list[dict]:
    """Return every active license of these devices (of one product when `product` names
    its SKU): their seats are free again, one audit event per license (as one by one).

    Unit IDs take any separator (Search hardware's normal form). One result per distinct
    device, in the order given: `removed` when a license was returned now, `not_found` when
    the company had none active (or the text is no unit ID, then given back as typed).
    Packs are locked in primary-key order, then their licenses (issuance's lock order).
    422 `too_many_unit_ids` beyond the batch limit.
    """
    _batch_check(unit_ids)
    wanted = list(dict.fromkeys(unit_id_search_normalize(u) or u for u in unit_ids))
    licenses = selectors.device_licenses_active_many(
        membership=membership,
        unit_ids=[u for u in wanted if unit_id_search_normalize(u)],
        product=product,
    )
    removed = set()
    for lic in sorted(licenses, key=lambda lic: (lic.pack_id, lic.pk)):
        if license_return(actor=actor, license=lic):
            removed.add(lic.unit_id)
    return [{"unit_id": u, "status": "removed" if u in removed else "not_found"} for u in wanted]
