"""Staff users and staff tokens (staff administrators)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ilp.accounts import selectors as account_selectors
from ilp.accounts import services as account_services
from ilp.core.authz import StaffRole
from ilp.core.errors import AppError
from ilp.core.portal import secret_once_put, secret_once_take, staff_page

from ..forms import StaffRoleForm, StaffTokenForm, StaffUserForm
from .common import form_errors_from, render

ADMIN = StaffRole.STAFF_ADMIN


def _page(request, *, user_form=None, token_form=None, status=200):
    return render(
        request,
        "backoffice/staff.html",
        {
            "members": list(account_selectors.staff_member_list()),
            "tokens": list(account_selectors.staff_token_list()),
            "user_form": user_form or StaffUserForm(),
            "token_form": token_form or StaffTokenForm(),
            "roles": StaffRole.choices,
            "new_token": secret_once_take(request, kind="staff_token"),
        },
        status=status,
    )


@staff_page(ADMIN)
def staff(request):
    """The vendor's staff with their roles, and the staff tokens."""
    return _page(request)


@staff_page(ADMIN)
def staff_user_add(request):
    form = StaffUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account_services.staff_member_invite(actor=request.actor, **form.cleaned_data)
        except AppError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(
                request,
                _("%(email)s is staff now and got a mail with the way in.")
                % {"email": form.cleaned_data["email"]},
            )
            return redirect("backoffice:staff")
    return _page(request, user_form=form, status=422 if request.method == "POST" else 200)


@require_POST
@staff_page(ADMIN)
def staff_user_role(request, staff_member_id: int):
    form = StaffRoleForm(request.POST)
    try:
        if not form.is_valid():
            raise AppError(_("Choose a staff role."))
        account_services.staff_member_role_change(
            actor=request.actor, staff_member_id=staff_member_id, role=form.cleaned_data["role"]
        )
    except AppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Staff role changed."))
    return redirect("backoffice:staff")


@require_POST
@staff_page(ADMIN)
def staff_user_remove(request, staff_member_id: int):
    try:
        account_services.staff_member_remove(actor=request.actor, staff_member_id=staff_member_id)
    except AppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Removed from the staff."))
    return redirect("backoffice:staff")


@staff_page(ADMIN)
def staff_token_add(request):
    form = StaffTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token_row, token = account_services.staff_token_create(
                actor=request.actor, name=form.cleaned_data["name"], role=form.cleaned_data["role"]
            )
        except AppError as exc:
            form_errors_from(form, exc)
        else:
            # Shown once, on the next page (never the body of a POST answer: core/portal.py).
            secret_once_put(request, kind="staff_token", value=token, name=token_row.name)
            return redirect("backoffice:staff")
    return _page(request, token_form=form, status=422 if request.method == "POST" else 200)


@require_POST
@staff_page(ADMIN)
def staff_token_revoke(request, staff_token_id: int):
    try:
        account_services.staff_token_revoke(actor=request.actor, staff_token_id=staff_token_id)
    except AppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Token revoked."))
    return redirect("backoffice:staff")


urlpatterns = [
    path("staff/", staff, name="staff"),
    path("staff/users/", staff_user_add, name="staff_user_add"),
    path("staff/users/<int:staff_member_id>/role/", staff_user_role, name="staff_user_role"),
    path("staff/users/<int:staff_member_id>/remove/", staff_user_remove, name="staff_user_remove"),
    path("staff/tokens/", staff_token_add, name="staff_token_add"),
    path(
        "staff/tokens/<int:staff_token_id>/revoke/", staff_token_revoke, name="staff_token_revoke"
    ),
]
