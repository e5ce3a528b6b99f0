"""Company search: UMS instances and devices."""

import re

from django.db.models import Count, Q
from django.utils.translation import ngettext

from .devices import device_scope
from .ums import ums_list


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
