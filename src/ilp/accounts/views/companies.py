"""Managing the company: its details, its security settings, the people section."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ilp.core.authz import Permission, Role, membership_can
from ilp.core.errors import AppError
from ilp.core.portal import company_page

from .. import selectors, services
from ..forms import CompanyForm, InviteForm

# --- manage company ------------------------------------------------------------------------
from .common import form_errors_from


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
