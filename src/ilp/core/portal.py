"""Portal plumbing every app's pages use: company-scoped views and where a person lands.

It sits in core so that each app's views can use it without importing another app; the
membership look-up comes from accounts through `core.auth.membership_for`.
"""

from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse

from .actors import Actor
from .auth import (
    Principal,
    company_membership,
    signed_in_by_sso,
    staff_standing,
    two_factor_setup_url_name,
)
from .authz import Permission, StaffRole, membership_can, staff_role_allows
from .errors import NotFound, PermissionDenied


def company_page(permission: Permission = Permission.VIEW):
    """Decorate a portal view `view(request, membership, ...)` taking `<gaid>` from the URL.

    Not a member → 404 page; the company requires single sign-on of this member, who signed
    in another way → 403 page saying so; the company requires two-factor sign-in and the
    member has none → to the set-up page (with a message saying why); role lacks the
    permission → 403 page.
    Vendor staff see the page as the company's administrators do, under a banner, and change
    nothing (any POST → 403; `core.auth.company_membership` decides, as for the API).
    The membership is put on `request.membership` (for the templates) and the acting user on
    `request.actor` (for the services the view calls).
    """

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, gaid: str, *args, **kwargs):
            principal = Principal(
                kind="user", user=request.user, session_sso=signed_in_by_sso(request)
            )
            try:
                membership = company_membership(
                    principal=principal, gaid=gaid, method=request.method, request=request
                )
            except NotFound:
                raise Http404 from None
            except PermissionDenied as exc:
                if exc.code == "two_factor_required":
                    return _two_factor_setup_redirect(request)
                if exc.code == "sso_required":
                    raise  # a readable page saying why (web's PortalErrorMiddleware)
                raise DjangoPermissionDenied from None
            # A page for a change (split, merge, register a token …) is no page for vendor
            # staff's read-only view: 403 like a role that may not make that change.
            if not membership_can(membership, permission):
                raise DjangoPermissionDenied
            request.membership = membership
            request.actor = Actor.for_user(request.user)
            return view(request, membership, *args, **kwargs)

        wrapper.ilp_permission = permission  # read by tests/test_tenancy_matrix.py
        return wrapper

    return decorator


def staff_page(role: StaffRole = StaffRole.SUPPORT):
    """Decorate a back-office view `view(request, ...)` under /staff/ for vendor staff whose
    role is `role` or above (the page twin of `core.auth.StaffAuth(role)`).

    Not staff → 404 page (the back office does not exist for customers); staff without
    two-factor sign-in → to its set-up page first (staff always need it); role too low → 403
    page. `request.staff_role` is the role (for the templates) and `request.actor` the staff
    actor (services take `request.actor.with_reason(reason)` for corrections).
    """

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            standing = staff_standing(request.user)
            if standing is None:
                raise Http404
            if not standing.second_factor and not signed_in_by_sso(request):
                return _two_factor_setup_redirect(request)
            if not staff_role_allows(standing.role, role):
                raise DjangoPermissionDenied
            request.staff_role = standing.role
            request.actor = Actor.for_staff(user=request.user)
            return view(request, *args, **kwargs)

        wrapper.ilp_staff_role = role  # read by the back office's role matrix tests
        return wrapper

    return decorator


def _two_factor_setup_redirect(request):
    """Lead a member whose company requires two-factor sign-in to its set-up (which says
    which of their companies require it), and back."""
    url = reverse(two_factor_setup_url_name())
    if request.method == "GET":
        url = f"{url}?{urlencode({'next': request.get_full_path()})}"
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def nav_items(entries, current_path: str) -> list[dict]:
    """Navigation items from (label, URL name, reverse kwargs) entries: those whose URL is
    not (yet) defined are left out; the one with the longest URL the current path starts
    with is `current`."""
    items = []
    for label, name, kwargs in entries:
        try:
            url = reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "name": name})
    best = max(
        (i for i in items if current_path.startswith(i["url"])),
        key=lambda i: len(i["url"]),
        default=None,
    )
    for item in items:
        item["current"] = item is best
    return items


def company_start_url(gaid: str) -> str:
    """Where a person lands in a company: its dashboard (or "Manage company" without one)."""
    for name in ("licensing:dashboard", "accounts:manage_company"):
        try:
            return reverse(name, kwargs={"gaid": gaid})
        except NoReverseMatch:
            continue
    return reverse("web:no_company")


# A secret shown once (a UMS credential, an API or ALD token) must not be the body of a POST
# response: reloading that page would post again and create a second one. The view stores
# the secret in the (server-side) session and redirects; the page it redirects to takes it
# out again, so it is shown on exactly one GET and is never in a URL or a cookie.
_SECRETS_ONCE = "ilp_secret_once"


def secret_once_put(request, *, kind: str, value: str, **about) -> None:
    """Keep `value` for the next page of this session that asks for `kind`."""
    request.session[_SECRETS_ONCE] = {"kind": kind, "value": value, **about}


def secret_once_take(request, *, kind: str) -> dict | None:
    """The secret kept for `kind` (with what it was stored with), removed from the session;
    None when there is none (a reload, another tab)."""
    kept = request.session.get(_SECRETS_ONCE)
    if not kept or kept.get("kind") != kind:
        return None
    del request.session[_SECRETS_ONCE]
    return kept
