"""API authentication and company access.

Credentials: `Authorization: Bearer <token>` — a user's API token (`ilpu_…`), a staff token
(`ilps_…`), a UMS credential (`ilpm_…`) or an ALD token (`ilpa_…`, a UMS credential limited to
one subscription key) — or the portal session (CSRF-checked).

Every route names what it needs through its `auth=`:
- `UserAuth()` — a user (token or session); `request.auth` is a Principal.
- `StaffAuth(StaffRole.X)` — vendor staff with role X or above (`support` < `operator` <
  `staff_admin`): a staff token, or a staff user (session or the person's API token) with
  two-factor sign-in on; `request.auth` is a StaffAccess (`.role`, `.actor`).
- `UmsAuth()` — a UMS credential (`request.auth.ums` is the UMS instance) or an ALD token
  (`request.auth.ald_token`; rollout limits it to its key's packs).
- `AnyAuth()` — any valid credential.
- `CompanyAuth(Permission.X)` — a user who is a member of the company in the path's `{gaid}`
  (else 404, never 403, so a non-member cannot tell which companies exist; likewise for an
  API token limited to other companies), who has two-factor
  sign-in on when the company requires it (else 403 `two_factor_required`), and whose role
  grants X (else 403); `request.auth` is an Access with `.membership`. Vendor staff read
  every company as its administrators do (GET only, any other method 403 `staff_read_only`):
  `company_membership` below is the one place that decides it, for routes and pages alike.

A user's API token may be limited (`token_limits_check`, the one place that decides it): a
token without the `write` scope gets 403 `token_scope` on every method but GET (and HEAD),
and a token limited to some companies sees the others as if they did not exist (404, and
absent from lists: `Principal.company_allowed`).

The role is checked before the body is validated, so a too-low role gets 403 whatever it
sends. Valid credentials of the wrong kind for a route (a UMS credential on a company
route, a user token on a staff route) get 403; missing or unknown credentials 401.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from ninja.utils import check_csrf

from .actors import Actor
from .authz import Permission, StaffRole, require, staff_require
from .errors import NotFound, PermissionDenied, Unauthorized

USER_TOKEN_PREFIX = "ilpu"
STAFF_TOKEN_PREFIX = "ilps"
UMS_CREDENTIAL_PREFIX = "ilpm"
ALD_TOKEN_PREFIX = "ilpa"

# What a user's API token may do (API.md, "Scoped tokens"): `read` alone allows GET only.
TOKEN_SCOPES = ("read", "write")
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class Principal:
    kind: str  # "user" | "staff" | "ums" | "ald"
    user: Any = None
    staff_token: Any = None
    ums: Any = None
    api_token: Any = None
    ald_token: Any = None
    # A user's API token's limits: its scopes, and the GAIDs of the companies it may act in
    # (None: every company of the person). A session has both scopes and every company.
    scopes: frozenset[str] = frozenset(TOKEN_SCOPES)
    companies: frozenset[str] | None = None

    def company_allowed(self, gaid: str) -> bool:
        """Whether this credential may see the company with this GAID at all."""
        return self.companies is None or gaid in self.companies

    session_sso: bool = False  # a portal session signed in by single sign-on

    @property
    def by_sso(self) -> bool:
        """Signed in through single sign-on: an SSO session, or a token made in one."""
        if self.api_token is not None:
            return bool(getattr(self.api_token, "sso", False))
        return self.session_sso

    @property
    def actor(self) -> Actor:
        return Actor(
            kind=self.kind,
            user=self.user,
            staff_token=self.staff_token,
            ums=self.ums,
            ald_token=self.ald_token,
        )


@dataclass
class StaffAccess:
    """Vendor staff acting in the back office: a staff token or a staff user, with its role."""

    principal: Principal
    role: str  # a StaffRole

    @property
    def user(self):
        return self.principal.user

    @property
    def actor(self) -> Actor:
        return Actor.for_staff(self.principal.staff_token, user=self.principal.user)

    def actor_with_reason(self, reason: str) -> Actor:
        return self.actor.with_reason(reason)


@dataclass
class Access:
    """A user acting in one company through one membership."""

    principal: Principal
    membership: Any

    @property
    def user(self):
        return self.principal.user

    @property
    def company(self):
        return self.membership.company

    @property
    def actor(self) -> Actor:
        return self.principal.actor


def last_used_touch(obj, field: str = "last_used_at", *more: str) -> None:
    """Record a credential's last use, at most once a minute (a token used in a loop must not
    write on every call): one UPDATE of those of the fields older than a minute, or none."""
    now = timezone.now()
    stale = [
        f
        for f in (field, *more)
        if getattr(obj, f) is None or (now - getattr(obj, f)).total_seconds() > 60
    ]
    if stale:
        type(obj).objects.filter(pk=obj.pk).update(**dict.fromkeys(stale, now))
        for f in stale:
            setattr(obj, f, now)


# Credentials and memberships live in the apps above core. Each registers its resolver in
# its AppConfig.ready() (accounts: user and staff tokens, memberships; rollout: UMS
# credentials and ALD tokens), so core authenticates without importing them.
CredentialResolver = Callable[[str], "Principal | None"]
_credential_resolvers: dict[str, CredentialResolver] = {}
_membership_lookup: Callable[..., Any] | None = None
_two_factor_gate: Callable[[Any], bool] | None = None
_two_factor_setup_url_name = ""
_sso_gate: Callable[[Any], bool] | None = None

# How the portal session signed in ("password" | "sso"), kept in the session by the sign-in.
AUTH_METHOD_SESSION_KEY = "ilp_auth_method"
_staff_standing: Callable[[Any], "StaffStanding | None"] | None = None
_staff_view: Callable[..., Any] | None = None


@dataclass(frozen=True)
class StaffStanding:
    """What the back office knows of a person: their staff role, and whether their sign-in
    meets what staff need (two-factor on). Only a staff user in good standing acts as staff."""

    role: str  # a StaffRole
    second_factor: bool


def credential_kind_register(*, prefix: str, resolve: CredentialResolver) -> None:
    """Let `resolve(token)` turn bearer tokens `<prefix>_…` into a Principal (or None)."""
    _credential_resolvers[prefix] = resolve


def membership_lookup_register(lookup: Callable[..., Any]) -> None:
    """Set `lookup(user=, gaid=)`: the user's membership in that company, NotFound if none."""
    global _membership_lookup
    _membership_lookup = lookup


