"""Accounts API: authentication, self, company, members, invitations, access requests."""

from django.contrib.auth import update_session_auth_hash
from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import paginate

from ilp.core.auth import CompanyAuth, UserAuth, authenticate, signed_in_by_sso, token_limits_check
from ilp.core.authz import Permission
from ilp.core.errors import AppError, Conflict, PermissionDenied, Unauthorized
from ilp.core.idempotency import not_replayable
from ilp.core.pagination import Paging
from ilp.core.params import IdPath
from ilp.core.problems import problems
from ilp.core.throttle import (
    client_address,
    login_limits,
    password_reset_limits,
    throttle_failures,
    throttle_hit,
    throttle_hits,
)

from . import selectors, services
from .errors import AccountError
from .models import normalize_email
from .schemas import (
    AcceptIn,
    AcceptOut,
    AccessRequestOut,
    ApiTokenOut,
    CompanyOut,
    CompanyPatch,
    InvitationIn,
    InvitationOut,
    InvitationPublicOut,
    MemberOut,
    MeOut,
    MePatch,
    MyTokenIn,
    OtpIn,
    OtpOptionalIn,
    PasswordChangeIn,
    PasswordIn,
    PasswordResetIn,
    RecoveryCodesOut,
    RegistrationIn,
    RoleIn,
    SessionOut,
    SignInOut,
    TokenIn,
    TokenOut,
    TwoFactorSetupOut,
)
from .signin import current_session_id, sign_in_failed

router = Router(tags=["accounts"])

# --- authentication and self ---------------------------------------------------------------


