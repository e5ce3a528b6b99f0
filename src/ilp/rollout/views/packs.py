"""Portal pages whose work changes packs and licenses (or assignments) together: merge, the
redeem page's split-to-fit and delivery-token registration (new packs auto-assigned). They
call rollout's orchestrating services; the rest of those pages is licensing's."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ilp.core.authz import Permission
from ilp.core.errors import AppError, NotFound
from ilp.core.portal import company_page
from ilp.licensing.errors import EulaError
from ilp.licensing.selectors import (
    pack_get,
    pack_selection,
    renewal_list_awaiting,
    vendor_eula_in_force,
)
from ilp.licensing.views.pack_ops import merge_state
from ilp.licensing.views.renewals import redeem_context, redeem_key_or_404, renewal_pick

from .. import services


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
            target, merged = services.pack_merge(actor=request.actor, packs=packs)
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
            return redirect(
                reverse("licensing:pack", args=[membership.company.gaid, target.pack_id])
            )
    context = {
        "merge": state,
        "error": error,
        "total": sum(p.seats for p in packs),
        "target_id": packs[0].pack_id if packs else "",
    }
    status = 409 if error or (request.POST.get("confirm") and not state["can_merge"]) else 200
    return render(request, "licensing/pack_ops_merge.html", context, status=status)


@company_page(Permission.REDEEM_RENEWAL)
def redeem_split(request, membership, key: str):
    """htmx: split a candidate pack to fit, then show the candidates again."""
    if request.method != "POST":
        return redirect(reverse("licensing:redeem", args=[membership.company.gaid, key]))
    key_obj = redeem_key_or_404(membership, key)
    waiting = renewal_list_awaiting(membership=membership, key=key_obj)
    renewal = renewal_pick(waiting, request.POST.get("renewal"))
    pack_id = request.POST.get("split_pack", "")
    picked = request.POST.getlist("pack")
    error = notice = None
    try:
        seats = int(request.POST.get(f"split_seats_{pack_id}", ""))
    except ValueError:
        error = _("Enter the number of seats to split off.")
    else:
        try:
            pack = pack_get(membership=membership, pack_id=pack_id)
        except NotFound:
            pack = None
        if pack is None or pack.subscription_key_id != key_obj.pk:
            error = _("No product pack %s under this key.") % pack_id
        else:
            try:
                source, created = services.pack_split(actor=request.actor, pack=pack, seats=seats)
            except AppError as exc:
                error = exc.message
            else:
                notice = _(
                    "%(source)s split: %(created)s holds %(seats)s seats. Tick the packs to keep."
                ) % {"source": source.pack_id, "created": created.pack_id, "seats": created.seats}
    context = redeem_context(
        membership, key_obj, renewal, picked=picked, error=error, notice=notice
    )
    if not request.htmx:
        if error:
            messages.error(request, error)
        elif notice:
            messages.success(request, notice)
        url = reverse("licensing:redeem", args=[membership.company.gaid, key_obj.key])
        return redirect(f"{url}?renewal={renewal.pk}" if renewal else url)
    return render(request, "licensing/renewal_candidates.html", context)


@company_page(Permission.REGISTER_DELIVERY_TOKEN)
def delivery_token(request, membership):
    error = None
    token = ""
    accepted = eula_error = False
    if request.method == "POST":
        token = request.POST.get("token", "").strip()
        accepted = bool(request.POST.get("accept_eula"))
        if not token:
            error = _("Enter the delivery token.")
        else:
            try:
                key, packs = services.delivery_token_register(
                    actor=request.actor, membership=membership, token=token, accept_eula=accepted
                )
            except AppError as exc:
                error = exc.message
                eula_error = exc.code == EulaError.EULA_NOT_ACCEPTED
            else:
                messages.success(
                    request,
                    _("Delivery token registered: subscription key %(key)s with %(n)s packs.")
                    % {"key": key.key, "n": len(packs)},
                )
                return redirect("licensing:key", gaid=membership.company.gaid, key=key.key)
    return render(
        request,
        "licensing/delivery_token.html",
        {
            "error": error,
            "token": token,
            "accepted": accepted,
            "eula_error": eula_error,
            "eula_version": vendor_eula_in_force(),
        },
        status=422 if error else 200,
    )


urlpatterns = [
    path("companies/<str:gaid>/packs/merge/", merge, name="merge"),
    path(
        "companies/<str:gaid>/subscription-keys/<str:key>/redeem/split/",
        redeem_split,
        name="redeem_split",
    ),
    path("companies/<str:gaid>/delivery-token/", delivery_token, name="delivery_token"),
]
