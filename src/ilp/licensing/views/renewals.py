"""Portal pages for renewals: the list, and "Redeem renewal". Its split-to-fit (a split, which
may carry licenses) is rollout's page (`rollout/views/packs.py`), with these helpers."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import ngettext

from ilp.core.authz import Permission
from ilp.core.errors import AppError
from ilp.core.portal import company_page

from ..models import Renewal
from ..selectors import (
    key_get,
    pack_list_by_ids,
    renewal_candidates,
    renewal_list,
    renewal_list_awaiting,
)
from ..services.renewals import renewal_redeem
from .common import or_404

STATUSES = Renewal.Status.choices


@company_page(Permission.VIEW)
def renewals(request, membership):
    """The company's renewals, newest first, filterable by status."""
    status = request.GET.get("status")
    if status not in Renewal.Status.values:
        status = ""
    page = Paginator(renewal_list(membership=membership, status=status), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "licensing/renewal_list.html",
        {"page": page, "status": status, "statuses": STATUSES},
    )


def redeem_key_or_404(membership, key: str):
    return or_404(key_get, membership=membership, key=key.strip().upper())


def renewal_pick(waiting: list[Renewal], renewal_id) -> Renewal | None:
    for r in waiting:
        if str(r.pk) == str(renewal_id):
            return r
    return waiting[0] if waiting else None


def redeem_context(membership, key, renewal, *, picked=(), error=None, notice=None) -> dict:
    candidates = renewal_candidates(membership=membership, renewal=renewal) if renewal else []
    return {
        "key": key,
        "renewal": renewal,
        "candidates": candidates,
        "picked": set(picked),
        "picked_seats": sum(p.seats for p in candidates if p.pack_id in set(picked)),
        "error": error,
        "notice": notice,
    }


@company_page(Permission.REDEEM_RENEWAL)
def redeem(request, membership, key: str):
    """Pick the renewal, tick the packs to keep (seats must add up exactly), redeem."""
    key_obj = redeem_key_or_404(membership, key)
    waiting = renewal_list_awaiting(membership=membership, key=key_obj)
    renewal = renewal_pick(waiting, request.POST.get("renewal") or request.GET.get("renewal"))
    picked = request.POST.getlist("pack")
    error = None
    if request.method == "POST" and renewal is not None:
        packs = list(pack_list_by_ids(membership=membership, pack_ids=picked))
        try:
            chosen = renewal_redeem(actor=request.actor, renewal=renewal, packs=packs)
        except AppError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                ngettext(
                    "Renewal %(order)s redeemed: %(packs)s now expires on %(date)s.",
                    "Renewal %(order)s redeemed: %(packs)s now expire on %(date)s.",
                    len(chosen),
                )
                % {
                    "order": renewal.order.order_number,
                    "packs": ", ".join(p.pack_id for p in chosen),
                    "date": renewal.expires_on.isoformat(),
                },
            )
            return redirect(reverse("licensing:key", args=[membership.company.gaid, key_obj.key]))
    context = {
        "waiting": waiting,
        **redeem_context(membership, key_obj, renewal, picked=picked, error=error),
    }
    return render(request, "licensing/renewal_redeem.html", context, status=422 if error else 200)


urlpatterns = [
    path("companies/<str:gaid>/renewals/", renewals, name="renewals"),
    path("companies/<str:gaid>/subscription-keys/<str:key>/redeem/", redeem, name="redeem"),
]
