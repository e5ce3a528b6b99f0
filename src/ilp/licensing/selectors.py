"""Reads of licensing data. Every read takes the acting membership and sees only its company."""

from django.db.models import QuerySet

from ilp.core.errors import NotFound

from .models import ProductPack, SubscriptionKey

PACK_RELATED = ("product", "subscription_key", "merged_into", "assignment__ums")


def pack_queryset(*, membership) -> QuerySet[ProductPack]:
    """The company's packs with everything PackOut needs, and `current_status` annotated."""
    return (
        ProductPack.objects.filter(company_id=membership.company_id)
        .select_related(*PACK_RELATED)
        .with_status()
    )


def pack_get(*, membership, pack_id: str) -> ProductPack:
    pack = pack_queryset(membership=membership).filter(pack_id=pack_id.upper()).first()
    if pack is None:
        raise NotFound(code="pack_not_found", message=f"No product pack {pack_id}.")
    return pack


def key_get(*, membership, key: str) -> SubscriptionKey:
    found = SubscriptionKey.objects.filter(company_id=membership.company_id, key=key).first()
    if found is None:
        raise NotFound(code="subscription_key_not_found", message=f"No subscription key {key}.")
    return found
