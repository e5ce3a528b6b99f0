"""The ALD token of a subscription key (a fragment of the licensing key page)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from ilp.core.authz import Permission, membership_can
from ilp.core.errors import NotFound
from ilp.core.portal import company_page, secret_once_put, secret_once_take
from ilp.licensing.selectors import key_get

from .. import selectors, services


@company_page(Permission.VIEW)
def ald_token(request, membership, key: str):
    """The ALD token of a subscription key (rule 23): whether one exists, when it was last
    used; generate, regenerate, revoke (administrator, service provider). A fragment of the
    licensing key page (htmx), or a page of its own without JavaScript."""
    try:
        subscription_key = key_get(membership=membership, key=key)
    except NotFound:
        raise Http404 from None
    context = {"key": subscription_key, "ald_token": None}
    if request.method == "POST":
        if not membership_can(membership, Permission.MANAGE_ROLLOUT):
            raise DjangoPermissionDenied
        if request.POST.get("action") == "revoke":
            services.ald_token_revoke(actor=request.actor, key=subscription_key)
            if not request.htmx:
                messages.success(request, _("The ALD token was revoked. It no longer works."))
        else:
            # Shown once, it is stored hashed. htmx swaps it into the key page (a reload GETs
            # that page); without htmx, post/redirect/get so a reload cannot generate another.
            context["ald_token"] = services.ald_token_generate(
                actor=request.actor, key=subscription_key
            )
            if not request.htmx:
                secret_once_put(
                    request, kind="ald_token", value=context["ald_token"], key=subscription_key.key
                )
        if not request.htmx:
            return redirect(request.path)
    else:
        kept = secret_once_take(request, kind="ald_token")
        if kept and kept.get("key") == subscription_key.key:
            context["ald_token"] = kept["value"]
    context["token"] = selectors.ald_token_of(key=subscription_key)
    template = "rollout/_ald_token.html" if request.htmx else "rollout/ald_token.html"
    return render(request, template, context)


urlpatterns = [
    path(
        "companies/<str:gaid>/subscription-keys/<str:key>/ald-token/",
        ald_token,
        name="ald_token",
    ),
]
