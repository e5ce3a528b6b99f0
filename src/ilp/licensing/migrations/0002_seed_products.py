from django.db import migrations

CATALOGUE = [
    ("WE", "Workspace Edition", "WE", 1, "subscription"),
    ("EMP", "Enterprise Management Pack", "EMP", 1, "subscription"),
    ("ICG", "Cloud Gateway", "ICG", 10, "subscription"),
    ("WE-P", "Workspace Edition (perpetual)", "WEP", 1, "perpetual"),
]


def seed(apps, schema_editor):
    Product = apps.get_model("licensing", "Product")
    for sku, name, prefix, multiple, term in CATALOGUE:
        Product.objects.update_or_create(
            sku=sku,
            defaults={"name": name, "pack_prefix": prefix, "seat_multiple": multiple, "term": term},
        )


class Migration(migrations.Migration):
    dependencies = [("licensing", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