@router.post("/auth/tokens", response={201: TokenOut, **problems(401, 422, 429)}, auth=None)
@not_replayable
def create_token(request, payload: TokenIn):
    """Log in with e-mail and password for a new API token (shown only here). With two-factor
    on, 429 `otp_locked` after too many wrong codes in a row (only after the right password);
    a reused Idempotency-Key → 409 `idempotency_not_replayable`."""
    with throttle_failures(*login_limits(request=request, email=normalize_email(payload.email))):
        try:
            api_token, raw = services.auth_token_issue(
                email=payload.email,
                password=payload.password,
                otp=payload.otp,
                name=payload.name,
                expires_in_days=payload.expires_in_days,
                scopes=payload.scopes,
                companies=payload.companies,
            )
        except Unauthorized:
            # Shown in the person's sign-ins (GET /me/sign-ins), failed ones too.
            sign_in_failed(request, selectors.user_find(email=payload.email))
            raise
    services.sign_in_by_api(
        user=api_token.user,
        address=client_address(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )
    return Status(201, {"token": raw})


@router.get(
    "/me/tokens", response={200: list[ApiTokenOut], **problems(401, 403, 422)}, auth=UserAuth()
)
@paginate(Paging)
def my_token_list(request):
    """The caller's working API tokens (neither revoked nor expired), newest first."""
    return selectors.api_token_list(user=request.auth.user)


@router.post("/me/tokens", response={201: TokenOut, **problems(401, 403, 422)}, auth=UserAuth())
@not_replayable
def my_token_create(request, payload: MyTokenIn):
    """Make an API token in a portal session (shown only here); one made in a session signed
    in by single sign-on counts as SSO. A token cannot make tokens: 403 `not_session_auth`."""
    if request.auth.api_token is not None:
        raise PermissionDenied(
            _("Make tokens in a signed-in session, not with a token."),
            code=AccountError.NOT_SESSION_AUTH,
        )
    _token, raw = services.api_token_create(
        actor=request.auth.actor,
        user=request.auth.user,
        name=payload.name,
        expires_in_days=payload.expires_in_days,
        scopes=payload.scopes,
        companies=payload.companies,
        sso=signed_in_by_sso(request),
    )
    return Status(201, {"token": raw})


@router.get("/me/sessions", response={200: list[SessionOut], **problems(401, 403)}, auth=UserAuth())
def my_session_list(request):
    """The caller's open portal sessions; `current` marks the one asking."""
    current = current_session_id(request)
    return [
        {
            "id": s.pk,
            "created_at": s.created_at,
            "last_seen_at": s.last_seen_at,
            "address": s.address,
            "user_agent": s.user_agent,
            "method": s.method,
            "current": s.pk == current,
        }
        for s in selectors.session_list(user=request.auth.user)
    ]


@router.delete(
    "/me/sessions/{session_id}", response={204: None, **problems(401, 403, 404)}, auth=UserAuth()
)
def my_session_end(request, session_id: IdPath):
    """End one of the caller's sessions: that browser is signed out at once."""
    services.session_end(actor=request.auth.actor, user=request.auth.user, session_id=session_id)
    return Status(204, None)


@router.get("/me/sign-ins", response={200: list[SignInOut], **problems(401, 403)}, auth=UserAuth())
def my_sign_in_list(request):
    """The caller's last 50 sign-ins, failed ones too, newest first."""
    return list(selectors.sign_in_list(user=request.auth.user))


@router.delete(
    "/me/tokens/{token_id}", response={204: None, **problems(401, 403, 404)}, auth=UserAuth()
)
def my_token_revoke(request, token_id: IdPath):
    """Revoke one of the caller's API tokens; it stops working at once."""
    services.api_token_revoke(actor=request.auth.actor, user=request.auth.user, token_id=token_id)
    return Status(204, None)


# --- self-service: passwords, deletion, registrations (rule 16) ----------------------------


@router.post("/auth/password-reset", response={202: None, **problems(422, 429)}, auth=None)
def password_reset_request(request, payload: PasswordResetIn):
    """Mail a password-reset link to this address if it has an account; the same 202 (in
    about the same time) whether or not it has one."""
    throttle_hits(*password_reset_limits(request=request, email=normalize_email(payload.email)))
    services.password_reset_request(email=payload.email)
    return Status(202, None)


@router.post(
    "/auth/password-reset/{token}",
    response={204: None, **problems(404, 409, 422, 429)},
    auth=None,
)
def password_reset_complete(request, token: str, payload: PasswordIn):
    """Set a new password with the mailed link: the old one stops working, every session
    ends and every API token of the person is revoked. A used or expired link → 409, an
    unknown one → 404, a weak password → 422."""
    throttle_hit(scope="password_reset", ident=client_address(request))
    services.password_reset_complete(token=token, password=payload.password)
    return Status(204, None)


@router.post("/me/password", response={204: None, **problems(401, 403, 422, 429)}, auth=UserAuth())
def password_change(request, payload: PasswordChangeIn):
    """Change one's password; a wrong current password → 422 `wrong_password`. The caller's
    API tokens are revoked (the one used here too) and their other sessions end (this one,
    if it is a session, stays)."""
    user = request.auth.user
    throttle_hit(scope="password_change", ident=str(user.pk))
    user = services.password_change(
        actor=request.auth.actor,
        user=user,
        current_password=payload.current_password,
        new_password=payload.new_password,
        keep_session_id=current_session_id(request) if request.auth.api_token is None else None,
    )
    if request.auth.api_token is None and hasattr(request, "session"):
        update_session_auth_hash(request, user)
    return Status(204, None)


@router.post("/me/deletion", response={202: None, **problems(401, 403, 409, 429)}, auth=UserAuth())
def deletion_request(request):
    """Mail a link that confirms the deletion of the caller's account; 409
    `last_administrator` while they are a company's last administrator (named in `detail`)."""
    user = request.auth.user
    throttle_hit(scope="mail_per_address", ident=f"account_deletion:{user.email}")
    services.account_deletion_request(actor=request.auth.actor, user=user)
    return Status(202, None)


@router.post(
    "/me/deletion/{token}",
    response={204: None, **problems(401, 403, 404, 409, 429)},
    auth=UserAuth(),
)
def deletion_confirm(request, token: str):
    """Delete the caller's account with the mailed link: memberships and tokens go with it;
    audit events keep the e-mail address as text."""
    throttle_hit(scope="password_change", ident=str(request.auth.user.pk))
    services.account_deletion_confirm(actor=request.auth.actor, user=request.auth.user, token=token)
    return Status(204, None)


@router.post("/registrations", response={202: None, **problems(409, 422, 429)}, auth=None)
def registration_create(request, payload: RegistrationIn):
    """Claim a company that has no administrator with its GAID and one of its subscription
    keys (FAQ Q5): the person is mailed the usual invitation link, as administrator. A pair
    that does not match → 422 `registration_not_matched`; a company that has administrators
    → 409 `company_has_administrator`, and they are asked to invite the person."""
    throttle_hit(scope="registration", ident=client_address(request))
    throttle_hit(scope="mail_per_address", ident=f"registration:{normalize_email(payload.email)}")
    outcome, company = services.registration_create(
        email=payload.email,
        first_name=payload.first_name,
        last_name=payload.last_name,
        gaid=payload.gaid,
        subscription_key=payload.subscription_key,
    )
    if outcome == services.RegistrationOutcome.ACCESS_REQUESTED:
        # The access request is committed; the answer still says that nobody was invited.
        raise Conflict(
            _("%(company)s already has an administrator. They have been asked to invite you.")
            % {"company": company.name},
            code=AccountError.COMPANY_HAS_ADMINISTRATOR,
        )
    return Status(202, None)


# --- two-factor sign-in (rule 17) ----------------------------------------------------------


@router.post(
    "/me/2fa",
    response={201: TwoFactorSetupOut, **problems(400, 401, 403, 422, 429)},
    auth=UserAuth(),
)
@not_replayable
def two_factor_begin(request, payload: OtpOptionalIn | None = None):
    """Start setting up an authenticator app: its secret and `otpauth://` URI. Not active
    until a code is confirmed; an active one keeps working until then. With two-factor on,
    a current or recovery code in `otp` is needed (422 `otp_required` / `otp_invalid`)."""
    user = request.auth.user
    code = payload.otp if payload else None
    if code:
        throttle_hit(scope="otp", ident=str(user.pk))
    secret, uri = services.two_factor_begin(actor=request.auth.actor, user=user, code=code)
    return Status(201, {"secret": secret, "otpauth_uri": uri})


@router.post(
    "/me/2fa/recovery-codes",
    response={200: RecoveryCodesOut, **problems(401, 403, 409, 422, 429)},
    auth=UserAuth(),
)
@not_replayable
def recovery_codes_renew(request, payload: OtpIn):
    """Ten new recovery codes (shown only here) for a current or recovery code; the earlier
    ones stop working. 409 `two_factor_not_active` when two-factor sign-in is off."""
    throttle_hit(scope="otp", ident=str(request.auth.user.pk))
    codes = services.recovery_codes_renew(
        actor=request.auth.actor, user=request.auth.user, code=payload.otp
    )
    return Status(200, {"recovery_codes": codes})


@router.post(
    "/me/2fa/confirm",
    response={200: RecoveryCodesOut, **problems(401, 403, 409, 422, 429)},
    auth=UserAuth(),
)
@not_replayable
def two_factor_confirm(request, payload: OtpIn):
    """Turn two-factor sign-in on with a code of the new authenticator; returns ten recovery
    codes, shown only here."""
    throttle_hit(scope="otp", ident=str(request.auth.user.pk))
    codes = services.two_factor_confirm(
        actor=request.auth.actor, user=request.auth.user, code=payload.otp
    )
    return Status(200, {"recovery_codes": codes})


@router.delete(
    "/me/2fa", response={204: None, **problems(401, 403, 409, 422, 429)}, auth=UserAuth()
)
def two_factor_disable(request, payload: OtpIn):
    """Turn two-factor sign-in off with a current code or a recovery code; refused (409)
    while a company of the caller requires it."""
    throttle_hit(scope="otp", ident=str(request.auth.user.pk))
    services.two_factor_disable(actor=request.auth.actor, user=request.auth.user, code=payload.otp)
    return Status(204, None)


@router.delete(
    "/auth/tokens/current", response={204: None, **problems(400, 401, 403)}, auth=UserAuth()
)
def revoke_current_token(request):
    """Revoke the API token this request is made with."""
    api_token = request.auth.api_token
    if api_token is None:
        raise AppError(
            _("This request is not made with an API token."), code=AccountError.NOT_TOKEN_AUTH
        )
    services.api_token_revoke(
        actor=request.auth.actor, user=request.auth.user, token_id=api_token.pk
    )
    return Status(204, None)


@router.get("/me", response={200: MeOut, **problems(401, 403)}, auth=UserAuth())
def me(request):
    """The calling person and the companies they belong to, with their role in each (an API
    token limited to some companies: those)."""
    return _me(request.auth.user, request.auth)


@router.patch("/me", response={200: MeOut, **problems(401, 403, 422)}, auth=UserAuth())
def me_patch(request, payload: MePatch):
    """Set the time zone (IANA name) the portal shows your times in; 422 for unknown names."""
    user = services.time_zone_set(
        actor=request.auth.actor, user=request.auth.user, time_zone=payload.time_zone
    )
    return _me(user, request.auth)


def _me(user, auth) -> dict:
    allowed = auth.company_allowed
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "language": user.language,
        "time_zone": user.time_zone or "UTC",
        "default_company": (
            user.default_company.gaid
            if user.default_company_id and allowed(user.default_company.gaid)
            else None
        ),
        "two_factor": selectors.two_factor_active(user=user),
        "companies": [
            {"gaid": m.company.gaid, "name": m.company.name, "role": m.role}
            for m in selectors.memberships_of(user=user, gaids=auth.companies)
        ],
    }


