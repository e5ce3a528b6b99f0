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


def test_demo_shows_one_order_waiting_for_its_eula():
    from ilp.licensing.models import Order
    from ilp.rollout.models import DeviceLicense
    from ilp.web import demo

    ctx = demo.load()
    acme = ctx.companies["acme"]
    waiting = Order.objects.filter(eula__isnull=False, eula_accepted_at__isnull=True)
    assert [o.order_number for o in waiting] == ["SO-2026-1150"]
    add_on = waiting.get()
    assert add_on.company == acme and add_on.kind == "new"
    # An add-on: its packs joined the big key of SO-2026-1001.
    assert (
        add_on.subscription_key == Order.objects.get(order_number="SO-2026-1001").subscription_key
    )
    packs = ProductPack.objects.filter(order=add_on)
    assert {p.product.sku for p in packs} == {"EMP", "ICG"}
    assert not any(p.eula_accepted for p in packs)
    # Every other pack issues: the UMS demo licensed its devices.
    assert DeviceLicense.objects.filter(company=acme, product__sku="WE").count() == 20
    assert DeviceLicense.objects.filter(company=acme, product__sku="EMP").count() == 5
    assert ProductPack.objects.filter(third_party_eula__isnull=False).exclude(order=add_on).exists()
    assert not ProductPack.objects.exclude(order=add_on).eula_pending().exists()
