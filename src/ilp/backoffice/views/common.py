"""What every back-office page needs: its navigation, the role and the search box."""

from django.shortcuts import render as django_render

from ilp.core.authz import StaffRole, staff_role_allows
from ilp.core.errors import AppError

from ..nav import staff_nav


def render(request, template: str, context: dict | None = None, status: int = 200):
    """Render a back-office page with the staff navigation (web/base.html's side navigation),
    the role and what the search box holds."""
    role = request.staff_role
    ctx = {
        "nav": staff_nav(role, request.path),
        "staff_role": role,
        "staff_role_label": StaffRole(role).label,
        "staff_can": {r.value: staff_role_allows(role, r) for r in StaffRole},
        "search_q": request.GET.get("q", "") if request.resolver_match.url_name == "home" else "",
        **(context or {}),
    }
    return django_render(request, template, ctx, status=status)


def form_errors_from(form, exc: AppError) -> None:
    """Put an AppError's field errors on the form (non-field errors when no field matches)."""
    if not exc.errors:
        form.add_error(None, exc.message)
        return
    for error in exc.errors:
        name = str((error.get("loc") or [""])[-1])
        form.add_error(name if name in form.fields else None, str(error.get("msg", "")))
