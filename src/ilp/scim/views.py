"""The company's "User provisioning (SCIM)" page: the base URL, the token (made or replaced,
shown once; revoked)."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ilp.core.authz import Permission
from ilp.core.portal import company_page, secret_once_put, secret_once_take

from . import selectors, services


@company_page(Permission.MANAGE_MEMBERS)
def scim_settings(request, membership):
    company = membership.company
    kept = secret_once_take(request, kind="scim_token")
    return render(
        request,
        "scim/settings.html",
        {
            "company": company,
            "base_url": f"{settings.ILP_BASE_URL}/scim/v2/{company.gaid}/",
            "token": selectors.scim_token_of(membership=membership),
            "new_token": kept["value"] if kept else None,
        },
    )


@require_POST
@company_page(Permission.MANAGE_MEMBERS)
def scim_token_create(request, membership):
    raw = services.scim_token_issue(actor=request.actor, company=membership.company)
    # Post/redirect/get: the token is shown on the next GET only.
    secret_once_put(request, kind="scim_token", value=raw)
    return redirect("scim:settings", gaid=membership.company.gaid)


@require_POST
@company_page(Permission.MANAGE_MEMBERS)
def scim_token_revoke(request, membership):
    if services.scim_token_revoke(actor=request.actor, company=membership.company):
        messages.success(request, _("The SCIM token was revoked: provisioning stopped."))
    return redirect("scim:settings", gaid=membership.company.gaid)
