"""The tenancy matrix: every API route and every company page × who may call it.

Generated from the URL conf (the django-ninja API's operations and Django's URL patterns), so
a new route cannot escape it: a route whose auth is unclassified, or whose path parameter has
no fixture value below, fails here until it is given one.

For each company route (auth `CompanyAuth(permission)`):
- anonymous → 401; a member of another company → 404 (never 403: existence must not leak);
  a UMS credential or an ALD token → 403 (wrong kind of credential);
- vendor staff (a staff token of any role, a staff user) read every company route as an
  administrator does (GET 200) and change nothing (any other method 403 `staff_read_only`);
- a `user` member → 403 when the permission is not one the `user` role has;
- every role the permission allows passes the company check and never gets 401, 403 or a
  5xx; a GET of an existing object answers 200 (bodies of writes may be refused with 4xx).
Staff routes: anonymous 401, a user token 403, a staff token of the route's role or above
neither, one below it 403. UMS routes: anonymous
401, a user token 403, a UMS credential and an ALD token neither. Company pages
(`companies/<gaid>/…`): anonymous → login redirect, another company's member → 404, an
administrator no 5xx; a staff user reads them (no 4xx/5xx on GET) and every POST is 403.
"""

import datetime
import re
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from ilp.accounts.models import AccessRequest, ApiToken, StaffToken, UserSession
from ilp.accounts.services import invitation_create
from ilp.api import api
from ilp.core.actors import Actor
from ilp.core.auth import AnyAuth, CompanyAuth, StaffAuth, UmsAuth, UserAuth
from ilp.core.authz import READ_PERMISSIONS, Role, StaffRole, has_permission, staff_role_allows
from ilp.rollout.services import ald_token_generate
from ilp.sso.models import CompanyDomain, CompanySso
from tests.accounts.factories import (
    make_company,
    make_staff_token,
    make_staff_user,
    make_user,
    make_user_token,
)
from tests.conftest import ApiClient
from tests.rollout.factories import issue, make_ums

# Routes that need no credential at all. Anything under /companies/ may never be here.
PUBLIC = {
    ("POST", "/auth/tokens"),
    ("GET", "/invitations/{token}"),
    ("POST", "/invitations/{token}/accept"),
    # Self-service without an account (rule 16); throttled per client address and e-mail.
    ("POST", "/auth/password-reset"),
    ("POST", "/auth/password-reset/{token}"),
    ("POST", "/registrations"),
}

UNIT_ID = "00E0C5A1B2C3"
PARAM = re.compile(r"\{(?:\w+:)?(\w+)\}")
PAGE_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


# --- what exists ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # relative to /api/v1, ninja notation: /companies/{gaid}/…
    auth: tuple  # the operation's auth callables
    errors: frozenset = frozenset()  # the error statuses its `response=` declares

    def __str__(self):
        return f"{self.method} {self.path}"

    @property
    def params(self) -> list[str]:
        return PARAM.findall(self.path)

    def kind(self) -> str:
        kinds = {
            type(a).__name__
            for a in self.auth
            if isinstance(a, (CompanyAuth, StaffAuth, UmsAuth, UserAuth, AnyAuth))
        }
        if not self.auth:
            return "public"
        if len(kinds) != 1 or len(self.auth) != 1:
            return "unknown"
        return {
            "CompanyAuth": "company",
            "StaffAuth": "staff",
            "UmsAuth": "ums",
            "UserAuth": "user",
            "AnyAuth": "any",
        }[kinds.pop()]

    @property
    def permission(self):
        return self.auth[0].permission


def _join(prefix: str, path: str) -> str:
    return "/" + "/".join(p.strip("/") for p in (prefix, path) if p.strip("/"))


def api_routes() -> list[Route]:
    api.urls  # noqa: B018 - binds the routers exactly as the URL conf does
    routes = []
    for bound in api._get_bound_routers():
        for path, path_view in bound.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    errors = frozenset(
                        status
                        for status in operation.response_models
                        if isinstance(status, int) and status >= 400
                    )
                    routes.append(
                        Route(
                            method,
                            _join(bound.prefix, path),
                            tuple(operation.auth_callbacks),
                            errors,
                        )
                    )
    return sorted(set(routes), key=lambda r: (r.path, r.method))


