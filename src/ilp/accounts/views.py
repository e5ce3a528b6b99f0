"""Portal pages of people and access: accept an invitation, manage the company, the profile.

Views only translate between HTTP and the services: every rule lives in the services, and an
AppError becomes a message on the page. Company pages act as `request.actor` (set by
`company_page`).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ilp.core.actors import Actor
from ilp.core.authz import Permission, Role, has_permission
from ilp.core.errors import AppError
from ilp.core.portal import company_page, company_start_url
from ilp.core.throttle import client_address, throttle_hit

from . import selectors, services
from .forms import CompanyForm, InviteForm, ProfileForm, RegistrationForm, RoleForm, TokenForm
from .models import normalize_email

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


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
        return render(
            request,
            "accounts/invitation_gone.html",
            {"invitation": inv, "message": exc.message},
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
            if user is None:
                login(request, person, backend=MODEL_BACKEND)
            messages.success(
                request,
                _("Welcome to %(company)s. Your role: %(role)s.")
                % {"company": membership.company.name, "role": membership.get_role_display()},
            )
            response = redirect(company_start_url(membership.company.gaid))
            return _set_language_cookie(response, person.language)
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
    can_manage = has_permission(membership.role, Permission.MANAGE_MEMBERS)
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
        {"company": company, "company_form": company_form, **_people_context(membership)},
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
                notice=_("An invitation was sent to %(email)s.") % {"email": invitation.email},
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
    user = request.user
    if form is None:
        form = ProfileForm(
            memberships=memberships,
            initial={
                "first_name": user.first_name,
                "last_name": user.last_name,
                "language": user.language,
                "default_company": user.default_company.gaid if user.default_company_id else "",
            },
        )
    return {
        "form": form,
        "memberships": memberships,
        "tokens": list(selectors.api_token_list(user=user)),
        "token_form": TokenForm(),
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
                    notify={
                        m.company.gaid: f"notify-{m.company.gaid}" in request.POST
                        for m in memberships
                        # Some roles always get these mails (their box is disabled).
                        if not m.mailed_always
                    },
                )
            except AppError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, _("Your profile is saved."))
                return _set_language_cookie(redirect("accounts:profile"), user.language)
        return render(request, "accounts/profile.html", _profile_context(request, form), status=422)
    return render(request, "accounts/profile.html", _profile_context(request))


@require_POST
@login_required
def token_create(request):
    form = TokenForm(request.POST)
    new_token = None
    if form.is_valid():
        _token, new_token = services.api_token_create(
            actor=Actor.for_user(request.user),
            user=request.user,
            name=form.cleaned_data["name"] or _("Portal"),
        )
    ctx = _profile_context(request, new_token=new_token)
    template = "accounts/_tokens.html" if request.htmx else "accounts/profile.html"
    # The new token is in this response only; it is never shown again.
    return render(request, template, ctx)


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
