"""Demo data for `ilp demo`: companies, people, and whatever each app adds.

Each app may provide `ilp.<app>.demo.load(ctx)`; `ctx` carries what was made so far
(`ctx.companies["acme"]`, `ctx.users["admin"]`, `ctx.actor`) and `ctx.logins`, a list of
(label, e-mail, password) lines printed at the end.
"""

import importlib
from dataclasses import dataclass, field

from django.utils import timezone

from ilp.accounts.models import Membership, StaffMember, TwoFactor, User
from ilp.accounts.services import company_create
from ilp.core.actors import Actor
from ilp.core.authz import StaffRole
from ilp.licensing.demo import snapshots_backfill

PASSWORD = "demo-password-1"
STAFF_EMAIL = "staff@ilp.example"
STAFF_TOTP_SECRET = "ILPDEMOSTAFFBACKOFFICE2FA234567A"  # base32, 32 characters


@dataclass
class DemoContext:
    actor: Actor = field(default_factory=Actor.system)
    companies: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    logins: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def _user(ctx, key, email, first, last, memberships):
    user = User.objects.create_user(email, PASSWORD, first_name=first, last_name=last)
    for company_key, role in memberships:
        Membership.objects.create(user=user, company=ctx.companies[company_key], role=role)
    user.default_company = ctx.companies[memberships[0][0]]
    user.save(update_fields=["default_company"])
    ctx.users[key] = user
    return user


def load() -> DemoContext:
    ctx = DemoContext()
    ctx.companies["acme"] = company_create(
        actor=ctx.actor,
        name="Acme Logistics GmbH",
        customer_number="C-10001",
        street="Hafenstraße 1",
        postal_code="28195",
        city="Bremen",
        country="DE",
    )
    ctx.companies["north"] = company_create(
        actor=ctx.actor,
        name="Northwind Clinics Ltd",
        customer_number="C-10002",
        street="1 Harbour Road",
        postal_code="BS1 4DJ",
        city="Bristol",
        country="GB",
    )
    _user(ctx, "admin", "admin@acme.example", "Anna", "Admin", [("acme", "administrator")])
    _user(
        ctx,
        "partner",
        "partner@itservice.example",
        "Paul",
        "Partner",
        [("acme", "service_provider"), ("north", "service_provider")],
    )
    _user(ctx, "user", "user@acme.example", "Uwe", "User", [("acme", "user")])
    _user(
        ctx, "north_admin", "admin@northwind.example", "Nora", "North", [("north", "administrator")]
    )
    # The vendor's staff, a member of no company: a superuser (the Django admin at /admin/)
    # and a staff administrator of the back office at /staff/, which needs two-factor
    # sign-in: the demo prints the authenticator key (a demo's key is no secret).
    ctx.users["staff"] = User.objects.create_superuser(
        STAFF_EMAIL, PASSWORD, first_name="Sven", last_name="Staff"
    )
    StaffMember.objects.create(user=ctx.users["staff"], role=StaffRole.STAFF_ADMIN)
    TwoFactor.objects.create(
        user=ctx.users["staff"], secret=STAFF_TOTP_SECRET, confirmed_at=timezone.now()
    )
    ctx.notes.append(
        f"back office at /staff/ as {STAFF_EMAIL}: add the authenticator key "
        f"{STAFF_TOTP_SECRET} to your authenticator app for the second step"
    )
    ctx.logins += [
        ("administrator of Acme", "admin@acme.example", PASSWORD),
        ("service provider for Acme and Northwind", "partner@itservice.example", PASSWORD),
        ("user (read-only) of Acme", "user@acme.example", PASSWORD),
        ("administrator of Northwind", "admin@northwind.example", PASSWORD),
        ("vendor staff: back office at /staff/, Django admin at /admin/", STAFF_EMAIL, PASSWORD),
    ]
    for app in ("licensing", "rollout", "notifications"):
        try:
            module = importlib.import_module(f"ilp.{app}.demo")
        except ModuleNotFoundError:
            continue
        module.load(ctx)
    # Seat history for the dashboard's chart, once the devices hold their licenses.
    snapshots_backfill(ctx)
    return ctx
