"""What the catalogue starts with (API.md): the products, and a sample vendor EULA. Staff
maintain both in the admin afterwards.

Imported by `LicensingConfig.ready()`, when the models are loaded.
"""

import datetime

from .models import Eula, EulaVersion, Product

# (sku, name, pack prefix, seat multiple, term)
STARTING_CATALOGUE = [
    ("WE", "Workspace Edition", "WE", 1, "subscription"),
    ("EMP", "Enterprise Management Pack", "EMP", 1, "subscription"),
    ("ICG", "Cloud Gateway", "ICG", 10, "subscription"),
    ("WE-P", "Workspace Edition (perpetual)", "WEP", 1, "perpetual"),
]

# A fresh install's vendor EULA (rule 20): a short sample, so that orders can be accepted
# from the first day. Staff replace it with the real text by adding a version in the admin.
SAMPLE_EULA_SLUG = "vendor"
SAMPLE_EULA_TITLE = "End User License Agreement"
SAMPLE_EULA_VERSION = "sample-1"
SAMPLE_EULA_TEXT = """\
SAMPLE END USER LICENSE AGREEMENT — replace this text in the admin (EULAs → add a version).

1. The software is licensed, not sold. Each seat of a product pack entitles you to run the
   product on one device at a time, for the term of the pack.
2. You may not copy, modify, rent or sub-license the software beyond what the packs you
   bought allow, nor remove its license checks.
3. The software is provided as described in its documentation; liability is limited to the
   price paid for the affected seats, as far as the law allows.
4. The vendor's terms of sale and the law of its registered office apply.
"""


def catalogue_seed_if_empty(sender=None, using="default", apps=None, **kwargs) -> None:
    """post_migrate: an empty catalogue gets the starting products and the sample EULA.

    The data migrations seed a new database; this also covers a database whose tables were
    flushed (Django's `flush`, transactional tests). A catalogue with any product (an EULA
    table with any EULA) in it is the staff's and is left alone. After `migrate` back to
    before a table existed (`apps`, the migrated state, lacks its model), it is skipped.
    """
    if apps is not None and not _in_state(apps, "Product"):
        return
    if not Product.objects.using(using).exists():
        Product.objects.using(using).bulk_create(
            Product(sku=sku, name=name, pack_prefix=prefix, seat_multiple=multiple, term=term)
            for sku, name, prefix, multiple, term in STARTING_CATALOGUE
        )
    if apps is not None and not _in_state(apps, "EulaVersion"):
        return
    if not Eula.objects.using(using).exists():
        eula = Eula.objects.using(using).create(
            slug=SAMPLE_EULA_SLUG, title=SAMPLE_EULA_TITLE, kind=Eula.Kind.VENDOR
        )
        EulaVersion.objects.using(using).create(
            eula=eula,
            version=SAMPLE_EULA_VERSION,
            text=SAMPLE_EULA_TEXT,
            # In force from long ago: orders of any invoice date are accepted under it.
            published_on=datetime.date(2000, 1, 1),
        )


def _in_state(apps, model: str) -> bool:
    try:
        apps.get_model("licensing", model)
    except LookupError:
        return False
    return True