def company_page_patterns() -> list[tuple[str, str, str | None]]:
    """(route, url name, permission) of every URL pattern under companies/<gaid>/; the
    permission is what `ilp.web.portal.company_page` was given (None: not decorated)."""
    found = []

    def walk(patterns, prefix, namespace):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                ns = namespace
                if p.namespace:
                    ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
                walk(p.url_patterns, route, ns)
            elif isinstance(p, URLPattern) and route.startswith("companies/<"):
                name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or "")
                permission = getattr(p.callback, "ilp_permission", None)
                found.append((route, name, permission and str(permission)))

    walk(get_resolver().url_patterns, "", "")
    return sorted(set(found))


ROUTES = api_routes()
COMPANY_ROUTES = [r for r in ROUTES if r.kind() == "company"]
STAFF_ROUTES = [r for r in ROUTES if r.kind() == "staff"]
UMS_ROUTES = [r for r in ROUTES if r.kind() == "ums"]
SIGNED_IN_ROUTES = [r for r in ROUTES if r.kind() in ("user", "any")]
PAGES = company_page_patterns()
ALL_ROLES = [Role.ADMINISTRATOR, Role.SERVICE_PROVIDER, Role.USER]


# --- the world they are called in -------------------------------------------------------------


@pytest.fixture(scope="module")
def _world(django_db_setup, django_db_blocker):
    """Built once per module inside a transaction that is rolled back at the end; each test
    runs in a savepoint inside it (the `db` fixture), so its writes vanish after it."""
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=fast):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def world(_world, db):
    return _world


