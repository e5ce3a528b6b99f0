import datetime
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from ilp.accounts.forms import OtpForm, ThrottledLoginMixin
from ilp.accounts.models import SignInMethod, normalize_email
from ilp.accounts.selectors import (
    membership_get,
    memberships_of,
    two_factor_active,
    user_active_get,
    user_find,
)
from ilp.accounts.services import otp_verify, session_end_current
from ilp.accounts.signin import browser_cookie_set, current_session_id, sign_in, sign_in_failed
from ilp.audit.labels import action_label
from ilp.audit.schemas import AuditEventOut
from ilp.audit.selectors import event_actions, event_list
from ilp.core.auth import staff_standing, two_factor_setup_url_name
from ilp.core.authz import Permission
from ilp.core.csv_export import csv_of_schema
from ilp.core.errors import NotFound, Throttled
from ilp.core.pagination import CappedPaginator
from ilp.core.portal import company_page, company_start_url
from ilp.core.throttle import retry_after_header, throttle_hit
from ilp.licensing.selectors import companies_overview
from ilp.sso.selectors import sso_for_email

from .portal import switch_target
from .search import KIND_LABELS, MIN_LENGTH, company_search, item_url


@login_required
def home(request):
    """Start page: the overview of a person in several companies, else their company."""
    memberships = list(memberships_of(user=request.user))
    if not memberships:
        # Vendor staff belong to no company: their start page is the back office.
        if staff_standing(request.user) is not None:
            return redirect("backoffice:home")
        return redirect("web:no_company")
    if len(memberships) > 1:
        # A service provider (or anyone in several companies) starts from all of them.
        return redirect("web:overview")
    return redirect(company_start_url(memberships[0].company.gaid))


@login_required
def switch_company(request):
    try:
        membership = membership_get(user=request.user, gaid=request.GET.get("gaid", ""))
    except NotFound:
        return redirect("web:home")
    same_kind = switch_target(membership, request.GET.get("from") or "")
    return redirect(same_kind or company_start_url(membership.company.gaid))


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


@login_required
def overview(request):
    """Start page of a person in several companies: one card per company (GET /me/overview)."""
    items = companies_overview(memberships=memberships_of(user=request.user), request=request)
    # A company whose `require_2fa` the person does not meet shows a way to turn it on, and
    # back here, instead of its figures.
    setup = f"{reverse(two_factor_setup_url_name())}?{urlencode({'next': request.path})}"
    return render(request, "web/overview.html", {"items": items, "two_factor_setup": setup})


def _day(value) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


