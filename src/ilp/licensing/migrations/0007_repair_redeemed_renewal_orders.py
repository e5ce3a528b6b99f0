"""Repair orders whose renewal was redeemed before redemption finished the order (issue 10).

Before, redeeming a decreased renewal left its order `awaiting_redemption` with no packs. For
every redeemed renewal this records the packs it kept (`Renewal.redeemed_packs`): the pack
IDs its `renewal.redeemed` audit event names, else the packs of its key and product that now
expire on its new expiry. Then every order none of whose renewals still waits becomes
`fulfilled`. The stored first answer (`Order.result`, what a replay returns) is left as it
was; the reads (staff and company API, order page) show the status and packs.
"""

from django.db import migrations


def _kept_pack_ids(renewal, AuditEvent, ProductPack) -> list[str]:
    event = (
        AuditEvent.objects.filter(
            action="renewal.redeemed",
            object_type="renewal",
            object_id=f"{renewal.order.order_number}/{renewal.product.sku}",
        )
        .order_by("-created_at", "-id")
        .first()
    )
    ids = (event.after or {}).get("product_packs") if event else None
    if ids:
        return [str(i) for i in ids]
    return list(
        ProductPack.objects.filter(
            subscription_key_id=renewal.subscription_key_id,
            product_id=renewal.product_id,
            expires_on=renewal.expires_on,
        )
        .order_by("pk")
        .values_list("pack_id", flat=True)
    )


def repair(apps, schema_editor):
    Order = apps.get_model("licensing", "Order")
    Renewal = apps.get_model("licensing", "Renewal")
    ProductPack = apps.get_model("licensing", "ProductPack")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    redeemed = Renewal.objects.filter(status="redeemed").select_related("order", "product")
    for renewal in redeemed.order_by("pk"):
        if not renewal.redeemed_packs:
            renewal.redeemed_packs = _kept_pack_ids(renewal, AuditEvent, ProductPack)
            renewal.save(update_fields=["redeemed_packs"])
    for order in Order.objects.filter(status="awaiting_redemption").order_by("pk"):
        if not Renewal.objects.filter(order=order, status="awaiting_redemption").exists():
            order.status = "fulfilled"
            order.save(update_fields=["status"])


class Migration(migrations.Migration):
    dependencies = [
        ("licensing", "0006_seed_sample_eula"),
        ("audit", "0001_initial"),
    ]
    operations = [migrations.RunPython(repair, migrations.RunPython.noop)]
