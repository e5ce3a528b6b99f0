"""Accepting an invitation (the link in the mail)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from ilp.core.authz import Role
from ilp.core.errors import AppError
from ilp.core.portal import company_start_url
from ilp.core.throttle import client_address, throttle_hit

from .. import selectors, services
from ..errors import AccountError
from ..forms import RegistrationForm
from ..models import SignInMethod
from ..signin import browser_cookie_set, sign_in

# --- accept an invitation ------------------------------------------------------------------
from .common import _set_language_cookie, form_errors_from


def invitation(request, token: str):
    """The page behind the mailed link: shows company and role; a new person registers, an
    existing user (logged in as the invited e-mail) accepts with one click."""
    throttle_hit(scope="invitation", ident=client_address(request))
    inv = selectors.invitation_get(token=token)
    try:
        services.invitation_check(inv)
    except AppError as exc:
        # A void claim link (the company got an administrator meanwhile) offers to ask that
        # administrator for access instead: posting finalises the link, which does exactly that.
        claim_void = exc.code == AccountError.COMPANY_HAS_ADMINISTRATOR and inv.is_pending
        if claim_void and request.method == "POST":
            user = request.user if request.user.is_authenticated else None
            try:
                services.invitation_accept(token=token, user=user)
            except AppError as settled:
                exc, claim_void = settled, False
        return render(
            request,
            "accounts/invitation_gone.html",
            {"invitation": inv, "message": exc.message, "claim_void": claim_void},
            status=exc.status,
        )
    account_exists = selectors.account_exists(email=inv.email)
    user = request.user if request.user.is_authenticated else None
    wrong_person = user is not None and not inv.is_for(user)
    form = RegistrationForm(request.POST or None) if not account_exists else None
    error = None
    if request.method == "POST" and not wrong_person:
        try:
            if account_exists:
                if user is None:
                    return redirect(f"{reverse('web:login')}?next={request.path}")
                membership, person = services.invitation_accept(token=token, user=user)
            elif form.is_valid():
                membership, person = services.invitation_accept(
                    token=token,
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                    password=form.cleaned_data["password1"],
                )
            else:
                membership = None
        except AppError as exc:
            membership = None
            if form is not None:
                form_errors_from(form, exc, {"password": "password1"})
            else:
                error = exc.message
        if membership is not None:
            if user is None:  # a new account: signed in with the password just chosen
                sign_in(request, person, method=SignInMethod.PASSWORD)
            messages.success(
                request,
                _("Welcome to %(company)s. Your role: %(role)s.")
                % {"company": membership.company.name, "role": membership.get_role_display()},
            )
            response = redirect(company_start_url(membership.company.gaid))
            return browser_cookie_set(request, _set_language_cookie(response, person.language))
    return render(
        request,
        "accounts/invitation.html",
        {
            "invitation": inv,
            "role_label": Role(inv.role).label,
            "account_exists": account_exists,
            "wrong_person": wrong_person,
            "form": form,
            "error": error,
            "login_url": f"{reverse('web:login')}?next={request.path}",
        },
    )
