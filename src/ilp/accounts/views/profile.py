"""The profile page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from ilp.core.actors import Actor
from ilp.core.errors import AppError
from ilp.core.portal import secret_once_take

from .. import selectors, services
from ..forms import PasswordChangeForm, ProfileForm, TokenForm
from ..selectors import MailTopic

# --- profile -------------------------------------------------------------------------------
from .common import _set_language_cookie, form_errors_from


def _profile_context(request, form=None, **extra) -> dict:
    memberships = list(selectors.memberships_of(user=request.user))
    for m in memberships:
        m.gets_expiry = m.opted_in(MailTopic.EXPIRY)
        m.gets_new_key = m.opted_in(MailTopic.NEW_KEY)
    user = request.user
    if form is None:
        form = ProfileForm(
            memberships=memberships,
            initial={
                "first_name": user.first_name,
                "last_name": user.last_name,
                "language": user.language,
                "default_company": user.default_company.gaid if user.default_company_id else "",
                "time_zone": user.time_zone,
            },
        )
    return {
        "form": form,
        "memberships": memberships,
        "tokens": list(selectors.api_token_list(user=user)),
        "token_form": extra.pop("token_form", None) or TokenForm(memberships=memberships),
        "password_form": PasswordChangeForm(),
        "two_factor_on": selectors.two_factor_active(user=user),
        "sole_administrations": selectors.companies_solely_administered(user=user),
        "time_zones": sorted(services.time_zone_names()),
        **extra,
    }


@login_required
def profile(request):
    """Name, language, default company, mail opt-ins per company and API tokens."""
    if request.method == "POST":
        memberships = list(selectors.memberships_of(user=request.user))
        form = ProfileForm(request.POST, memberships=memberships)
        if form.is_valid():
            try:
                user = services.profile_update(
                    actor=Actor.for_user(request.user),
                    user=request.user,
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                    language=form.cleaned_data["language"],
                    default_company_gaid=form.cleaned_data["default_company"] or None,
                    opt_ins={
                        m.company.gaid: {
                            topic: f"notify-{topic}-{m.company.gaid}" in request.POST
                            for topic in MailTopic
                        }
                        for m in memberships
                        # Some roles always get these mails (their boxes are disabled).
                        if not m.mailed_always
                    },
                    time_zone=form.cleaned_data["time_zone"],
                )
            except AppError as exc:
                form_errors_from(form, exc)
            else:
                # Said in the language just chosen: the next page is in it.
                with translation.override(user.language or translation.get_language()):
                    messages.success(request, _("Your profile is saved."))
                return _set_language_cookie(redirect("accounts:profile"), user.language)
        return render(request, "accounts/profile.html", _profile_context(request, form), status=422)
    # A token created without htmx arrives here after the redirect, shown on this GET only.
    kept = secret_once_take(request, kind="api_token")
    extra = {"new_token": kept["value"]} if kept else {}
    return render(request, "accounts/profile.html", _profile_context(request, **extra))
