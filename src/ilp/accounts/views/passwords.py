"""Changing the password, and resetting it by a mailed link."""

from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ilp.core.actors import Actor
from ilp.core.errors import AppError, Throttled
from ilp.core.throttle import (
    client_address,
    password_reset_limits,
    retry_after_header,
    throttle_hit,
    throttle_hits,
)

from .. import services
from ..errors import AccountError
from ..forms import PasswordChangeForm, PasswordResetRequestForm, SetPasswordForm
from ..models import normalize_email
from ..signin import current_session_id
from .common import _link_gone, form_errors_from
from .profile import _profile_context


@require_POST
@login_required
def password_change(request):
    """Change one's password on the profile page; this session stays, the others and every
    API token end."""
    form = PasswordChangeForm(request.POST)
    if form.is_valid():
        try:
            throttle_hit(scope="password_change", ident=str(request.user.pk))
            user = services.password_change(
                actor=Actor.for_user(request.user),
                user=request.user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["password1"],
                keep_session_id=current_session_id(request),
            )
        except AppError as exc:
            form_errors_from(form, exc, {"new_password": "password1"})
        else:
            update_session_auth_hash(request, user)
            messages.success(
                request,
                _(
                    "Your password is changed. Your other sessions were logged out and your "
                    "API tokens revoked."
                ),
            )
            return redirect("accounts:profile")
    return render(
        request, "accounts/profile.html", _profile_context(request, password_form=form), status=422
    )


# --- password reset (no login) -------------------------------------------------------------


def password_reset_request(request):
    """The "forgot your password?" page: one answer whether or not the address has an account."""
    form = PasswordResetRequestForm(request.POST or None)
    sent_to = throttled = None
    if request.method == "POST" and form.is_valid():
        email = normalize_email(form.cleaned_data["email"])
        try:
            throttle_hits(*password_reset_limits(request=request, email=email))
        except Throttled as exc:
            form.add_error(None, exc.message)
            throttled = exc
        else:
            services.password_reset_request(email=email)
            sent_to = email
    response = render(
        request,
        "accounts/password_reset_request.html",
        {"form": form, "sent_to": sent_to},
        status=422 if request.method == "POST" and sent_to is None else 200,
    )
    return retry_after_header(response, throttled) if throttled else response


def password_reset(request, token: str):
    """The page behind the mailed reset link: choose a new password, then log in with it."""
    retry = {
        "retry_url": reverse("accounts:password_reset_request"),
        "retry_label": _("Ask for a new link"),
    }
    throttle_hit(scope="password_reset", ident=client_address(request))
    try:
        link = services.password_reset_check(token=token)
    except AppError as exc:
        return _link_gone(request, exc, **retry)
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_reset_complete(token=token, password=form.cleaned_data["password1"])
        except AppError as exc:
            if exc.code in (AccountError.LINK_USED, AccountError.LINK_EXPIRED):
                return _link_gone(request, exc, **retry)
            form_errors_from(form, exc, {"password": "password1"})
        else:
            if request.user.is_authenticated:
                logout(request)
            messages.success(request, _("Your new password is set. Log in with it."))
            return redirect("web:login")
    return render(
        request,
        "accounts/password_reset.html",
        {"form": form, "email": link.email},
        status=422 if request.method == "POST" else 200,
    )
