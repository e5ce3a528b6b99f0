from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from ilp.accounts.selectors import membership_get, memberships_of
from ilp.audit.selectors import event_list
from ilp.core.authz import Permission
from ilp.core.errors import NotFound

from .portal import company_page


def _company_start(gaid: str) -> str:
    for name in ("licensing:dashboard", "accounts:manage_company"):
        try:
            return reverse(name, kwargs={"gaid": gaid})
        except NoReverseMatch:
            continue
    return reverse("web:no_company")


@login_required
def home(request):
    """Start page: the default company, else the first one the user belongs to."""
    memberships = list(memberships_of(user=request.user))
    if not memberships:
        return redirect("web:no_company")
    default = next(
        (m for m in memberships if m.company_id == request.user.default_company_id), memberships[0]
    )
    return redirect(_company_start(default.company.gaid))


@login_required
def switch_company(request):
    try:
        membership = membership_get(user=request.user, gaid=request.GET.get("gaid", ""))
    except NotFound:
        return redirect("web:home")
    return redirect(_company_start(membership.company.gaid))


@login_required
def no_company(request):
    return render(
        request,
        "web/error.html",
        {
            "title": _("No company yet"),
            "message": _(
                "Your account does not belong to any company. Ask your company's ILP "
                "administrator to invite you."
            ),
        },
    )


@company_page(Permission.READ_AUDIT)
def audit(request, membership):
    page = Paginator(event_list(membership=membership), 50).get_page(request.GET.get("page"))
    return render(request, "web/audit.html", {"page": page})


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True


def error_page(request, status: int, title: str, message: str):
    return render(request, "web/error.html", {"title": title, "message": message}, status=status)


def handler404(request, exception=None):
    return error_page(
        request, 404, _("Not found"), _("This page does not exist or you have no access to it.")
    )


def handler403(request, exception=None):
    return error_page(request, 403, _("Not allowed"), _("Your role does not allow this action."))


def handler500(request):
    return error_page(request, 500, _("Something went wrong"), _("Please try again in a moment."))