def build_world(gaid: str | None = None) -> SimpleNamespace:
    """Acme with one member per role, real objects of every kind; Other Corp next door.
    (`gaid` fixes Acme's, for tests/test_fuzz_api.py, which must know it before it starts.)"""
    w = SimpleNamespace()
    w.company = make_company(name="Acme GmbH", **({"gaid": gaid} if gaid else {}))
    w.other = make_company(name="Other Corp")
    w.members = {
        role: make_user(f"{role}@acme.test", company=w.company, role=role) for role in ALL_ROLES
    }
    w.tokens = {role: make_user_token(user) for role, user in w.members.items()}
    w.api_token_id = ApiToken.objects.filter(user=w.members[Role.ADMINISTRATOR]).first().pk
    w.extra = make_user("colleague@acme.test", company=w.company, role="user")
    w.outsider_token = make_user_token(
        make_user("boss@other.test", company=w.other, role="administrator")
    )
    w.staff_tokens = {role: make_staff_token(f"staff-{role}", role=role) for role in StaffRole}
    w.staff_token = w.staff_tokens[StaffRole.STAFF_ADMIN]
    w.staff_user = make_staff_user("support@vendor.test", role=StaffRole.SUPPORT)
    w.staff_member_id = w.staff_user.staff_member.pk
    w.staff_token_id = StaffToken.objects.get(name="staff-support").pk

    # Orders through the staff API (the contract), so they are what the ERP would make.
    staff = ApiClient(w.staff_token)
    invoice = (datetime.date.today() - datetime.timedelta(days=30)).isoformat()
    customer = {"gaid": w.company.gaid, "name": w.company.name, "country": "DE"}
    new = staff.post(
        "/orders",
        {
            "order_number": "MATRIX-1",
            "kind": "new",
            "invoice_date": invoice,
            "end_customer": customer,
            "items": [{"product": "WE", "seats": 10, "term_months": 12}],
        },
    )
    assert new.status_code == 201, f"world: POST /orders failed: {new.content[:500]!r}"
    w.key = new.json()["subscription_key"]
    w.pack_id = new.json()["product_packs"][0]["id"]
    renewal = staff.post(
        "/orders",
        {
            "order_number": "MATRIX-2",
            "kind": "renewal",
            "invoice_date": invoice,
            "end_customer": customer,
            "subscription_key": w.key,
            "items": [{"product": "WE", "seats": 5, "term_months": 12}],
        },
    )
    assert renewal.status_code == 201, f"world: renewal failed: {renewal.content[:500]!r}"
    w.order_number = "MATRIX-2"

    from ilp.licensing.models import Order, ProductPack
    from ilp.licensing.services.eula import order_eula_accept

    # MATRIX-1's EULA is accepted, so its pack issues; MATRIX-2 (the renewal) still waits,
    # which is what the EULA routes are called on.
    order_eula_accept(
        actor=Actor.for_user(w.members[Role.ADMINISTRATOR]),
        order=Order.objects.get(order_number="MATRIX-1"),
    )
    pack = ProductPack.objects.get(pack_id=w.pack_id)
    w.ums, w.ums_token = make_ums(w.company, packs=[pack])
    issue(w.ums, pack.product.sku, UNIT_ID)
    w.license_id = pack.device_licenses.get(unit_id=UNIT_ID).license_id
    w.ald_token = ald_token_generate(actor=Actor.system(), key=pack.subscription_key)
    w.invitation, w.invitation_token = invitation_create(
        actor=Actor.for_user(w.members[Role.ADMINISTRATOR]),
        company=w.company,
        email="newbie@acme.test",
        role="user",
    )
    w.access_request = AccessRequest.objects.create(
        company=w.company, email="contact@acme.test", first_name="Con", last_name="Tact"
    )
    from ilp.webhooks.models import WebhookEndpoint
    from ilp.webhooks.services import endpoint_test, secret_new

    w.webhook = WebhookEndpoint.objects.create(
        endpoint_id="we_MATRIX",
        company=w.company,
        url="https://hooks.acme.test/ilp",
        events=["license.issued"],
        secret=secret_new(),
    )
    w.webhook_delivery = endpoint_test(actor=Actor.system(), endpoint=w.webhook)
    CompanySso.objects.create(
        company=w.company, issuer="https://idp.acme.test", client_id="ilp", client_secret="s"
    )
    w.domain = CompanyDomain.objects.create(company=w.company, domain="acme.test", token="t").domain
    w.session_id = UserSession.objects.create(
        user=w.members[Role.ADMINISTRATOR], session_key="matrix-session", method="password"
    ).pk
    return w


# Path parameter name → its value in the world. A new name needs a line here.
VALUES = {
    "gaid": lambda w: w.company.gaid,
    "pack_id": lambda w: w.pack_id,
    "key": lambda w: w.key,
    "order_number": lambda w: w.order_number,
    "invitation_id": lambda w: w.invitation.pk,
    "access_request_id": lambda w: w.access_request.pk,
    "email": lambda w: w.extra.email,
    "ums_id": lambda w: w.ums.ums_id,
    "unit_id": lambda w: UNIT_ID,
    "license_id": lambda w: w.license_id,
    "token": lambda w: w.invitation_token,
    "token_id": lambda w: w.api_token_id,
    "endpoint_id": lambda w: w.webhook.endpoint_id,
    "delivery_id": lambda w: w.webhook_delivery.message_id,
    "domain": lambda w: w.domain,
    "session_id": lambda w: w.session_id,
    # The back office's own objects (staff routes).
    "staff_member_id": lambda w: w.staff_member_id,
    "staff_token_id": lambda w: w.staff_token_id,
    "sku": lambda w: "WE",
    "target_gaid": lambda w: w.company.gaid,
}


def _value(name: str, where: str, world):
    if name not in VALUES:
        pytest.fail(
            f"{where}: no fixture value for path parameter {{{name}}}. Name it like the others "
            f"({', '.join(sorted(VALUES))}) or add it to VALUES in tests/test_tenancy_matrix.py."
        )
    return VALUES[name](world)


