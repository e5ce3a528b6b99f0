"""The Django admin is for superusers only (API.md, "Vendor back office"): vendor staff work
in the back office under /staff/, which has roles; the admin has none and can change anything.
"""

from django.shortcuts import redirect
from django.urls import reverse


def admin_for_superusers_only(site) -> None:
    """Let only active superusers into `site`; send other staff to the back office."""
    login = site.login

    def has_permission(request) -> bool:
        user = request.user
        return user.is_active and user.is_superuser

    def login_or_back_office(request, extra_context=None):
        # A signed-in person who is not a superuser is not asked to sign in again as another
        # one: staff go to /staff/, everyone else to the portal.
        if request.user.is_authenticated and not has_permission(request):
            if request.user.is_staff:
                return redirect(reverse("backoffice:home"))
            return redirect(reverse("web:home"))
        return login(request, extra_context)

    site.has_permission = has_permission
    site.login = login_or_back_office
