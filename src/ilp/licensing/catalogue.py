"""The product catalogue ILP starts with (API.md): staff maintain it in the admin afterwards.

Imported by `LicensingConfig.ready()`, when the models are loaded.
"""

from .models import Product

# (sku, name, pack prefix, seat multiple, term)
STARTING_CATALOGUE = [
    ("WE", "Workspace Edition", "WE", 1, "subscription"),
    ("EMP", "Enterprise Management Pack", "EMP", 1, "subscription"),
    ("ICG", "Cloud Gateway", "ICG", 10, "subscription"),
    ("WE-P", "Workspace Edition (perpetual)", "WEP", 1, "perpetual"),
]


def catalogue_seed_if_empty(sender=None, using="default", **kwargs) -> None:
    """post_migrate: an empty catalogue gets the starting products.

    The data migration seeds a new database; this also covers a database whose tables were
    flushed (Django's `flush`, transactional tests). A catalogue with any product in it is
    the staff's and is left alone.
    """
    if Product.objects.using(using).exists():
        return
    Product.objects.using(using).bulk_create(
        Product(sku=sku, name=name, pack_prefix=prefix, seat_multiple=multiple, term=term)
        for sku, name, prefix, multiple, term in STARTING_CATALOGUE
    )