# --- company and members -------------------------------------------------------------------


@router.get(
    "/companies/{gaid}", response={200: CompanyOut, **problems(401, 403, 404)}, auth=CompanyAuth()
)
def company_get(request, gaid: str):
    """The company's details, GAID included."""
    return request.auth.membership.company


@router.patch(
    "/companies/{gaid}",
    response={200: CompanyOut, **problems(401, 403, 404, 409, 422)},
    auth=CompanyAuth(Permission.MANAGE_MEMBERS),
)
def company_patch(request, gaid: str, payload: CompanyPatch):
    """Change the company's name or address, or require two-factor sign-in of its members
    (administrator); the GAID never changes."""
    fields = payload.dict(exclude_unset=True, exclude_none=True)
    require_2fa = fields.pop("require_2fa", None)
    with transaction.atomic():
        company = services.company_update(
            actor=request.auth.actor, company=request.auth.membership.company, **fields
        )
        if require_2fa is not None:
            company = services.company_two_factor_require(
                actor=request.auth.actor, company=company, required=require_2fa
            )
    return company


@router.get(
    "/companies/{gaid}/members",
    response={200: list[MemberOut], **problems(401, 403, 404, 422)},
    auth=CompanyAuth(),
)
@paginate(Paging)
def member_list(request, gaid: str):
    """The company's members and their roles."""
    return selectors.member_list(membership=request.auth.membership)


