"""What the correction pages show before staff act: an order's packs and the devices that
would be in the way, a key with its packs and licenses, duplicate companies with what each
holds, and what a merge would move (or the devices that block it)."""

from django.db.models import Count, Q

from ilp.accounts.models import Company
from ilp.accounts.selectors import company_duplicates, company_find
from ilp.licensing.models import Order, ProductPack, SubscriptionKey
from ilp.licensing.selectors import order_get_staff
from ilp.licensing.selectors.packs import subscription_key_normalize
from ilp.licensing.services.corrections import CANCELLABLE
from ilp.rollout.models import DeviceLicense, UmsInstance
from ilp.rollout.selectors import merge_license_conflicts

# How many of a pack's newest devices the cancel page lists (those returned first).
NEWEST_SHOWN = 10


def order_cancel_view(*, order_number: str) -> dict:
    """An order (any company, 404 if unknown) with the packs it delivered that still hold
    seats; each carries `newest`: its newest licensed devices, returned first if asked."""
    order = order_get_staff(order_number=order_number)
    packs = list(
        ProductPack.objects.filter(order=order, state__in=CANCELLABLE)
        .select_related("product", "subscription_key")
        .order_by("pk")
    )
    for pack in packs:
        pack.newest = list(
            DeviceLicense.objects.filter(pack=pack, status=DeviceLicense.Status.ACTIVE)
            .select_related("ums")
            .order_by("-issued_at", "-pk")[:NEWEST_SHOWN]
        )
    return {"order": order, "packs": packs}


def key_transfer_view(*, key: str) -> dict | None:
    """A key (any company) with its packs and how many licenses a transfer would revoke."""
    found = (
        SubscriptionKey.objects.select_related("company")
        .filter(key=subscription_key_normalize(key or ""))
        .first()
    )
    if found is None:
        return None
    packs = list(
        ProductPack.objects.filter(subscription_key=found)
        .select_related("product")
        .annotate(live=Count("device_licenses", filter=Q(device_licenses__status="active")))
        .order_by("pk")
    )
    return {
        "key": found,
        "packs": packs,
        "licenses": sum(p.live for p in packs),
        "pending": list(
            found.renewals.filter(status="awaiting_redemption").values_list(
                "order__order_number", flat=True
            )
        ),
    }


def company_holdings(company: Company) -> dict:
    """What a company holds, in counts (the duplicates list and the merge confirmation)."""
    return {
        "members": company.memberships.count(),
        "keys": SubscriptionKey.objects.filter(company=company).count(),
        "packs": ProductPack.objects.filter(company=company).count(),
        "orders": Order.objects.filter(company=company).count(),
        "ums": UmsInstance.objects.filter(company=company).count(),
        "licenses": DeviceLicense.objects.filter(company=company, status="active").count(),
    }


def duplicates_view() -> list[dict]:
    """`company_duplicates` with each company's row and holdings, for the page."""
    groups = company_duplicates()
    gaids = {g for group in groups for g in group["companies"]}
    companies = {c.gaid: c for c in Company.objects.filter(gaid__in=gaids)}
    return [
        {
            "reason": group["reason"],
            "companies": [
                {"company": companies[g], **company_holdings(companies[g])}
                for g in group["companies"]
            ],
        }
        for group in groups
    ]


def merge_view(*, gaid: str, target_gaid: str) -> dict | None:
    """Both companies, what the merged one holds and the devices that would block it."""
    source, target = company_find(gaid=gaid), company_find(gaid=target_gaid)
    if source is None or target is None or source.merged_into_id or target.merged_into_id:
        return None
    return {
        "source": source,
        "target": target,
        "holdings": company_holdings(source),
        "conflicts": merge_license_conflicts(source=source, target=target),
    }
