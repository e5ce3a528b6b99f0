"""The start page of a person in several companies (a service provider): per company the
seats per product, packs expiring soon, orders waiting for an EULA, renewals waiting. A company
whose `require_2fa` the person does not meet shows only its name, GAID and their role."""

import datetime

from django.db.models import Count, Q, Sum
from django.utils import timezone

from ilp.core.auth import company_gates_met

from ..models import Order, ProductPack, Renewal
from .orders import ORDER_EULA_WAITING, _third_party_waiting


def companies_overview(
    *, memberships, today: datetime.date | None = None, request=None
) -> list[dict]:
    """One item per membership (API.md `GET /me/overview`). Four grouped queries, whatever
    the number of companies. A company that requires two-factor sign-in from a member who has
    none (or, with the `request`, its single sign-on from one who signed in another way) gives
    only `{gaid, name, role, two_factor_required: true}`: its figures are behind the same
    gates as its own pages and routes (core.auth `company_gates_met`)."""
    memberships = list(memberships)
    gated = {m.company_id for m in memberships if not company_gates_met(m, request)}
    ids = [m.company_id for m in memberships if m.company_id not in gated]
    today = today or timezone.localdate()
    d30 = today + datetime.timedelta(days=31)
    live = (
        ProductPack.objects.filter(company_id__in=ids)
        .with_status(today)
        .filter(current_status=ProductPack.Status.ACTIVE)
    )
    seats: dict[int, dict] = {i: {} for i in ids}
    for row in (
        live.values("company_id", "product__sku")
        .annotate(seats=Sum("seats"), used=Sum("seats_used"))
        .order_by("company_id", "product__sku")
    ):
        seats[row["company_id"]][row["product__sku"]] = {"seats": row["seats"], "used": row["used"]}
    expiring = dict(
        live.filter(expires_on__lt=d30)
        .values("company_id")
        .annotate(n=Count("id"))
        .values_list("company_id", "n")
    )
    eula = dict(
        Order.objects.filter(company_id__in=ids)
        .annotate(third_party_waiting=_third_party_waiting())
        .filter(ORDER_EULA_WAITING)
        .values("company_id")
        .annotate(n=Count("id"))
        .values_list("company_id", "n")
    )
    renewals = dict(
        Renewal.objects.filter(Q(company_id__in=ids) & Q(status=Renewal.Status.AWAITING_REDEMPTION))
        .values("company_id")
        .annotate(n=Count("id"))
        .values_list("company_id", "n")
    )
    return [
        {
            "gaid": m.company.gaid,
            "name": m.company.name,
            "role": m.role,
            "role_label": m.get_role_display(),
            "two_factor_required": True,
        }
        if m.company_id in gated
        else {
            "gaid": m.company.gaid,
            "name": m.company.name,
            "role": m.role,
            "role_label": m.get_role_display(),
            "two_factor_required": False,
            "seats": seats[m.company_id],
            "expiring_30": expiring.get(m.company_id, 0),
            "eula_pending": eula.get(m.company_id, 0),
            "renewals_awaiting": renewals.get(m.company_id, 0),
        }
        for m in memberships
    ]
