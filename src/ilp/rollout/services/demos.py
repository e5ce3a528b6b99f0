"""Demo licenses (rule 24): `POST /ums/licenses` with `"demo": true`.

A demo license uses no pack and no seat, lasts ILP_DEMO_DAYS, and is given once per company,
product and unit ID ever (a unique constraint; a concurrent request for the same device
finds the other's row and answers `demo_used`). Its document says `"demo": true` and has no
grace days: a demo that ran out has run out.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction

from ilp.core.actors import Actor
from ilp.licensing.models import Product

from .. import signing
from ..audit_actions import AuditAction
from ..licensee import Licensee
from ..metrics import licenses_issued_count
from ..models import DemoLicense
from .common import _audit_many, _epoch, _new_license_id


def demo_claims(*, demo: DemoLicense, gaid: str) -> dict:
    return {
        "jti": demo.license_id,
        "sub": demo.unit_id,
        "product": demo.product.sku,
        "pack": None,
        "subscription_key": None,
        "gaid": gaid,
        "iat": _epoch(demo.issued_at),
        "exp": _epoch(demo.expires_at),
        "entitled_until": _epoch(demo.expires_at),
        "lease": False,
        "demo": True,
        "grace_days": 0,
        "iss": settings.ILP_BASE_URL,
    }


def demo_licenses_issue(
    *,
    actor: Actor,
    licensee: Licensee,
    product: Product,
    unit_ids: list[str],
    pair: signing.SigningKeyPair,
    now: datetime.datetime,
) -> dict[str, tuple[str, DemoLicense | None]]:
    """A demo license for each of these (normalised, unlicensed) unit IDs that never had
    one of this product in this company; the others get `demo_used` (with their demo
    license while it still runs). Called inside licenses_issue's transaction."""
    if not unit_ids:
        return {}
    earlier = {
        d.unit_id: d
        for d in DemoLicense.objects.select_related("product", "ums").filter(
            company_id=licensee.company_id, product=product, unit_id__in=unit_ids
        )
    }
    outcome: dict[str, tuple[str, DemoLicense | None]] = {}
    for unit_id, demo in earlier.items():
        outcome[unit_id] = ("demo_used", demo if demo.expires_at > now else None)
    gaid = licensee.company.gaid
    # Whole seconds, as in the document: the stored expiry is what the device sees.
    issued = datetime.datetime.fromtimestamp(_epoch(now), tz=datetime.UTC)
    created = []
    for unit_id in unit_ids:
        if unit_id in earlier:
            continue
        demo = DemoLicense(
            license_id=_new_license_id(),
            company=licensee.company,
            product=product,
            unit_id=unit_id,
            issued_at=issued,
            expires_at=issued + datetime.timedelta(days=settings.ILP_DEMO_DAYS),
            **licensee.license_fields(),
        )
        demo.token = signing.jws_sign(demo_claims(demo=demo, gaid=gaid), pair=pair)
        try:
            with transaction.atomic():
                demo.save(force_insert=True)
        except IntegrityError:  # a concurrent request gave this device its demo first
            outcome[unit_id] = ("demo_used", None)
            continue
        created.append(demo)
        outcome[unit_id] = ("demo_issued", demo)
    licenses_issued_count(len(created), kind="demo")
    by = {"ums_id": licensee.ums_id} if licensee.ums else {"ald": licensee.label}
    _audit_many(
        actor=actor,
        company_id=licensee.company_id,
        action=AuditAction.LICENSE_DEMO_ISSUED,
        rows=[
            (
                "demo_license",
                d.license_id,
                None,
                {
                    "unit_id": d.unit_id,
                    "product": product.sku,
                    "expires_at": d.expires_at.isoformat(),
                    **by,
                },
            )
            for d in created
        ],
    )
    return outcome
