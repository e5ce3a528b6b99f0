"""Company search (API.md, third round): one box over packs, subscription keys, orders,
UMS, members and unit IDs. Each app's selector searches its own objects through the acting
membership (another company's never match); this module only puts them together and
names each item's page."""

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from ilp.accounts.selectors import member_search
from ilp.licensing.selectors import licensing_search
from ilp.rollout.selectors import rollout_search

# At most this many items of each kind: search narrows, it does not list.
PER_KIND = 10
# Shorter queries match too much to mean anything (one letter is in every ID).
MIN_LENGTH = 2

KIND_LABELS = {
    "pack": _("Product packs"),
    "key": _("Subscription keys"),
    "order": _("Orders"),
    "ums": _("UMS IDs"),
    "member": _("Members"),
    "unit_id": _("Devices"),
}


def company_search(*, membership, q: str, limit: int = PER_KIND) -> list[dict]:
    """`{"kind", "id", "label"}` per match, grouped by kind in `KIND_LABELS`' order."""
    q = (q or "").strip()[:100]
    if len(q) < MIN_LENGTH:
        return []
    return [
        *licensing_search(membership=membership, q=q, limit=limit),
        *rollout_search(membership=membership, q=q, limit=limit),
        *member_search(membership=membership, q=q, limit=limit),
    ]


def item_url(gaid: str, item: dict) -> str:
    """The portal page of a search item."""
    kind, ident = item["kind"], item["id"]
    if kind == "pack":
        return reverse("licensing:pack", args=[gaid, ident])
    if kind == "key":
        return reverse("licensing:key", args=[gaid, ident])
    if kind == "order":
        return reverse("licensing:order", args=[gaid, ident])
    if kind == "ums":
        return reverse("rollout:ums_packs", args=[gaid, ident])
    if kind == "unit_id":
        return f"{reverse('rollout:hardware', args=[gaid])}?{urlencode({'q': ident})}"
    return f"{reverse('accounts:manage_company', args=[gaid])}#people"
