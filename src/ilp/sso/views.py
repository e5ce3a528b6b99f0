"""Pages of single sign-on: the sign-in through a company's (or the vendor's) provider, and
the company's settings (provider, domains)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ilp.accounts.models import SignInMethod, normalize_email
from ilp.accounts.signin import browser_cookie_set, sign_in
from ilp.core.authz import Permission
from ilp.core.errors import AppError, NotFound
from ilp.core.portal import company_page, company_start_url
from ilp.core.throttle import client_address, throttle_hit

from . import selectors, services, signin, staff
from .forms import DomainForm, SsoForm

CALLBACK = "/sso/callback"
# Sign-in starts per client address: many colleagues behind one company's NAT sign in at
# nine o'clock, so this is looser than the password logins' failure limit.
START_RATE = "120/m"
STAFF_CALLBACK = "/staff/sso/callback"


def _next(request, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


def sso_start(request):
    """Continue a sign-in at the identity provider of the company that verified the e-mail's
    domain (the login page sends such addresses here)."""
    throttle_hit(scope="sso_start", ident=client_address(request), rate=START_RATE)
    email = normalize_email(request.GET.get("email"))
    sso = selectors.sso_for_email(email)
    if sso is None:
        messages.info(request, _("Your address does not sign in through single sign-on."))
        return redirect(f"{reverse('web:login')}?email={email}&password=1")
    url = signin.start(
        request,
        client=services.sso_client(sso),
        callback_path=CALLBACK,
        about={"company": sso.company_id, "next": _next(request, request.GET.get("next"))},
        hint=email,
    )
    return redirect(url)


def sso_callback(request):
    """Where the provider sends the browser back: checks, then signs the person in."""
    pending = signin.pending_take(request)
    sso = selectors.sso_of_company(company_id=pending.get("company") or 0)
    if sso is None:
        raise NotFound(code="sso_not_configured")
    claims = signin.finish(
        request, client=services.sso_client(sso), pending=pending, callback_path=CALLBACK
    )
    outcome = services.sso_person(sso=sso, claims=claims)
    sign_in(request, outcome.user, method=SignInMethod.SSO)
    target = pending.get("next") or company_start_url(outcome.company.gaid)
    response = redirect(target)
    if outcome.user.language:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, outcome.user.language, samesite="Lax")
    return browser_cookie_set(request, response)


def staff_start(request):
    """Staff sign in through the vendor's provider (ILP_STAFF_OIDC_*)."""
    throttle_hit(scope="sso_start", ident=client_address(request), rate=START_RATE)
    url = signin.start(
        request,
        client=staff.staff_client(),
        callback_path=STAFF_CALLBACK,
        about={"staff": True},
    )
    return redirect(url)


def staff_callback(request):
    pending = signin.pending_take(request)
    if not pending.get("staff"):
        raise signin.SsoStateInvalid()
    claims = signin.finish(
        request, client=staff.staff_client(), pending=pending, callback_path=STAFF_CALLBACK
    )
    user = staff.staff_person(claims=claims)
    sign_in(request, user, method=SignInMethod.SSO)
    return browser_cookie_set(request, redirect(staff.STAFF_LANDING))


@login_required
def sso_help(request):
    """For administrators: how to connect Entra ID, Okta and Google Workspace."""
    return render(request, "sso/help.html", {"redirect_uri": signin.redirect_uri(CALLBACK)})


# --- the company's settings -----------------------------------------------------------------


def _settings_context(membership, form=None, domain_form=None):
    sso = membership.company.sso if hasattr(membership.company, "sso") else None
    initial = {}
    if sso is not None:
        initial = {
            "issuer": sso.issuer,
            "client_id": sso.client_id,
            "jit_role": sso.jit_role,
            "require_sso": sso.require_sso,
        }
    return {
        "sso": sso,
        "form": form or SsoForm(initial=initial, configured=sso is not None),
        "domain_form": domain_form or DomainForm(),
        "domains": list(selectors.domain_list(membership=membership)),
        "redirect_uri": signin.redirect_uri(CALLBACK),
    }


@company_page(Permission.MANAGE_SSO)
def sso_settings(request, membership):
    """Single sign-on: the provider, just-in-time membership, require SSO, the domains."""
    form = None
    if request.method == "POST":
        sso = getattr(membership.company, "sso", None)
        form = SsoForm(request.POST, configured=sso is not None)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.sso_set(
                    actor=request.actor,
                    membership=membership,
                    issuer=data["issuer"],
                    client_id=data["client_id"],
                    client_secret=data["client_secret"] or (sso.client_secret if sso else ""),
                    jit_role=data["jit_role"] or None,
                    require_sso=data["require_sso"],
                )
            except AppError as exc:
                form.add_error("issuer", exc.message)
            else:
                messages.success(request, _("Single sign-on is saved."))
                return redirect("sso:settings", gaid=membership.company.gaid)
    context = _settings_context(membership, form=form)
    return render(request, "sso/settings.html", context, status=422 if form else 200)


@require_POST
@company_page(Permission.MANAGE_SSO)
def sso_remove(request, membership):
    try:
        services.sso_delete(actor=request.actor, membership=membership)
    except AppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Single sign-on is removed."))
    return redirect("sso:settings", gaid=membership.company.gaid)


@require_POST
@company_page(Permission.MANAGE_SSO)
def domain_add(request, membership):
    form = DomainForm(request.POST)
    if form.is_valid():
        try:
            services.domain_add(
                actor=request.actor, membership=membership, domain=form.cleaned_data["domain"]
            )
        except AppError as exc:
            form.add_error("domain", exc.message)
        else:
            messages.success(request, _("Add the TXT record below to the domain's DNS."))
            return redirect("sso:settings", gaid=membership.company.gaid)
    context = _settings_context(membership, domain_form=form)
    return render(request, "sso/settings.html", context, status=422)


@require_POST
@company_page(Permission.MANAGE_SSO)
def domain_verify(request, membership, domain):
    try:
        services.domain_verify(actor=request.actor, membership=membership, domain=domain)
    except AppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(domain)s is verified.") % {"domain": domain})
    return redirect("sso:settings", gaid=membership.company.gaid)


@require_POST
@company_page(Permission.MANAGE_SSO)
def domain_remove(request, membership, domain):
    try:
        services.domain_delete(actor=request.actor, membership=membership, domain=domain)
    except AppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(domain)s is removed.") % {"domain": domain})
    return redirect("sso:settings", gaid=membership.company.gaid)