def membership_for(*, user, gaid: str):
    """The user's membership in the company with this GAID; NotFound (404) if none."""
    if _membership_lookup is None:  # pragma: no cover - accounts registers it at start-up
        raise RuntimeError("no membership look-up registered (is ilp.accounts installed?)")
    return _membership_lookup(user=user, gaid=gaid)


def staff_register(*, standing: Callable[[Any], "StaffStanding | None"], company_view) -> None:
    """Set `standing(user)`: the person's StaffStanding, None for everyone else; and
    `company_view(gaid=, user=)`: vendor staff's read-only administrator view of a company (a
    membership-like object with `is_staff_view` true; NotFound for an unknown GAID)."""
    global _staff_standing, _staff_view
    _staff_standing = standing
    _staff_view = company_view


def staff_standing(user) -> "StaffStanding | None":
    """The person's standing in the vendor's back office; None if they are not staff."""
    if _staff_standing is None or user is None or not getattr(user, "is_authenticated", False):
        return None
    return _staff_standing(user)


def staff_role(principal: "Principal | None") -> str | None:
    """The caller's staff role, None when it is not vendor staff in good standing: a staff
    token's role, or a staff user's with two-factor on or signed in through the vendor's
    single sign-on (its provider holds the second factor) — asked once per request."""
    if principal is None:
        return None
    if principal.kind == "staff":
        return principal.staff_token.role
    if principal.kind != "user":
        return None
    cached = principal.__dict__.get("_staff_role", False)
    if cached is False:
        standing = staff_standing(principal.user)
        good = standing is not None and (standing.second_factor or principal.by_sso)
        cached = standing.role if good else None
        principal.__dict__["_staff_role"] = cached
    return cached


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def company_membership(*, principal: Principal, gaid: str, method: str, request=None):
    """The membership through which the caller acts in the company with this GAID — the one
    place company access is decided, for the API (`CompanyAuth`) and pages (`company_page`).

    A member acts through their membership (403 `sso_required` when the company requires its
    single sign-on of them and they signed in another way; 403 `two_factor_required` when the
    company needs two-factor sign-in and they have none — a single sign-on meets it). Vendor
    staff who are not members read as the company's administrators do (rule 25: the
    company's `require_2fa` does not apply to them, its sign-in rules are for its people),
    through a read-only view; any method but a read → 403 `staff_read_only`. Anyone else →
    404, so a company's existence never leaks."""
    if principal.kind == "user":
        try:
            membership = membership_for(user=principal.user, gaid=gaid)
        except NotFound:
            if staff_role(principal) is None:
                raise
        else:
            if request is not None:
                sso_check(membership, request)  # 403 `sso_required`
            two_factor_check(membership, request)
            return membership
    elif staff_role(principal) is None:
        raise NotFound()
    if _staff_view is None:  # pragma: no cover - accounts registers it at start-up
        raise RuntimeError("no staff company view registered (is ilp.accounts installed?)")
    view = _staff_view(gaid=gaid, user=principal.user)
    if method.upper() not in READ_METHODS:
        raise PermissionDenied(
            _("Vendor staff can look at a company's data but change nothing there."),
            code="staff_read_only",
        )
    return view