def url_for(route: Route, world) -> str:
    return PARAM.sub(lambda m: str(_value(m.group(1), str(route), world)), route.path)


def call(route: Route, world, token: str | None):
    client = ApiClient(token)
    url = url_for(route, world)
    method = route.method.lower()
    if method in ("get", "delete"):
        return getattr(client, method)(url)
    return getattr(client, method)(url, {})


def _ids(routes):
    return [str(r) for r in routes]


# --- the matrix: classification ---------------------------------------------------------------


def test_the_api_has_routes_to_check():
    assert len(COMPANY_ROUTES) >= 5 and STAFF_ROUTES and UMS_ROUTES


@pytest.mark.parametrize("route", ROUTES, ids=_ids(ROUTES))
def test_every_route_declares_who_may_call_it(route):
    kind = route.kind()
    assert kind != "unknown", f"{route}: auth {route.auth!r} is not one of ilp.core.auth's"
    if kind == "public":
        assert (route.method, route.path) in PUBLIC, (
            f"{route} needs no credential; add auth= or list it in PUBLIC if it truly is public"
        )
    if "{gaid}" in route.path and not route.path.startswith("/staff/"):
        # The back office's routes name every company; vendor staff may read all of them.
        assert kind == "company", f"{route} names a company but does not use CompanyAuth"
    if kind == "company":
        assert "{gaid}" in route.path, f"{route} uses CompanyAuth without a {{gaid}} in its path"


# What a route's authentication alone can answer: no or a bad credential (401), a credential
# of the wrong kind (403), and for company routes a company the caller is not in (404).
AUTH_ERRORS = {
    "public": set(),
    "any": {401},
    "user": {401, 403},
    "staff": {401, 403},
    "ums": {401, 403},
    "company": {401, 403, 404},
}


@pytest.mark.parametrize("route", ROUTES, ids=_ids(ROUTES))
def test_every_route_declares_its_error_responses(route):
    assert route.errors, (
        f"{route} declares no error response: add **problems(...) from ilp.core.problems"
    )
    missing = AUTH_ERRORS.get(route.kind(), set()) - route.errors
    assert not missing, f"{route} can answer {sorted(missing)} but does not declare it"


@pytest.mark.parametrize("route", ROUTES, ids=_ids(ROUTES))
def test_every_path_parameter_has_a_fixture_value(route):
    unknown = [name for name in route.params if name not in VALUES]
    assert not unknown, (
        f"{route}: no fixture value for {unknown}; name the parameter like the others "
        f"({', '.join(sorted(VALUES))}) or add it to VALUES in tests/test_tenancy_matrix.py"
    )


# --- the matrix: company routes ---------------------------------------------------------------


@pytest.mark.parametrize("route", COMPANY_ROUTES, ids=_ids(COMPANY_ROUTES))
def test_company_route_denies_outsiders(route, world):
    response = call(route, world, None)
    assert response.status_code == 401, f"{route} anonymous: {response.status_code}"
    response = call(route, world, world.outsider_token)
    assert response.status_code == 404, f"{route} another company: {response.status_code}"
    assert response.json()["code"] == "not_found"
    for label, token in (("UMS", world.ums_token), ("ALD token", world.ald_token)):
        response = call(route, world, token)
        assert response.status_code == 403, f"{route} {label}: {response.status_code}"


@pytest.mark.parametrize("route", COMPANY_ROUTES, ids=_ids(COMPANY_ROUTES))
def test_company_route_vendor_staff_read_and_change_nothing(route, world):
    """Rule 25: staff of every role see what an administrator sees, and change nothing."""
    for role in (StaffRole.SUPPORT, StaffRole.STAFF_ADMIN):
        response = call(route, world, world.staff_tokens[role])
        detail = f"{route} as staff ({role}): {response.status_code} {response.content[:300]!r}"
        if route.method == "GET":
            assert response.status_code == 200, detail
        else:
            assert response.status_code == 403, detail
            assert response.json()["code"] == "staff_read_only", detail
    # An unknown company is 404 for staff too, before any 403.
    unknown = url_for(route, world).replace(world.company.gaid, "GA00000000", 1)
    response = getattr(ApiClient(world.staff_token), route.method.lower())(unknown)
    assert response.status_code == 404, f"{route} unknown company as staff"