@router.patch(
    "/companies/{gaid}/members/{email}",
    response={200: MemberOut, **problems(401, 403, 404, 409, 422)},
    auth=CompanyAuth(Permission.MANAGE_MEMBERS),
)
def member_patch(request, gaid: str, email: str, payload: RoleIn):
    """Change a member's role (administrator); the last administrator stays one (409)."""
    return services.member_role_change(
        actor=request.auth.actor,
        company=request.auth.membership.company,
        email=email,
        role=payload.role,
    )


@router.delete(
    "/companies/{gaid}/members/{email}",
    response={204: None, **problems(401, 403, 404, 409)},
    auth=CompanyAuth(Permission.MANAGE_MEMBERS),
)
def member_delete(request, gaid: str, email: str):
    """Remove a member (administrator); the last administrator cannot be removed (409)."""
    services.member_remove(
        actor=request.auth.actor, company=request.auth.membership.company, email=email
    )
    return Status(204, None)


# --- invitations and access requests -------------------------------------------------------


@router.post(
    "/companies/{gaid}/invitations",
    response={201: InvitationOut, **problems(401, 403, 404, 409, 422, 429)},
    auth=CompanyAuth(Permission.MANAGE_MEMBERS),
)
def invitation_post(request, gaid: str, payload: InvitationIn):
    """Invite an e-mail address with a role (administrator); the link is mailed."""
    invitation, _raw = services.invitation_create(
        actor=request.auth.actor,
        company=request.auth.membership.company,
        email=payload.email,
        role=payload.role,
    )
    return Status(201, invitation)


