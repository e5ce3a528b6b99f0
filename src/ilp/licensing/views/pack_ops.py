"""The merge selection's live check. Merging and splitting (which move licenses too) are
rollout's pages (rollout/views/, rollout/views/packs.py); the seat rules live in
services/pack_ops.py."""

from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _

from ilp.core.authz import Permission
from ilp.core.portal import company_page

from ..models import ProductPack
from ..selectors import pack_selection
from ..services.pack_ops import merge_problem


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


urlpatterns = [
    path("companies/<str:gaid>/packs/merge/check/", merge_check, name="merge_check"),
]