LOW_ROLE_ROUTES = [r for r in COMPANY_ROUTES if not has_permission(Role.USER, r.permission)]


@pytest.mark.parametrize("route", LOW_ROLE_ROUTES, ids=_ids(LOW_ROLE_ROUTES))
def test_company_route_user_role_without_permission_is_403(route, world):
    response = call(route, world, world.tokens[Role.USER])
    assert response.status_code == 403, f"{route}: {response.status_code} {response.content!r}"
    assert response.json()["code"] == "permission_denied"


ALLOWED = [
    (route, role)
    for route in COMPANY_ROUTES
    for role in ALL_ROLES
    if has_permission(role, route.permission)
]


@pytest.mark.parametrize(
    ("route", "role"), ALLOWED, ids=[f"{r}-{role.value}" for r, role in ALLOWED]
)
def test_company_route_allowed_role_gets_through(route, role, world, monkeypatch):
    passed = []
    original = CompanyAuth.authorize

    def spy(self, request, principal):
        access = original(self, request, principal)
        passed.append(access.membership.company.gaid)
        return access

    monkeypatch.setattr(CompanyAuth, "authorize", spy)
    response = call(route, world, world.tokens[role])
    status = response.status_code
    detail = f"{route} as {role.value}: {status} {response.content[:300]!r}"
    assert passed == [world.company.gaid], f"company check failed: {detail}"
    assert status not in (401, 403) and status < 500, detail
    if route.method == "GET":
        assert status == 200, detail


# --- the matrix: staff, UMS and signed-in routes ----------------------------------------------


@pytest.mark.parametrize("route", STAFF_ROUTES, ids=_ids(STAFF_ROUTES))
def test_staff_route(route, world):
    assert call(route, world, None).status_code == 401
    assert call(route, world, world.tokens[Role.ADMINISTRATOR]).status_code == 403
    assert call(route, world, world.ums_token).status_code == 403
    assert call(route, world, world.ald_token).status_code == 403
    needed = route.auth[0].role
    for role in StaffRole:
        response = call(route, world, world.staff_tokens[role])
        detail = f"{route} as staff {role}: {response.status_code} {response.content[:300]!r}"
        if staff_role_allows(role, needed):
            assert response.status_code not in (401, 403) and response.status_code < 500, detail
        else:
            assert response.status_code == 403, detail
            assert response.json()["code"] == "permission_denied", detail


@pytest.mark.parametrize("route", UMS_ROUTES, ids=_ids(UMS_ROUTES))
def test_ums_route(route, world):
    assert call(route, world, None).status_code == 401
    assert call(route, world, world.tokens[Role.ADMINISTRATOR]).status_code == 403
    assert call(route, world, world.staff_token).status_code == 403
    for label, token in (("the UMS", world.ums_token), ("an ALD token", world.ald_token)):
        response = call(route, world, token)
        assert response.status_code not in (401, 403) and response.status_code < 500, (
            f"{route} as {label}: {response.status_code} {response.content[:300]!r}"
        )


@pytest.mark.parametrize("route", SIGNED_IN_ROUTES, ids=_ids(SIGNED_IN_ROUTES))
def test_signed_in_route_anonymous_is_401(route, world):
    assert call(route, world, None).status_code == 401
    assert call(route, world, "ilpu_not-a-real-token").status_code == 401


# --- the matrix: company pages ----------------------------------------------------------------


def page_url(route: str, world) -> str:
    return "/" + PAGE_PARAM.sub(lambda m: str(_value(m.group(1), route, world)), route)


def _page_ids(pages):
    return [name or route for route, name, _permission in pages]


def _get_or_post(client: Client, url: str):
    response = client.get(url)
    if response.status_code == 405:  # a POST-only action: ask with POST instead
        response = client.post(url, {})
    return response


