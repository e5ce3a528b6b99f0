"""A large customer, built fast: 20,000 packs on 2,000 keys, 500,000 active licenses on
three UMS, 500,000 audit events (issue 14). `ILP_BENCH_SCALE` (default 1) scales every
count, so a test builds the same shape at 1/1000.

PostgreSQL: keys, packs and assignments by `bulk_create`, licenses and audit events by
`COPY` (about a minute at scale 1). SQLite: `bulk_create` throughout (small scales only).

The tenant is consistent: `seats_used` of every pack equals its active licenses, every
license belongs to a pack assigned to its UMS, unit IDs are unique per product.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

PACKS = 20_000
KEYS = 2_000
LICENSES = 500_000
EVENTS = 500_000
# Of the packs: the first UMS holds 11,000 (the case), the second 5,000, the third
# 2,000, the rest is unassigned.
UMS_SHARES = (11_000, 5_000, 2_000)
# A realistic size for the stored JWS of one license (what the license file carries).
TOKEN = "eyJhbGciOiJFZERTQSIsImtpZCI6ImJlbmNoIiwidHlwIjoiaWxwLWxpY2Vuc2Urand0In0." + (
    "x" * 420 + ".sig" + "y" * 82
)


def scale() -> float:
    return float(os.environ.get("ILP_BENCH_SCALE", "1"))


@dataclass
class Tenant:
    company: object
    user: object
    ums: list
    credentials: list
    packs: int
    licenses: int
    events: int


def _scaled(n: int, factor: float, minimum: int = 1) -> int:
    return max(minimum, round(n * factor))


def build(
    *, factor: float | None = None, name: str = "Large Customer", email: str | None = None
) -> Tenant:
    """Build the large customer at `factor` (default `ILP_BENCH_SCALE`) and return it."""
    from django.db import connection, transaction
    from django.utils import timezone

    from ilp.accounts.models import Company, Membership, User
    from ilp.audit.models import AuditEvent
    from ilp.core.bulk import rows_insert
    from ilp.core.ids import crockford, token_hash
    from ilp.licensing.models import Product, ProductPack, SubscriptionKey
    from ilp.rollout.models import DeviceLicense, PackAssignment, UmsInstance

    factor = scale() if factor is None else factor
    n_packs = _scaled(PACKS, factor, 6)
    n_keys = _scaled(KEYS, factor, 1)
    n_licenses = _scaled(LICENSES, factor, 3)
    n_events = _scaled(EVENTS, factor, 1)
    shares = [_scaled(s, factor, 1) for s in UMS_SHARES]
    pg = connection.vendor == "postgresql"
    now = timezone.now()
    today = timezone.localdate()
    tag = crockford(6)

    with transaction.atomic():
        company = Company.objects.create(gaid=f"GA{crockford(8)}", name=name, country="DE")
        user = User.objects.create_user(
            email or f"admin-{tag.lower()}@large.test", "bench-password-1"
        )
        Membership.objects.create(user=user, company=company, role="administrator")
        products = list(Product.objects.filter(sku__in=["WE", "EMP", "ICG"]).order_by("sku"))
        keys = SubscriptionKey.objects.bulk_create(
            (
                SubscriptionKey(
                    key=f"SK-{tag[:4]}-{k:06d}",
                    company=company,
                    expires_on=today + datetime.timedelta(days=200 + k % 300),
                    created_at=now - datetime.timedelta(days=400, minutes=k),
                )
                for k in range(n_keys)
            ),
            batch_size=2000,
        )
        ums = [
            UmsInstance.objects.create(
                ums_id=f"UMS{tag}{i}",
                company=company,
                name=f"UMS {i + 1}",
                credential_hash=token_hash(f"ilpm_bench{tag}{i}"),
            )
            for i in range(len(shares))
        ]
        # The first packs go to the UMS instances, in their shares; licenses spread evenly
        # over the assigned packs.
        owner: list = []
        for u, share in zip(ums, shares, strict=True):
            owner.extend([u] * share)
        owner = owner[:n_packs]
        assigned = len(owner)
        per_pack = [0] * n_packs
        for j in range(n_licenses):
            per_pack[j % assigned] += 1
        packs = ProductPack.objects.bulk_create(
            (
                ProductPack(
                    pack_id=f"{products[i % 3].pack_prefix}-{tag[:3]}{i:06d}",
                    subscription_key=keys[i % n_keys],
                    company=company,
                    product=products[i % 3],
                    seats=per_pack[i] + 10 * (1 + i % 5),
                    seats_used=per_pack[i],
                    starts_on=today - datetime.timedelta(days=365),
                    expires_on=today + datetime.timedelta(days=100 + i % 300),
                    state=ProductPack.State.LIVE,
                    comment=f"site {i % 13}",
                    created_at=now - datetime.timedelta(days=300, seconds=-i),
                    assigned_to=owner[i].ums_id if i < assigned else None,
                )
                for i in range(n_packs)
            ),
            batch_size=2000,
        )
        PackAssignment.objects.bulk_create(
            (PackAssignment(pack=packs[i], ums=u) for i, u in enumerate(owner)),
            batch_size=2000,
        )

        def license_rows():
            for j in range(n_licenses):
                p = j % assigned
                pack = packs[p]
                issued = now - datetime.timedelta(days=200, seconds=-j)
                yield (
                    f"L{tag}{j:09d}",
                    company.pk,
                    pack.product_id,
                    pack.pk,
                    owner[p].pk,
                    f"{j:012X}",
                    "active",
                    issued,
                    pack.expires_on,
                    TOKEN,
                    issued,
                    now + datetime.timedelta(days=20),
                    now + datetime.timedelta(days=48),
                )

        lic_columns = [
            "license_id",
            "company_id",
            "product_id",
            "pack_id",
            "ums_id",
            "unit_id",
            "status",
            "issued_at",
            "expires_on",
            "token",
            "document_signed_at",
            "document_expires_at",
            "listed_until",
        ]
        rows_insert(DeviceLicense, lic_columns, license_rows())  # COPY on PostgreSQL
        actions = ("license.issued", "pack.assigned", "license.returned", "pack.updated")

        def event_rows():
            for e in range(n_events):
                yield (
                    now - datetime.timedelta(seconds=n_events - e),
                    company.pk,
                    "ums",
                    f"UMS {1 + e % 3}",
                    actions[e % 4],
                    "device_license",
                    f"L{tag}{e:09d}",
                )

        ev_columns = [
            "created_at",
            "company_id",
            "actor_kind",
            "actor_label",
            "action",
            "object_type",
            "object_id",
        ]
        rows_insert(AuditEvent, ev_columns, event_rows())
    if pg and connection.get_autocommit():
        # What autovacuum does soon after a bulk load: statistics, and the visibility map
        # that index-only scans need.
        with connection.cursor() as cursor:
            for model in (DeviceLicense, AuditEvent, ProductPack, PackAssignment):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    return Tenant(
        company=company,
        user=user,
        ums=ums,
        credentials=[f"ilpm_bench{tag}{i}" for i in range(len(ums))],
        packs=n_packs,
        licenses=n_licenses,
        events=n_events,
    )


def main() -> int:
    """Build the tenant on DATABASE_URL (a real database, not a test one) and report time."""
    import time

    from bench._harness import django_setup

    django_setup()
    started = time.perf_counter()
    tenant = build()
    print(
        f"built {tenant.company.gaid}: {tenant.packs} packs, {tenant.licenses} licenses, "
        f"{tenant.events} events in {time.perf_counter() - started:.1f}s "
        f"(log in as {tenant.user.email} / bench-password-1)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
