"""Registering a company (claim with GAID and key)."""

from django.shortcuts import render

from ilp.core.errors import AppError, Throttled
from ilp.core.throttle import client_address, retry_after_header, throttle_hit

from .. import services
from ..forms import ClaimForm
from ..models import normalize_email

# --- claiming a company without administrator (FAQ Q5) -------------------------------------
from .common import form_errors_from


def register(request):
    """Claim a company account that has no administrator with its GAID and a subscription
    key; the usual invitation link is mailed (or its administrators are asked)."""
    form = ClaimForm(request.POST or None)
    outcome = company = throttled = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                throttle_hit(scope="registration", ident=client_address(request))
                throttle_hit(
                    scope="mail_per_address",
                    ident=f"registration:{normalize_email(data['email'])}",
                )
                outcome, company = services.registration_create(
                    email=data["email"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    gaid=data["gaid"],
                    subscription_key=data["subscription_key"],
                )
            except AppError as exc:
                form_errors_from(form, exc)
                status = exc.status
                throttled = exc if isinstance(exc, Throttled) else None
            else:
                status = 409 if outcome == services.RegistrationOutcome.ACCESS_REQUESTED else 202
        else:
            status = 422
    response = render(
        request,
        "accounts/register.html",
        {
            "form": form,
            "outcome": outcome,
            "company": company,
            "email": normalize_email(form.cleaned_data.get("email")) if outcome else "",
        },
        status=status,
    )
    return retry_after_header(response, throttled) if throttled else response
