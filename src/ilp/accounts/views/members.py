"""The people section's actions: roles, removal, invitations, access requests."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ilp.core.authz import Permission, has_permission
from ilp.core.errors import AppError
from ilp.core.portal import company_page

from .. import services
from ..forms import InviteForm, RoleForm
from ..models import normalize_email
from .common import form_errors_from
from .companies import _people_context, _people_response


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