def two_factor_gate_register(*, satisfied: Callable[[Any], bool], setup_url_name: str) -> None:
    """Set `satisfied(membership)`: False when the company requires two-factor sign-in and the
    member has none (DESIGN.md rule 17). Pages send such a member to `setup_url_name`."""
    global _two_factor_gate, _two_factor_setup_url_name
    _two_factor_gate = satisfied
    _two_factor_setup_url_name = setup_url_name


def two_factor_setup_url_name() -> str:
    return _two_factor_setup_url_name


def two_factor_satisfied(membership) -> bool:
    """False when the membership's company requires two-factor sign-in and its member has not
    turned it on: the one gate every company read passes (routes, pages, the overview)."""
    return _two_factor_gate is None or _two_factor_gate(membership)


def signed_in_by_sso(request) -> bool:
    """Whether the caller signed in through single sign-on: a portal session signed in so,
    or an API token made in such a session."""
    principal = getattr(request, "_ilp_principal", None)
    if principal is not None and principal.api_token is not None:
        return principal.by_sso
    session = getattr(request, "session", None)
    return session is not None and session.get(AUTH_METHOD_SESSION_KEY) == "sso"


class SsoRequired(PermissionDenied):
    code = "sso_required"
    default_message = _lazy("Single sign-on required")


def sso_gate_register(*, satisfied: Callable[[Any], bool]) -> None:
    """Set `satisfied(membership)`: False when the company requires single sign-on of this
    member (a verified domain's address, no exemption by role) — asked only of callers who
    did not sign in by SSO."""
    global _sso_gate
    _sso_gate = satisfied


def sso_check(membership, request) -> None:
    """403 `sso_required` when the company requires its single sign-on of this member and the
    caller signed in another way (password, or a token not made in an SSO session)."""
    if _sso_gate is None or signed_in_by_sso(request) or _sso_gate(membership):
        return
    raise PermissionDenied(
        _(
            "%(company)s requires signing in through its single sign-on. Sign out and sign in "
            "again with your company account."
        )
        % {"company": membership.company.name},
        code="sso_required",
    )


def company_gates_met(membership, request=None) -> bool:
    """Whether the member passes the company's sign-in gates (its `require_sso`, asked when
    the request is known, and its `require_2fa`): what a list of companies (the overview)
    may show figures of."""
    try:
        if request is not None:
            sso_check(membership, request)
        two_factor_check(membership, request)
    except PermissionDenied:
        return False
    return True