def test_there_are_company_pages_to_check():
    assert PAGES, "no URL pattern under companies/<gaid>/ found"


@pytest.mark.parametrize(("route", "name", "permission"), PAGES, ids=_page_ids(PAGES))
def test_every_company_page_goes_through_company_page(route, name, permission):
    assert permission is not None, (
        f"{name or route}: decorate the view with ilp.web.portal.company_page(Permission.X), "
        "which checks membership (404) and role (403)"
    )


@pytest.mark.parametrize(("route", "name", "permission"), PAGES, ids=_page_ids(PAGES))
def test_company_page_denies_outsiders(route, name, permission, world):
    url = page_url(route, world)
    response = _get_or_post(Client(), url)
    assert response.status_code == 302, f"{route} anonymous: {response.status_code}"
    assert response["Location"].startswith("/login/"), response["Location"]
    client = Client()
    client.force_login(make_user("nosy@other.test", company=world.other, role="administrator"))
    response = _get_or_post(client, url)
    assert response.status_code == 404, f"{route} another company: {response.status_code}"


LOW_ROLE_PAGES = [
    page for page in PAGES if page[2] is not None and not has_permission(Role.USER, page[2])
]


@pytest.mark.parametrize(
    ("route", "name", "permission"), LOW_ROLE_PAGES, ids=_page_ids(LOW_ROLE_PAGES)
)
def test_company_page_user_role_without_permission_is_403(route, name, permission, world):
    client = Client()
    client.force_login(world.members[Role.USER])
    response = _get_or_post(client, page_url(route, world))
    assert response.status_code == 403, f"{route} as user: {response.status_code}"


@pytest.mark.parametrize(("route", "name", "permission"), PAGES, ids=_page_ids(PAGES))
def test_company_page_administrator_never_gets_an_error(route, name, permission, world):
    client = Client(raise_request_exception=False)
    client.force_login(world.members[Role.ADMINISTRATOR])
    response = client.get(page_url(route, world))
    assert response.status_code < 500 and response.status_code not in (401, 403, 404), (
        f"{route}: {response.status_code}"
    )


@pytest.mark.parametrize(("route", "name", "permission"), PAGES, ids=_page_ids(PAGES))
def test_company_page_vendor_staff_read_and_change_nothing(route, name, permission, world):
    """Rule 25: a staff user sees the company's pages (banner included) and every POST is
    refused, whatever the page's permission."""
    client = Client(raise_request_exception=False)
    client.force_login(world.staff_user)
    url = page_url(route, world)
    response = client.get(url)
    if permission not in {str(p) for p in READ_PERMISSIONS}:
        # A page for a change is no page for staff's read-only view.
        assert response.status_code in (403, 405), f"{route} as staff: {response.status_code}"
    elif response.status_code != 405:
        assert response.status_code < 400, f"{route} as staff: {response.status_code}"
        if response.status_code == 200 and "text/html" in response["Content-Type"]:
            page = response.content.decode()
            if "<html" in page:
                assert "staff-banner" in page, f"{route}: no staff banner"
            # No form that changes something: only logging out and the language remain.
            forms = re.findall(r'<form[^>]*method="post"[^>]*>', page, flags=re.I)
            # (The packs list's selection wrapper holds no box to tick for staff, as for a
            # `user`: it changes nothing.)
            changing = [
                f
                for f in forms
                if "/logout/" not in f and "/i18n/" not in f and 'id="pack-select"' not in f
            ]
            assert not changing, f"{route}: staff see a form that would change: {changing}"
    response = client.post(url, {})
    assert response.status_code == 403, f"{route} POST as staff: {response.status_code}"


def test_an_unknown_parameter_name_fails_with_a_clear_message(world):
    route = Route("GET", "/companies/{gaid}/widgets/{widget_id}", ())
    with pytest.raises(pytest.fail.Exception, match=r"no fixture value for path parameter"):
        url_for(route, world)
