import pytest

from ilp.licensing.models import DeliveryToken, ProductPack, Renewal

pytestmark = pytest.mark.django_db


def test_demo_orders_cover_every_state():
    from ilp.web import demo

    ctx = demo.load()
    acme = ctx.companies["acme"]
    statuses = set(
        ProductPack.objects.filter(company=acme)
        .with_status()
        .values_list("current_status", flat=True)
    )
    assert {"active", "expired"} <= statuses
    packs = ProductPack.objects.filter(company=acme)
    assert packs.filter(expires_on__isnull=True).exists()  # perpetual
    assert packs.filter(product__sku="ICG").exists()
    assert acme.subscription_keys.count() >= 5
    assert DeliveryToken.objects.filter(company=acme).count() == 1
    assert DeliveryToken.objects.filter(registered_at__isnull=True).count() == 1
    assert any("DT-" in note for note in ctx.notes)
    north = ctx.companies["north"]
    assert ProductPack.objects.filter(company=north).with_status_filter("not_yet_active").exists()
    # A decreased renewal waits, so "Redeem renewal" can be tried on demo data.
    waiting = Renewal.objects.get(company=acme, status="awaiting_redemption")
    assert waiting.seats == 30
