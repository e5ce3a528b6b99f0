"""Two-factor sign-in on the profile: set up, recovery codes, turn off."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from ilp.core.actors import Actor
from ilp.core.errors import AppError, Throttled
from ilp.core.throttle import retry_after_header, throttle_hit

from .. import otp, selectors, services
from ..forms import OtpForm

# --- two-factor sign-in --------------------------------------------------------------------
from .common import form_errors_from


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@login_required
def two_factor(request):
    """Set up, replace or turn off the authenticator app, or make new recovery codes; with
    two-factor on, each needs a current code or a recovery code. Recovery codes are shown
    once."""
    user = request.user
    next_url = _safe_next(request)
    form = OtpForm(request.POST or None)
    action = request.POST.get("action") if request.method == "POST" else None
    status, throttled, begin_error = 200, None, None
    if action == "begin":
        code = (request.POST.get("otp") or "").strip() or None
        try:
            if code:
                throttle_hit(scope="otp", ident=str(user.pk))
            services.two_factor_begin(actor=Actor.for_user(user), user=user, code=code)
        except AppError as exc:
            begin_error, status = exc.message, exc.status
            throttled = exc if isinstance(exc, Throttled) else None
        else:
            url = reverse("accounts:two_factor")
            return redirect(f"{url}?next={next_url}" if next_url else url)
    elif action in ("confirm", "disable", "recovery") and form.is_valid():
        try:
            throttle_hit(scope="otp", ident=str(user.pk))
            code = form.cleaned_data["otp"]
            if action in ("confirm", "recovery"):
                if action == "confirm":
                    codes = services.two_factor_confirm(
                        actor=Actor.for_user(user), user=user, code=code
                    )
                else:
                    codes = services.recovery_codes_renew(
                        actor=Actor.for_user(user), user=user, code=code
                    )
                # The codes are in this response only; they are stored hashed.
                return render(
                    request,
                    "accounts/two_factor.html",
                    {
                        "recovery_codes": codes,
                        "renewed": action == "recovery",
                        "next": next_url or reverse("accounts:profile"),
                    },
                )
            services.two_factor_disable(actor=Actor.for_user(user), user=user, code=code)
        except AppError as exc:
            form_errors_from(form, exc)
            status = exc.status
            throttled = exc if isinstance(exc, Throttled) else None
        else:
            messages.success(request, _("Two-factor sign-in is off."))
            return redirect("accounts:profile")
    elif action in ("confirm", "disable", "recovery"):
        status = 422
    two_factor_row = selectors.two_factor_get(user=user)
    pending = two_factor_row.pending_secret if two_factor_row else ""
    ctx = {
        "form": form,
        "action": action,
        "begin_error": begin_error,
        "active": bool(two_factor_row and two_factor_row.is_active),
        "confirmed_at": two_factor_row.confirmed_at if two_factor_row else None,
        "pending_secret": pending,
        "requiring": selectors.companies_requiring_two_factor(user=user),
        "next": next_url,
    }
    if pending:
        uri = otp.provisioning_uri(secret=pending, email=user.email)
        ctx["qr_svg"] = otp.qr_svg(uri)
        # Grouped in fours, as authenticator apps show typed keys.
        ctx["secret_groups"] = " ".join(pending[i : i + 4] for i in range(0, len(pending), 4))
    response = render(request, "accounts/two_factor.html", ctx, status=status)
    return retry_after_header(response, throttled) if throttled else response
