"""A fresh install's vendor EULA: a short sample text (rule 20). Staff replace it in the
admin by adding a version. Orders from before this migration carry no EULA (see 0005)."""

import datetime

from django.db import migrations

SLUG = "vendor"
TITLE = "End User License Agreement"
VERSION = "sample-1"
# The same text as ilp.licensing.catalogue.SAMPLE_EULA_TEXT (a migration keeps its own copy).
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


def seed(apps, schema_editor):
    Eula = apps.get_model("licensing", "Eula")
    EulaVersion = apps.get_model("licensing", "EulaVersion")
    if Eula.objects.exists():
        return
    eula = Eula.objects.create(slug=SLUG, title=TITLE, kind="vendor")
    EulaVersion.objects.create(
        eula=eula, version=VERSION, text=SAMPLE_EULA_TEXT, published_on=datetime.date(2000, 1, 1)
    )


class Migration(migrations.Migration):
    dependencies = [("licensing", "0005_eula_and_redeemed_packs")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
