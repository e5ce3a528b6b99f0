"""What the account pages share: form errors from an AppError, the language cookie, the
page for a mailed link that is gone."""

from django.conf import settings
from django.shortcuts import render

from ilp.core.errors import AppError


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


def _link_gone(request, exc: AppError, *, retry_url: str, retry_label: str):
    """A mailed link that cannot be used: what happened and what to do now."""
    return render(
        request,
        "accounts/link_gone.html",
        {"message": exc.message, "retry_url": retry_url, "retry_label": retry_label},
        status=exc.status,
    )
