"""What every back-office page needs: its navigation and role in the context."""

from django.shortcuts import render as django_render

from ilp.core.authz import StaffRole

from ..nav import staff_nav


def render(request, template: str, context: dict | None = None, status: int = 200):
    """Render a back-office page: the staff navigation, the role and the search box's query
    come with every page."""
    ctx = {
        "nav": staff_nav(request.staff_role, request.path),  # web/base.html's side navigation
        "staff_role": request.staff_role,
        "staff_role_label": StaffRole(request.staff_role).label,
        "search_q": request.GET.get("q", "") if request.resolver_match.url_name == "home" else "",
        **(context or {}),
    }
    return django_render(request, template, ctx, status=status)