def two_factor_check(membership, request=None) -> None:
    """403 `two_factor_required` when the membership's company requires two-factor sign-in
    and its member has not turned it on. A single sign-on meets it (the company's provider
    is responsible for its second factor)."""
    if request is not None and signed_in_by_sso(request):
        return
    if not two_factor_satisfied(membership):
        raise PermissionDenied(
            _("%(company)s requires two-factor sign-in. Turn it on in your profile first.")
            % {"company": membership.company.name},
            code="two_factor_required",
        )


def token_limits_check(request, principal: Principal, *, gaid: str | None = None) -> None:
    """The one check of an API token's limits (API.md, "Scoped tokens"): 403 `token_scope`
    for a token without `write` on any method but GET/HEAD; 404 for a company the token is not
    limited to (as for a company one is no member of)."""
    if "write" not in principal.scopes and request.method not in READ_METHODS:
        raise PermissionDenied(
            _("This API token may only read (scope `read`): make a token with `write`."),
            code="token_scope",
        )
    if gaid is not None and not principal.company_allowed(gaid):
        raise NotFound()


def principal_from_token(token: str) -> Principal | None:
    resolve = _credential_resolvers.get(token.split("_", 1)[0])
    return resolve(token) if resolve is not None else None


def authenticate(request) -> Principal | None:
    """The caller's principal from a bearer token or the session; None if there is none."""
    cached = getattr(request, "_ilp_principal", False)
    if cached is not False:
        return cached
    principal = None
    header = request.META.get("HTTP_AUTHORIZATION", "")  # as request.headers, cheaper
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            principal = principal_from_token(token.strip())
    else:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            # A session is a browser: unsafe methods must carry the CSRF token.
            if check_csrf(request, lambda r: None) is not None:
                raise PermissionDenied(code="csrf_failed", message="CSRF check failed.")
            principal = Principal(
                kind="user",
                user=user,
                session_sso=request.session.get(AUTH_METHOD_SESSION_KEY) == "sso",
            )
    request._ilp_principal = principal
    return principal


class _Auth:
    """Base for ninja auth callables; the OpenAPI shows them as bearer auth."""

    openapi_type = "http"
    openapi_scheme = "bearer"
    kinds: tuple[str, ...] = ("user", "staff", "ums", "ald")

    def __init__(self) -> None:
        self.openapi_security_schema = {"type": "http", "scheme": "bearer"}

    def __call__(self, request):
        principal = authenticate(request)
        if principal is None:
            raise Unauthorized()
        if principal.kind not in self.kinds:
            raise PermissionDenied(
                code="wrong_credential_kind", message="These credentials cannot be used here."
            )
        token_limits_check(request, principal)
        return self.authorize(request, principal)

    def authorize(self, request, principal: Principal):
        return principal


class AnyAuth(_Auth):
    kinds = ("user", "staff", "ums", "ald")


class UserAuth(_Auth):
    kinds = ("user",)


class StaffAuth(_Auth):
    """Vendor staff whose role is `role` or above; `request.auth` is a StaffAccess. A person
    who is not staff (or a staff user without two-factor sign-in) gets 403, like any
    credential of the wrong kind."""

    kinds = ("staff", "user")

    def __init__(self, role: StaffRole = StaffRole.SUPPORT) -> None:
        super().__init__()
        self.role = role

    def authorize(self, request, principal: Principal) -> StaffAccess:
        role = staff_role(principal)
        if role is None:
            raise PermissionDenied(
                code="wrong_credential_kind", message="These credentials cannot be used here."
            )
        staff_require(role, self.role)
        return StaffAccess(principal=principal, role=role)


class UmsAuth(_Auth):
    kinds = ("ums", "ald")


class CompanyAuth(_Auth):
    kinds = ("user", "staff")

    def __init__(self, permission: Permission = Permission.VIEW) -> None:
        super().__init__()
        self.permission = permission

    def authorize(self, request, principal: Principal) -> Access:
        gaid = (request.resolver_match.kwargs if request.resolver_match else {}).get("gaid")
        if not gaid:
            raise NotFound()
        token_limits_check(request, principal, gaid=gaid)
        membership = company_membership(
            principal=principal, gaid=gaid, method=request.method, request=request
        )
        require(membership, self.permission)
        return Access(principal=principal, membership=membership)
