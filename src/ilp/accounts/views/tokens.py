"""The profile's API tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ilp.core.actors import Actor
from ilp.core.auth import signed_in_by_sso
from ilp.core.errors import AppError
from ilp.core.portal import secret_once_put

from .. import selectors, services
from ..forms import TokenForm
from .profile import _profile_context


@require_POST
@login_required
def token_create(request):
    memberships = list(selectors.memberships_of(user=request.user))
    form = TokenForm(request.POST, memberships=memberships)
    new_token = None
    if form.is_valid():
        days = form.cleaned_data["expires_in_days"]
        try:
            _token, new_token = services.api_token_create(
                actor=Actor.for_user(request.user),
                user=request.user,
                name=form.cleaned_data["name"] or _("Portal"),
                expires_in_days=int(days) if days else None,
                scopes=(form.cleaned_data["scopes"] or "read write").split(),
                companies=form.cleaned_data["companies"] or None,
                sso=signed_in_by_sso(request),
            )
        except AppError as exc:
            messages.error(request, exc.message)
    if not request.htmx:
        # Post/redirect/get: a reload of the page must not create a second token.
        if new_token:
            secret_once_put(request, kind="api_token", value=new_token)
        return redirect("accounts:profile")
    # The new token is in this fragment only (htmx swaps it in; a reload GETs the profile).
    return render(request, "accounts/_tokens.html", _profile_context(request, new_token=new_token))


@require_POST
@login_required
def token_revoke(request, token_id: int):
    try:
        services.api_token_revoke(
            actor=Actor.for_user(request.user), user=request.user, token_id=token_id
        )
    except AppError as exc:
        messages.error(request, exc.message)
    if request.htmx:
        return render(request, "accounts/_tokens.html", _profile_context(request))
    messages.success(request, _("The token was revoked."))
    return redirect("accounts:profile")
