"""Portal pages of people and access: accept an invitation, manage the company, the profile.

Views only translate between HTTP and the services: every rule lives in the services, and an
AppError becomes a message on the page. Company pages act as `request.actor` (set by
`company_page`).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ilp.core.actors import Actor
from ilp.core.auth import signed_in_by_sso
from ilp.core.authz import Permission, Role, has_permission, membership_can
from ilp.core.errors import AppError, Throttled
from ilp.core.portal import company_page, company_start_url, secret_once_put, secret_once_take
from ilp.core.throttle import (
    client_address,
    password_reset_limits,
    retry_after_header,
    throttle_hit,
    throttle_hits,
)

from . import otp, selectors, services
from .errors import AccountError
from .forms import (
    ClaimForm,
    CompanyForm,
    InviteForm,
    OtpForm,
    PasswordChangeForm,
    PasswordResetRequestForm,
    ProfileForm,
    RegistrationForm,
    RoleForm,
    SetPasswordForm,
    TokenForm,
)
from .models import SignInMethod, normalize_email
from .selectors import MailTopic
from .signin import browser_cookie_set, current_session_id, sign_in


def form_errors_from(form, exc: AppError, field_map: dict | None = None) -> None:
    """Put an AppError's field errors on the form (non-field errors when no field matches)."""
    field_map = field_map or {}
    if not exc.errors:
        form.add_error(None, exc.message)
        return
    for error in exc.errors:
        name = str((error.get("loc") or [""])[-1])
        name = field_map.get(name, name)
        form.add_error(name if name in form.fields else None, str(error.get("msg", "")))


def _set_language_cookie(response, language: str):
    # A chosen language is remembered in the cookie; "" (as my browser) forgets any choice.
    if language:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, samesite="Lax")
    return response


# --- accept an invitation ------------------------------------------------------------------


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


# --- manage company ------------------------------------------------------------------------


def _people_context(membership, **extra) -> dict:
    can_manage = membership_can(membership, Permission.MANAGE_MEMBERS)
    ctx = {
        "membership": membership,
        "can_manage": can_manage,
        "members": list(selectors.member_list(membership=membership)),
        "roles": Role.choices,
        "invite_form": InviteForm(),
    }
    # Every member may read the pending invitations and access requests (API.md: reads are
    # for members); only administrators get the buttons.
    ctx["invitations"] = list(selectors.invitation_list_pending(membership=membership))
    ctx["access_requests"] = list(selectors.access_request_list_pending(membership=membership))
    ctx.update(extra)
    return ctx


def _people_response(request, membership, **extra):
    """After a change: the people block alone for htmx, else back to the whole page."""
    if request.htmx:
        return render(request, "accounts/_people.html", _people_context(membership, **extra))
    for level, text in (("error", extra.get("error")), ("success", extra.get("notice"))):
        if text:
            messages.add_message(
                request, messages.ERROR if level == "error" else messages.SUCCESS, text
            )
    return redirect("accounts:manage_company", gaid=membership.company.gaid)


@company_page(Permission.VIEW)
def manage_company(request, membership):
    """GAID, company details, members, invitations and access requests of one company."""
    return _manage_company_page(request, membership)


def _manage_company_page(request, membership, *, status: int = 200, **extra):
    company = membership.company
    company_form = CompanyForm(
        initial={
            "name": company.name,
            "street": company.street,
            "postal_code": company.postal_code,
            "city": company.city,
            "country": company.country,
        }
    )
    return render(
        request,
        "accounts/manage_company.html",
        {
            "company": company,
            "company_form": company_form,
            **_people_context(membership),
            **extra,
        },
        status=status,
    )


@require_POST
@company_page(Permission.MANAGE_MEMBERS)
def company_edit(request, membership):
    form = CompanyForm(request.POST)
    if form.is_valid():
        try:
            services.company_update(
                actor=request.actor, company=membership.company, **form.cleaned_data
            )
        except AppError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("The company details are saved."))
            return redirect("accounts:manage_company", gaid=membership.company.gaid)
    return render(
        request,
        "accounts/manage_company.html",
        {
            "company": membership.company,
            "company_form": form,
            **_people_context(membership),
        },
        status=422,
    )


@require_POST
@company_page(Permission.MANAGE_MEMBERS)
def member_role(request, membership, email: str):
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _people_response(request, membership, error=_("Choose a role."))
    try:
        changed = services.member_role_change(
            actor=request.actor,
            company=membership.company,
            email=email,
            role=form.cleaned_data["role"],
        )
    except AppError as exc:
        return _people_response(request, membership, error=exc.message)
    if changed.user_id == request.user.pk and not has_permission(
        changed.role, Permission.MANAGE_MEMBERS
    ):
        # Demoted oneself: the people block of an administrator no longer applies.
        messages.success(
            request, _("Your role is now %(role)s.") % {"role": changed.get_role_display()}
        )
        if not request.htmx:
            return redirect("accounts:manage_company", gaid=membership.company.gaid)
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse(
            "accounts:manage_company", kwargs={"gaid": membership.company.gaid}
        )
        return response
    return _people_response(
        request,
        membership,
        notice=_("%(email)s is now %(role)s.")
        % {"email": changed.user.email, "role": changed.get_role_display()},
    )