@router.get(
    "/companies/{gaid}/invitations",
    response={200: list[InvitationOut], **problems(401, 403, 404, 422)},
    auth=CompanyAuth(),
)
@paginate(Paging)
def invitation_list(request, gaid: str):
    """The company's pending invitations (any member may read them)."""
    return selectors.invitation_list_pending(membership=request.auth.membership)


@router.delete(
    "/companies/{gaid}/invitations/{invitation_id}",
    response={204: None, **problems(401, 403, 404, 422)},
    auth=CompanyAuth(Permission.MANAGE_MEMBERS),
)
def invitation_delete(request, gaid: str, invitation_id: IdPath):
    """Withdraw a pending invitation (administrator); its link stops working."""
    services.invitation_withdraw(
        actor=request.auth.actor,
        company=request.auth.membership.company,
        invitation_id=invitation_id,
    )
    return Status(204, None)


@router.get(
    "/companies/{gaid}/access-requests",
    response={200: list[AccessRequestOut], **problems(401, 403, 404, 422)},
    auth=CompanyAuth(),
)
@paginate(Paging)
def access_request_list(request, gaid: str):
    """Order contacts waiting for an invitation (any member may read them)."""
    return selectors.access_request_list_pending(membership=request.auth.membership)


@router.post(
    "/companies/{gaid}/access-requests/{access_request_id}/invite",
    response={201: InvitationOut, **problems(401, 403, 404, 409, 422, 429)},
    auth=CompanyAuth(Permission.MANAGE_MEMBERS),
)
def access_request_invite(request, gaid: str, access_request_id: IdPath, payload: RoleIn):
    """Invite the person behind an access request with a role (administrator)."""
    invitation, _raw = services.access_request_invite(
        actor=request.auth.actor,
        company=request.auth.membership.company,
        access_request_id=access_request_id,
        role=payload.role,
    )
    return Status(201, invitation)


@router.delete(
    "/companies/{gaid}/access-requests/{access_request_id}",
    response={204: None, **problems(401, 403, 404, 422)},
    auth=CompanyAuth(Permission.MANAGE_MEMBERS),
)
def access_request_delete(request, gaid: str, access_request_id: IdPath):
    """Dismiss an access request without inviting anyone (administrator)."""
    services.access_request_dismiss(
        actor=request.auth.actor,
        company=request.auth.membership.company,
        access_request_id=access_request_id,
    )
    return Status(204, None)


@router.get(
    "/invitations/{token}",
    response={200: InvitationPublicOut, **problems(404, 409, 429)},
    auth=None,
)
def invitation_lookup(request, token: str):
    """What an invitation link offers: company, e-mail, role, whether the account exists."""
    throttle_hit(scope="invitation", ident=client_address(request))
    invitation = selectors.invitation_get(token=token)
    services.invitation_check(invitation)
    return {
        "gaid": invitation.company.gaid,
        "company_name": invitation.company.name,
        "email": invitation.email,
        "role": invitation.role,
        "account_exists": selectors.account_exists(email=invitation.email),
        "expires_at": invitation.expires_at,
    }


@router.post(
    "/invitations/{token}/accept",
    response={200: AcceptOut, **problems(401, 403, 404, 409, 422, 429)},
    auth=None,
)
def invitation_accept(request, token: str, payload: AcceptIn | None = None):
    """Accept an invitation: a new person registers (names, password); an existing user sends
    their own token or session and an empty body."""
    throttle_hit(scope="invitation", ident=client_address(request))
    principal = authenticate(request)
    if principal is None and request.headers.get("Authorization"):
        raise Unauthorized()
    if principal is not None and principal.kind != "user":
        raise PermissionDenied(
            code=AccountError.WRONG_CREDENTIAL_KIND,
            message=_("These credentials cannot be used here."),
        )
    if principal is not None:
        token_limits_check(request, principal)
    payload = payload or AcceptIn()
    # No transaction around it: a void claim link's access request is committed before the 409.
    membership, _person = services.invitation_accept(
        token=token,
        user=principal.user if principal else None,
        first_name=payload.first_name,
        last_name=payload.last_name,
        password=payload.password,
    )
    return Status(200, {"gaid": membership.company.gaid, "role": membership.role})
