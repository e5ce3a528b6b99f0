"""Demo rollout for `ilp demo` (after the licensing demo): Acme's UMS with packs and devices."""

from ilp.core.actors import Actor
from ilp.licensing.models import ProductPack

from .services import licenses_issue, pack_assign, ums_register


def load(ctx) -> None:
    acme = ctx.companies["acme"]
    admin = Actor.for_user(ctx.users["admin"])
    ums, credential = ums_register(
        actor=admin, company=acme, name="UMS Bremen headquarters", auto_assign=True
    )
    ums_register(actor=admin, company=acme, name="UMS Hamburg warehouse (offline)")
    # Its active WE and EMP packs, so the devices below get licenses from them.
    live = (
        ProductPack.objects.filter(company=acme, state=ProductPack.State.LIVE)
        .with_status()
        .filter(current_status="active", product__sku__in=["WE", "EMP"])
        .order_by("created_at", "pk")
    )
    for pack in live:
        pack_assign(actor=admin, ums=ums, pack=pack)
    ums_actor = Actor.for_ums(ums)
    devices = [f"00:E0:C5:4D:{n // 256:02X}:{n % 256:02X}" for n in range(1, 21)]
    licenses_issue(actor=ums_actor, ums=ums, product="WE", unit_ids=devices)
    licenses_issue(actor=ums_actor, ums=ums, product="EMP", unit_ids=devices[:5])
    ctx.notes.append(
        f"UMS credential of {ums.ums_id} ({ums.name}), for /api/v1/ums/…: {credential}"
    )
    ctx.notes.append(f"a licensed demo device (Search hardware): {devices[0]}")
