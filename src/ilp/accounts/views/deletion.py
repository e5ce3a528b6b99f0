"""Deleting one's account by a mailed link."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ilp.core.actors import Actor
from ilp.core.errors import AppError
from ilp.core.throttle import throttle_hit

from .. import selectors, services

# --- deleting one's account ----------------------------------------------------------------
from .common import _link_gone


@require_POST
@login_required
def deletion_request(request):
    """Mail the link that confirms the deletion of one's account."""
    try:
        throttle_hit(scope="mail_per_address", ident=f"account_deletion:{request.user.email}")
        services.account_deletion_request(actor=Actor.for_user(request.user), user=request.user)
    except AppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "We sent a mail to %(email)s. Open the link in it within 24 hours to delete "
                "your account."
            )
            % {"email": request.user.email},
        )
    return redirect(f"{reverse('accounts:profile')}#delete-title")


@login_required
def deletion_confirm(request, token: str):
    """The page behind the mailed deletion link: confirm, and the account is gone."""
    retry = {"retry_url": reverse("accounts:profile"), "retry_label": _("Back to your profile")}
    try:
        services.account_deletion_check(user=request.user, token=token)
    except AppError as exc:
        return _link_gone(request, exc, **retry)
    if request.method == "POST":
        email = request.user.email
        try:
            services.account_deletion_confirm(
                actor=Actor.for_user(request.user), user=request.user, token=token
            )
        except AppError as exc:
            return _link_gone(request, exc, **retry)
        logout(request)
        return render(request, "accounts/account_deleted.html", {"email": email})
    return render(
        request,
        "accounts/account_delete.html",
        {"memberships": list(selectors.memberships_of(user=request.user))},
    )
