"""Licensing factories: make_key(company, packs=[("WE", 10)]) → a key with its packs."""

import datetime
import itertools

from django.db import models

from ilp.core.ids import crockford
from ilp.licensing.models import Product, ProductPack, SubscriptionKey

_seq = itertools.count(1)


def product(sku: str) -> Product:
    return Product.objects.get(sku=sku)


def make_key(
    company,
    packs=(("WE", 10),),
    *,
    starts_on: datetime.date | None = None,
    expires_on: datetime.date | None = None,
    months: int = 12,
) -> SubscriptionKey:
    """A subscription key with one pack per (sku, seats[, seats_used]) tuple.

    Default dates make the packs active today: started 30 days ago, expiring in a year.
    """
    today = datetime.date.today()
    starts_on = starts_on or today - datetime.timedelta(days=30)
    if expires_on is None:
        expires_on = today + datetime.timedelta(days=335)
    key = SubscriptionKey.objects.create(
        key=f"SK-{crockford(4)}-{crockford(4)}-{crockford(4)}",
        company=company,
        expires_on=expires_on,
    )
    for spec in packs:
        sku, seats, *rest = spec
        make_pack(
            key,
            sku,
            seats,
            seats_used=rest[0] if rest else 0,
            starts_on=starts_on,
            expires_on=expires_on,
        )
    return key


def make_pack(
    key, sku: str, seats: int, *, seats_used: int = 0, starts_on=None, expires_on=None, **fields
) -> ProductPack:
    prod = product(sku)
    first = key.product_packs.first()
    return ProductPack.objects.create(
        pack_id=f"{prod.pack_prefix}-{crockford(5)}",
        subscription_key=key,
        company=key.company,
        product=prod,
        seats=seats,
        seats_used=seats_used,
        starts_on=starts_on or (first.starts_on if first else datetime.date.today()),
        expires_on=None
        if prod.is_perpetual
        else (expires_on or (first.expires_on if first else key.expires_on)),
        **fields,
    )


def make_license(pack, unit_id: str | None = None, *, ums=None, bump: bool = True):
    """An active device license on `pack` (as rollout would issue it); `bump` counts the seat."""
    from ilp.rollout.models import DeviceLicense

    lic = DeviceLicense.objects.create(
        license_id=f"L-{crockford(12)}",
        company_id=pack.company_id,
        product_id=pack.product_id,
        pack=pack,
        ums=ums,
        unit_id=unit_id or f"00E0C5{crockford(6)}",
        expires_on=pack.expires_on,
        token="test-token",
    )
    if bump:
        ProductPack.objects.filter(pk=pack.pk).update(seats_used=models.F("seats_used") + 1)
        pack.refresh_from_db()
    return lic


def seed_catalogue() -> None:
    """Put the seeded products back (transactional tests flush them with every table)."""
    import importlib

    seed = importlib.import_module("ilp.licensing.migrations.0002_seed_products")
    for sku, name, prefix, multiple, term in seed.CATALOGUE:
        Product.objects.update_or_create(
            sku=sku,
            defaults={"name": name, "pack_prefix": prefix, "seat_multiple": multiple, "term": term},
        )
