"""A company as the back office sums it up: what it holds, counted, and its orders."""

from ilp.accounts.models import Company, Membership
from ilp.core.errors import NotFound
from ilp.licensing.models import Order, ProductPack, SubscriptionKey
from ilp.rollout.models import DeviceLicense, UmsInstance

ORDERS_SHOWN = 200  # a company's orders on its back-office page and answer, newest first


def company_get(*, gaid: str) -> Company:
    """The company with this GAID (as typed: any case, spaces around); NotFound (404)."""
    company = Company.objects.filter(gaid=(gaid or "").strip().upper()).first()
    if company is None:
        raise NotFound()
    return company


def company_counts(*, company: Company) -> dict[str, int]:
    """How many members, subscription keys, packs (merged ones not counted: their seats are
    in another), UMS instances and active device licenses the company has."""
    return {
        "members": Membership.objects.filter(company=company).count(),
        "subscription_keys": SubscriptionKey.objects.filter(company=company).count(),
        "product_packs": ProductPack.objects.filter(company=company)
        .exclude(state=ProductPack.State.MERGED)
        .count(),
        "ums": UmsInstance.objects.filter(company=company).count(),
        "licenses": DeviceLicense.objects.filter(
            company=company, status=DeviceLicense.Status.ACTIVE
        ).count(),
    }


def company_orders(*, company: Company) -> list[Order]:
    """The company's orders, newest invoice first (at most ORDERS_SHOWN)."""
    return list(
        Order.objects.filter(company=company)
        .select_related("subscription_key")
        .order_by("-invoice_date", "-pk")[:ORDERS_SHOWN]
    )


def company_people(*, company: Company) -> list[Membership]:
    """The company's members with their accounts, administrators first."""
    return list(
        Membership.objects.filter(company=company)
        .select_related("user")
        .order_by("role", "user__email")
    )
