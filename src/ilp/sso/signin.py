"""The two halves of a sign-in through an OpenID provider, shared by the company sign-in and
the staff sign-in: the start (the pending request kept in the session) and the callback's
checks (state once, code exchange with the PKCE verifier, the ID token through authlib)."""

import time

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from ilp.core.errors import AppError

from . import oidc
from .errors import SsoDenied, SsoError

PENDING_SESSION_KEY = "ilp_sso_pending"
PENDING_SECONDS = 600


class SsoStateInvalid(AppError):
    status = 400
    code = SsoError.SSO_STATE_INVALID
    default_message = _lazy("Sign-in expired")


def redirect_uri(path: str) -> str:
    return settings.ILP_BASE_URL + path


def start(request, *, client: oidc.Client, callback_path: str, about: dict, hint: str = "") -> str:
    """Begin the authorization code flow; returns the provider's URL to redirect to."""
    try:
        document = oidc.discovery(client.issuer)
        url, pending = oidc.authorization_url(
            client=client,
            document=document,
            redirect_uri=redirect_uri(callback_path),
            login_hint=hint,
        )
    except oidc.OidcFailed as exc:
        raise _failed(str(exc)) from None
    request.session[PENDING_SESSION_KEY] = {
        "state": pending.state,
        "nonce": pending.nonce,
        "code_verifier": pending.code_verifier,
        "at": time.time(),
        **about,
    }
    return url


def pending_take(request) -> dict:
    """The pending sign-in the callback's `state` names, removed from the session: a state is
    used once (a replayed callback finds none: 400 `sso_state_invalid`)."""
    pending = request.session.pop(PENDING_SESSION_KEY, None) or {}
    state = request.GET.get("state", "")
    if (
        not pending
        or not state
        or state != pending.get("state")
        or time.time() - pending.get("at", 0) > PENDING_SECONDS
    ):
        raise SsoStateInvalid(_("This sign-in link is used or too old. Start signing in again."))
    return pending


def finish(request, *, client: oidc.Client, pending: dict, callback_path: str) -> dict:
    """The checked claims of the ID token the callback's code is exchanged for."""
    if request.GET.get("error"):
        raise _failed(request.GET.get("error_description") or request.GET["error"])
    code = request.GET.get("code", "")
    if not code:
        raise _failed("no code")
    try:
        document = oidc.discovery(client.issuer)
        token = code_exchange(
            client=client,
            document=document,
            redirect_uri=redirect_uri(callback_path),
            code=code,
            code_verifier=pending["code_verifier"],
        )
        return oidc.id_token_claims(
            client=client,
            document=document,
            id_token=token["id_token"],
            nonce=pending["nonce"],
            access_token=token.get("access_token"),
        )
    except oidc.OidcFailed as exc:
        raise _failed(str(exc)) from None


def code_exchange(**kwargs) -> dict:
    """oidc.code_exchange; a seam the tests replace to hand the checks a crafted ID token."""
    return oidc.code_exchange(**kwargs)


def _failed(reason: str) -> SsoDenied:
    return SsoDenied(
        _(
            "Signing in through your company's sign-in service did not work (%(reason)s). Try "
            "again, or ask your administrator."
        )
        % {"reason": reason[:200]},
        code=SsoError.SSO_FAILED,
    )
