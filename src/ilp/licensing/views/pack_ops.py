"""Portal pages for merge. The rules live in services/pack_ops.py; the split page, which
lists the pack's licensed devices, is rollout's (rollout/views.py)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ilp.core.authz import Permission
from ilp.core.errors import AppError
from ilp.core.portal import company_page

from ..models import ProductPack
from ..selectors import pack_selection
from ..services.pack_ops import merge_problem, pack_merge


def _pack_url(membership, pack_id: str) -> str:
    return reverse("licensing:pack", args=[membership.company.gaid, pack_id])


def merge_state(packs: list[ProductPack]) -> dict:
    if len(packs) < 2:
        reason = _("Select two or more packs of the same key, product and dates to merge them.")
    else:
        reason = merge_problem(packs)
    return {"packs": packs, "reason": reason, "can_merge": reason is None}


@company_page(Permission.MANAGE_PACKS)
def merge_check(request, membership):
    """htmx: the merge button for the current selection, disabled with a reason if needed."""
    packs = pack_selection(membership=membership, pack_ids=request.GET.getlist("pack"))
    return render(request, "licensing/pack_ops_merge_button.html", {"merge": merge_state(packs)})


@company_page(Permission.MANAGE_PACKS)
def merge(request, membership):
    """Confirm a merge (pick the target), then merge."""
    if request.method != "POST":
        packs = pack_selection(membership=membership, pack_ids=request.GET.getlist("pack"))
    else:
        packs = pack_selection(membership=membership, pack_ids=request.POST.getlist("pack"))
    target_id = (request.POST.get("target") or "").upper()
    if target_id:
        packs.sort(key=lambda p: p.pack_id != target_id)  # the target first, others in order
    state = merge_state(packs)
    error = None
    if request.method == "POST" and request.POST.get("confirm") and state["can_merge"]:
        try:
            target, merged = pack_merge(actor=request.actor, packs=packs)
        except AppError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                ngettext(
                    "%(merged)s was merged into %(target)s, which now holds %(seats)s seats.",
                    "%(merged)s were merged into %(target)s, which now holds %(seats)s seats.",
                    len(merged),
                )
                % {
                    "merged": ", ".join(p.pack_id for p in merged),
                    "target": target.pack_id,
                    "seats": target.seats,
                },
            )
            return redirect(_pack_url(membership, target.pack_id))
    context = {
        "merge": state,
        "error": error,
        "total": sum(p.seats for p in packs),
        "target_id": packs[0].pack_id if packs else "",
    }
    status = 409 if error or (request.POST.get("confirm") and not state["can_merge"]) else 200
    return render(request, "licensing/pack_ops_merge.html", context, status=status)


urlpatterns = [
    path("companies/<str:gaid>/packs/merge/", merge, name="merge"),
    path("companies/<str:gaid>/packs/merge/check/", merge_check, name="merge_check"),
]