@company_page(Permission.READ_AUDIT)
def audit(request, membership):
    """The audit log in words, filtered by action, person and days; or all of it as CSV."""
    filters = {
        "action": (request.GET.get("action") or "").strip(),
        "actor": (request.GET.get("actor") or "").strip(),
        "since": _day(request.GET.get("since")),
        "until": _day(request.GET.get("until")),
    }
    events = event_list(membership=membership, **filters)
    if request.GET.get("format") == "csv":
        return csv_of_schema(
            f"events-{membership.company.gaid}.csv",
            AuditEventOut,
            events.iterator(chunk_size=500),
        )
    # Capped count (issue 14): a log of 500,000 events is not counted on every view.
    page = CappedPaginator(events, 50).get_page(request.GET.get("page"))
    actions = [(code, action_label(code)) for code in event_actions(membership=membership)]
    return render(
        request,
        "web/audit.html",
        {
            "page": page,
            "filters": filters,
            "filtered": any(filters.values()),
            "actions": sorted(actions, key=lambda a: str(a[1]).casefold()),
        },
    )


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    """Django's login form with a message that fits e-mail logins (the e-mail is compared in
    its canonical form) and a throttle per client address and canonical e-mail."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _lazy(
            "The e-mail or password is wrong. Check the password (it is case-sensitive) and try "
            "again."
        ),
    }


# Between the password and the code of the second step, the session holds who passed the
# first, for a few minutes; nobody is logged in until the code is right.
TWO_FACTOR_PENDING = "ilp_two_factor_pending"
TWO_FACTOR_STEP_SECONDS = 300


def _language_cookie(response, user):
    # The person's chosen language (profile) applies from the moment they log in.
    language = getattr(user, "language", "")
    if language:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
    return response


class LoginView(auth_views.LoginView):
    """The e-mail first: an address at a domain verified by a company with single sign-on
    continues at its provider (/sso/start); any other asks for the password next. A POST
    with both e-mail and password is the password step (what scripts and old forms send)."""

    redirect_authenticated_user = True
    authentication_form = LoginForm

    _force_password = False

    def _password_step(self) -> bool:
        if self._force_password:
            return True
        if self.request.method == "POST":
            return "password" in self.request.POST
        return self.request.GET.get("password") == "1"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["step"] = "password" if self._password_step() else "email"
        email = self.request.GET.get("email") or self.request.POST.get("username") or ""
        context["email"] = normalize_email(email)
        context["sso"] = sso_for_email(context["email"]) is not None if email else False
        return context

    def post(self, request, *args, **kwargs):
        if self._password_step():
            return super().post(request, *args, **kwargs)
        email = normalize_email(request.POST.get("username"))
        if email and sso_for_email(email) is not None:
            query = {"email": email}
            if request.POST.get("next"):
                query["next"] = request.POST["next"]
            # A page that moves on by itself, not a redirect: the login form's CSP
            # (form-action 'self') would stop a redirect chain leaving for the provider.
            url = f"{reverse('sso:start')}?{urlencode(query)}"
            return render(request, "registration/login_sso.html", {"url": url, "email": email})
        self._force_password = True
        return self.render_to_response(self.get_context_data(form=self.get_form_class()()))

    def form_invalid(self, form):
        sign_in_failed(self.request, user_find(email=self.request.POST.get("username", "")))
        response = super().form_invalid(form)
        if form.throttled is not None:
            retry_after_header(response, form.throttled)
        return response

    def form_valid(self, form):
        user = form.get_user()
        if two_factor_active(user=user):
            # Rule 17: the password alone does not log in; the second step asks for the code.
            self.request.session[TWO_FACTOR_PENDING] = {
                "user": user.pk,
                "at": time.time(),
                "next": self.get_success_url(),
            }
            return redirect("web:login_otp")
        sign_in(self.request, user, method=SignInMethod.PASSWORD)
        response = redirect(self.get_success_url())
        return browser_cookie_set(self.request, _language_cookie(response, user))


class LogoutView(auth_views.LogoutView):
    """Django's logout; the session's record goes with the session."""

    def post(self, request, *args, **kwargs):
        session_end_current(session_id=current_session_id(request))
        return super().post(request, *args, **kwargs)


def login_otp(request):
    """The second step of logging in with two-factor on: a code of the authenticator app or
    one of the recovery codes."""
    pending = request.session.get(TWO_FACTOR_PENDING) or {}
    user = user_active_get(pk=pending.get("user"))
    if user is None or time.time() - pending.get("at", 0) > TWO_FACTOR_STEP_SECONDS:
        request.session.pop(TWO_FACTOR_PENDING, None)
        if request.method == "POST" or pending:
            messages.info(request, _("Log in again: the second step took too long."))
        return redirect("web:login")
    form = OtpForm(request.POST or None)
    throttled = None
    if request.method == "POST" and form.is_valid():
        try:
            throttle_hit(scope="otp", ident=str(user.pk))
            # Counts a wrong code on the account (API and portal alike); 429 `otp_locked`
            # with the wait in minutes or hours after too many in a row.
            verified = otp_verify(user=user, code=form.cleaned_data["otp"])
        except Throttled as exc:
            form.add_error(None, exc.message)
            throttled = exc
        else:
            if verified:
                request.session.pop(TWO_FACTOR_PENDING, None)
                sign_in(request, user, method=SignInMethod.PASSWORD)
                response = redirect(pending.get("next") or "web:home")
                return browser_cookie_set(request, _language_cookie(response, user))
            sign_in_failed(request, user)
            form.add_error(
                "otp",
                _("The code is wrong or was used already. Enter the current code of your app."),
            )
    response = render(
        request,
        "registration/login_otp.html",
        {"form": form},
        status=422 if request.method == "POST" else 200,
    )
    return retry_after_header(response, throttled) if throttled else response


def error_page(request, status: int, title: str, message: str, *, merged_into: str = ""):
    """A readable error page; `merged_into` (410 `company_merged`) links the company the
    merged one lives on in."""
    return render(
        request,
        "web/error.html",
        {"title": title, "message": message, "merged_into": merged_into},
        status=status,
    )


def handler404(request, exception=None):
    return error_page(
        request, 404, _("Not found"), _("This page does not exist or you have no access to it.")
    )


def handler403(request, exception=None):
    return error_page(request, 403, _("Not allowed"), _("Your role does not allow this action."))


def handler500(request):
    return error_page(request, 500, _("Something went wrong"), _("Please try again in a moment."))


@company_page(Permission.VIEW)
def search(request, membership):
    """The company search's results page (the box in the navigation), grouped by kind."""
    q = (request.GET.get("q") or "").strip()
    gaid = membership.company.gaid
    groups: dict[str, dict] = {}
    for item in company_search(membership=membership, q=q):
        group = groups.setdefault(item["kind"], {"label": KIND_LABELS[item["kind"]], "items": []})
        group["items"].append({**item, "url": item_url(gaid, item)})
    context = {
        "q": q,
        "search_q": q,
        "groups": list(groups.values()),
        "too_short": 0 < len(q) < MIN_LENGTH,
    }
    return render(request, "web/search.html", context)
