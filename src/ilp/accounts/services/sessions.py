"""Portal sessions and sign-ins (GET /me/sessions, /me/sign-ins): recorded when a person
signs in, ended by the person (or by a password change or reset), and a mail when a browser
not seen before signs in."""

from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.errors import NotFound
from ilp.core.ids import token_hash
from ilp.notifications.services import mail_enqueue

from ..audit_actions import AuditAction
from ..errors import AccountError
from ..models import Company, SignIn, SignInMethod, User, UserSession

USER_AGENT_MAX = 300


def _session_store_delete(session_key: str) -> None:
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore(session_key=session_key).delete()


@transaction.atomic
def session_begin(
    *,
    user: User,
    session_key: str,
    method: str,
    address: str,
    user_agent: str,
    browser: str,
) -> UserSession:
    """Record a successful sign-in and the session it opened. `browser` is the browser's
    long-lived random cookie: when the person signed in before, but never from this browser,
    they get a mail (in the same transaction)."""
    browser_hash = token_hash(browser) if browser else ""
    user_agent = (user_agent or "")[:USER_AGENT_MAX]
    earlier = SignIn.objects.filter(user=user, result=SignIn.Result.SUCCEEDED)
    new_browser = (
        bool(browser_hash)
        and earlier.exists()
        and not earlier.filter(browser=browser_hash).exists()
    )
    SignIn.objects.create(
        user=user,
        method=method,
        result=SignIn.Result.SUCCEEDED,
        address=address or "",
        user_agent=user_agent,
        browser=browser_hash,
    )
    session = UserSession.objects.create(
        user=user,
        session_key=session_key,
        method=method,
        address=address or "",
        user_agent=user_agent,
    )
    if new_browser:
        mail_enqueue(
            to=user.email,
            template="sign_in_new_browser",
            language=user.language or "en",
            context={
                "first_name": user.first_name,
                "at": timezone.now(),
                "address": address,
                "user_agent": user_agent,
                "method": method,
                "link": f"{settings.ILP_BASE_URL}/profile/sessions/",
            },
        )
    return session


def sign_in_failed(*, user: User, method: str, address: str, user_agent: str) -> None:
    """Record a failed sign-in to an existing account (shown in its sign-ins)."""
    SignIn.objects.create(
        user=user,
        method=method,
        result=SignIn.Result.FAILED,
        address=address or "",
        user_agent=(user_agent or "")[:USER_AGENT_MAX],
    )


def sign_in_by_api(*, user: User, address: str, user_agent: str) -> None:
    """Record a script's login for a token (POST /auth/tokens): a sign-in without a session
    or a browser (no mail about a new browser)."""
    SignIn.objects.create(
        user=user,
        method=SignInMethod.PASSWORD,
        result=SignIn.Result.SUCCEEDED,
        address=address or "",
        user_agent=(user_agent or "")[:USER_AGENT_MAX],
    )


def session_key_follow(*, session_id: int, session_key: str) -> None:
    """The Django session changed its key (a password change cycles it): follow it."""
    UserSession.objects.filter(pk=session_id).update(session_key=session_key)


def session_seen(*, session_id: int) -> None:
    """Mark the session seen now (the middleware calls it at most once a minute)."""
    UserSession.objects.filter(pk=session_id).update(last_seen_at=timezone.now())


@transaction.atomic
def session_end(*, actor: Actor, user: User, session_id: int) -> None:
    """End one of the person's sessions: the browser holding it is signed out at once."""
    session = UserSession.objects.select_for_update().filter(user=user, pk=session_id).first()
    if session is None:
        raise NotFound(_("No such session."), code=AccountError.SESSION_NOT_FOUND)
    _session_store_delete(session.session_key)
    session.delete()
    event_record(
        actor=actor,
        action=AuditAction.SESSION_ENDED,
        obj_type="session",
        obj_id=session_id,
        before={"user": user.email, "method": session.method, "address": session.address},
    )


def sessions_end_all(*, user: User, keep_session_id: int | None = None) -> int:
    """End every session of the person but `keep_session_id` (a password change keeps the
    one it was made in; a reset keeps none). The caller holds the transaction."""
    sessions = UserSession.objects.filter(user=user).exclude(pk=keep_session_id)
    ended = 0
    for session in sessions.select_for_update().order_by("pk"):
        _session_store_delete(session.session_key)
        session.delete()
        ended += 1
    return ended


def session_end_current(*, session_id: int | None) -> None:
    """Forget the record of a session that signed out (the Django session is flushed)."""
    if session_id:
        UserSession.objects.filter(pk=session_id).delete()


def company_sso_required_set(*, company: Company, required: bool) -> None:
    """Keep the company's copy of its single sign-on's `require_sso` (written by ilp.sso's
    services in their transaction; the gate of every company route reads it)."""
    if company.sso_required != required:
        company.sso_required = required
        Company.objects.filter(pk=company.pk).update(sso_required=required)
