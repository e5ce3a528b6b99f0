"""Demo data for `ilp demo`: companies, people, and whatever each app adds.

Each app may provide `ilp.<app>.demo.load(ctx)`; `ctx` carries what was made so far
(`ctx.companies["acme"]`, `ctx.users["admin"]`, `ctx.actor`) and `ctx.logins`, a list of
(label, e-mail, password) lines printed at the end.
"""

import importlib
from dataclasses import dataclass, field

from ilp.accounts.models import Membership, User
from ilp.accounts.services import company_create
from ilp.core.actors import Actor
from ilp.licensing.demo import snapshots_backfill

PASSWORD = "demo-password-1"
STAFF_EMAIL = "staff@ilp.example"


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
    # The vendor's back office (/admin/): staff of the vendor, a member of no company.
    ctx.users["staff"] = User.objects.create_superuser(
        STAFF_EMAIL, PASSWORD, first_name="Sven", last_name="Staff"
    )
    ctx.logins += [
        ("administrator of Acme", "admin@acme.example", PASSWORD),
        ("service provider for Acme and Northwind", "partner@itservice.example", PASSWORD),
        ("user (read-only) of Acme", "user@acme.example", PASSWORD),
        ("administrator of Northwind", "admin@northwind.example", PASSWORD),
        ("vendor staff, back office at /admin/", STAFF_EMAIL, PASSWORD),
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
