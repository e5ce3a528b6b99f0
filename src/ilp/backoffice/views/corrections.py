"""The correction pages (rule 26): cancel an order's seats, resend its contact mail, transfer
a key, the duplicates list and a merge's confirmation. Each asks for the reason and calls the
same service as the API; nothing here holds a rule. The order page links them through
`backoffice/_order_corrections.html`."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ilp.core.authz import StaffRole, staff_role_allows
from ilp.core.errors import AppError, NotFound
from ilp.core.portal import staff_page
from ilp.licensing.errors import CorrectionError
from ilp.licensing.services.corrections import order_contact_mail_resend
from ilp.rollout.services.corrections import company_merge, key_transfer, order_cancel

from ..selectors.corrections import (
    duplicates_view,
    key_transfer_view,
    merge_view,
    order_cancel_view,
)
from .common import render


def _order_view_or_404(order_number: str) -> dict:
    try:
        return order_cancel_view(order_number=order_number)
    except NotFound:
        raise Http404 from None


def _seats_asked(request, packs) -> tuple[list[tuple[str, int]], str | None]:
    """The seats to take back per pack, from `seats_<pack ID>` (blank or 0: none)."""
    items = []
    for pack in packs:
        raw = (request.POST.get(f"seats_{pack.pack_id}") or "").strip()
        if not raw:
            continue
        try:
            seats = int(raw)
        except ValueError:
            return [], _("Enter whole numbers of seats.")
        if seats < 0 or seats > pack.seats:
            return [], _("Pack %(pack)s holds %(seats)d seats.") % {
                "pack": pack.pack_id,
                "seats": pack.seats,
            }
        if seats:
            items.append((pack.pack_id, seats))
    if not items:
        return [], _("Choose the seats to take back.")
    return items, None


@staff_page(StaffRole.OPERATOR)
def order_cancel_page(request, order_number: str):
    """Take back an order's seats: per pack, with the devices in the way shown."""
    view = _order_view_or_404(order_number)
    order, packs = view["order"], view["packs"]
    error, in_way = None, []
    reason = request.POST.get("reason", "")
    return_licenses = bool(request.POST.get("return_licenses"))
    if request.method == "POST":
        items, error = _seats_asked(request, packs)
        if error is None:
            try:
                result = order_cancel(
                    actor=request.actor,
                    order_number=order.order_number,
                    reason=reason,
                    items=items,
                    return_licenses=return_licenses,
                )
            except AppError as exc:
                error = exc.message
                if exc.code == CorrectionError.SEATS_IN_USE:
                    in_way = exc.extra.get("unit_ids", [])
            else:
                taken = sum(n for _pack, n in items)
                notice = ngettext(
                    "%(n)d seat of order %(order)s taken back.",
                    "%(n)d seats of order %(order)s taken back.",
                    taken,
                ) % {"n": taken, "order": order.order_number}
                if result.returned:
                    notice += " " + ngettext(
                        "%(n)d device license returned: %(units)s.",
                        "%(n)d device licenses returned: %(units)s.",
                        len(result.returned),
                    ) % {
                        "n": len(result.returned),
                        "units": ", ".join(r["unit_id"] for r in result.returned),
                    }
                messages.success(request, notice)
                return redirect("backoffice:order_cancel", order_number=order.order_number)
    return render(
        request,
        "backoffice/corrections/order_cancel.html",
        {
            "order": order,
            "packs": packs,
            "error": error,
            "in_way": in_way,
            "reason": reason,
            "return_licenses": return_licenses,
            "asked": {k[6:]: v for k, v in request.POST.items() if k.startswith("seats_")},
        },
        status=409 if in_way else (422 if error else 200),
    )


@staff_page(StaffRole.SUPPORT)
def order_resend_page(request, order_number: str):
    """Send an order's contact mail again (asks for the reason)."""
    view = _order_view_or_404(order_number)
    order = view["order"]
    error = None
    reason = request.POST.get("reason", "")
    if request.method == "POST":
        try:
            order_contact_mail_resend(
                actor=request.actor, order_number=order.order_number, reason=reason
            )
        except AppError as exc:
            error = exc.message
        else:
            messages.success(
                request, _("The contact mail of order %s is on its way.") % order.order_number
            )
            return redirect("backoffice:order_resend", order_number=order.order_number)
    return render(
        request,
        "backoffice/corrections/order_resend.html",
        {"order": order, "error": error, "reason": reason},
        status=422 if error else 200,
    )


@staff_page(StaffRole.OPERATOR)
def key_transfer_page(request, key: str):
    """Move a subscription key with its packs to another company."""
    view = key_transfer_view(key=key)
    if view is None:
        raise Http404
    error = None
    reason = request.POST.get("reason", "")
    to_gaid = request.POST.get("to_gaid", request.GET.get("to_gaid", "")).strip()
    if request.method == "POST":
        try:
            result = key_transfer(actor=request.actor, key=key, to_gaid=to_gaid, reason=reason)
        except AppError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                _("Subscription key %(key)s now belongs to %(company)s (%(gaid)s).")
                % {
                    "key": result.key.key,
                    "company": result.to_company.name,
                    "gaid": result.to_company.gaid,
                },
            )
            return redirect("backoffice:key_transfer", key=result.key.key)
    return render(
        request,
        "backoffice/corrections/key_transfer.html",
        {**view, "error": error, "reason": reason, "to_gaid": to_gaid},
        status=422 if error else 200,
    )


@staff_page(StaffRole.SUPPORT)
def duplicates_page(request):
    """Companies that look like one customer, each group with a merge button (operators)."""
    return render(
        request,
        "backoffice/corrections/duplicates.html",
        {
            "groups": duplicates_view(),
            "may_merge": staff_role_allows(request.staff_role, StaffRole.OPERATOR),
        },
    )


@staff_page(StaffRole.OPERATOR)
def merge_page(request, gaid: str, target_gaid: str):
    """Confirm merging one company into another (what moves, what blocks it), then merge."""
    view = merge_view(gaid=gaid, target_gaid=target_gaid)
    if view is None:
        raise Http404
    error = None
    reason = request.POST.get("reason", "")
    if request.method == "POST":
        try:
            result = company_merge(
                actor=request.actor, gaid=gaid, target_gaid=target_gaid, reason=reason
            )
        except AppError as exc:
            error = exc.message
            view = merge_view(gaid=gaid, target_gaid=target_gaid) or view
        else:
            messages.success(
                request,
                _("%(source)s was merged into %(target)s (%(gaid)s).")
                % {
                    "source": result.source.gaid,
                    "target": result.target.name,
                    "gaid": result.target.gaid,
                },
            )
            return redirect(reverse("backoffice:duplicates"))
    return render(
        request,
        "backoffice/corrections/merge.html",
        {**view, "error": error, "reason": reason},
        status=409 if view["conflicts"] and error else (422 if error else 200),
    )


urlpatterns = [
    path("orders/<str:order_number>/cancel/", order_cancel_page, name="order_cancel"),
    path("orders/<str:order_number>/resend-contact-mail/", order_resend_page, name="order_resend"),
    path("subscription-keys/<str:key>/transfer/", key_transfer_page, name="key_transfer"),
    path("duplicates/", duplicates_page, name="duplicates"),
    path("companies/<str:gaid>/merge-into/<str:target_gaid>/", merge_page, name="company_merge"),
]
