"""Where the person is signed in (end a session) and their last sign-ins."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ilp.core.actors import Actor
from ilp.core.errors import AppError

from .. import selectors, services
from ..signin import current_session_id


@login_required
def sessions(request):
    """Where the person is signed in (end one) and their last 50 sign-ins."""
    current = current_session_id(request)
    open_sessions = list(selectors.session_list(user=request.user))
    for item in open_sessions:
        item.current = item.pk == current
    return render(
        request,
        "accounts/sessions.html",
        {"sessions": open_sessions, "sign_ins": list(selectors.sign_in_list(user=request.user))},
    )


@require_POST
@login_required
def session_end(request, session_id: int):
    """End one of the person's sessions (their current one signs them out)."""
    try:
        services.session_end(
            actor=Actor.for_user(request.user), user=request.user, session_id=session_id
        )
    except AppError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:sessions")
    if session_id == current_session_id(request):
        return redirect("web:login")
    messages.success(request, _("The session was ended."))
    return redirect("accounts:sessions")