@require_POST
@company_page(Permission.MANAGE_MEMBERS)
def member_remove(request, membership, email: str):
    try:
        services.member_remove(actor=request.actor, company=membership.company, email=email)
    except AppError as exc:
        return _people_response(request, membership, error=exc.message)
    if normalize_email(email) == request.user.email:
        response = redirect("web:home")
        if request.htmx:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("web:home")
        return response
    return _people_response(
        request, membership, notice=_("%(email)s was removed.") % {"email": email}
    )


@require_POST
@company_page(Permission.MANAGE_MEMBERS)
def invitation_send(request, membership):
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation, _raw = services.invitation_create(
                actor=request.actor,
                company=membership.company,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except AppError as exc:
            form_errors_from(form, exc)
        else:
            return _people_response(
                request,
                membership,
                notice=(
                    _(
                        "The invitation was sent again to %(email)s. The earlier mail's link "
                        "still works and leads to this invitation."
                    )
                    if getattr(invitation, "sent_again", False)
                    else _("An invitation was sent to %(email)s.")
                )
                % {"email": invitation.email},
            )
    if request.htmx:
        return render(
            request, "accounts/_people.html", _people_context(membership, invite_form=form)
        )
    errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
    return _people_response(request, membership, error=errors)


@require_POST
@company_page(Permission.MANAGE_MEMBERS)
def invitation_withdraw(request, membership, invitation_id: int):
    try:
        invitation = services.invitation_withdraw(
            actor=request.actor,
            company=membership.company,
            invitation_id=invitation_id,
        )
    except AppError as exc:
        return _people_response(request, membership, error=exc.message)
    return _people_response(
        request,
        membership,
        notice=_("The invitation of %(email)s was withdrawn.") % {"email": invitation.email},
    )


@require_POST
@company_page(Permission.MANAGE_MEMBERS)
def access_request_invite(request, membership, access_request_id: int):
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _people_response(request, membership, error=_("Choose a role."))
    try:
        invitation, _raw = services.access_request_invite(
            actor=request.actor,
            company=membership.company,
            access_request_id=access_request_id,
            role=form.cleaned_data["role"],
        )
    except AppError as exc:
        return _people_response(request, membership, error=exc.message)
    return _people_response(
        request,
        membership,
        notice=_("An invitation was sent to %(email)s.") % {"email": invitation.email},
    )


@require_POST
@company_page(Permission.MANAGE_MEMBERS)
def access_request_dismiss(request, membership, access_request_id: int):
    try:
        services.access_request_dismiss(
            actor=request.actor,
            company=membership.company,
            access_request_id=access_request_id,
        )
    except AppError as exc:
        return _people_response(request, membership, error=exc.message)
    return _people_response(request, membership, notice=_("The access request was dismissed."))


# --- profile -------------------------------------------------------------------------------


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


# --- two-factor sign-in --------------------------------------------------------------------


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


# --- deleting one's account ----------------------------------------------------------------


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


def _link_gone(request, exc: AppError, *, retry_url: str, retry_label: str):
    """A mailed link that cannot be used: what happened and what to do now."""
    return render(
        request,
        "accounts/link_gone.html",
        {"message": exc.message, "retry_url": retry_url, "retry_label": retry_label},
        status=exc.status,
    )


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


# --- claiming a company without administrator (FAQ Q5) -------------------------------------


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


@require_POST
@company_page(Permission.MANAGE_MEMBERS)
def company_security(request, membership):
    """Require (or stop requiring) two-factor sign-in of every member."""
    required = request.POST.get("require_2fa") == "on"
    try:
        services.company_two_factor_require(
            actor=request.actor, company=membership.company, required=required
        )
    except AppError as exc:
        # Said next to the switch, which gets the focus (the page scrolls to it), not at the
        # top of a long page out of sight (issue 24).
        return _manage_company_page(
            request, membership, security_error=exc.message, status=exc.status
        )
    messages.success(
        request,
        _("Every member now needs two-factor sign-in.")
        if required
        else _("Two-factor sign-in is now each member's choice."),
    )
    url = reverse("accounts:manage_company", kwargs={"gaid": membership.company.gaid})
    return redirect(f"{url}#security-title")


@login_required
def sessions(request):
    """Where the person is signed in (end one) and their last 50 sign-ins."""
    current = current_session_id(request)
    open_sessions = list(selectors.session_list(user=request.user))
    for item in open_sessions:
        item.current = item.pk == current
    return render(
        request,
        "accounts/sessions.html",
        {"sessions": open_sessions, "sign_ins": list(selectors.sign_in_list(user=request.user))},
    )


@require_POST
@login_required
def session_end(request, session_id: int):
    """End one of the person's sessions (their current one signs them out)."""
    try:
        services.session_end(
            actor=Actor.for_user(request.user), user=request.user, session_id=session_id
        )
    except AppError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:sessions")
    if session_id == current_session_id(request):
        return redirect("web:login")
    messages.success(request, _("The session was ended."))
    return redirect("accounts:sessions")
