"""Order intake's cost and its answer (issue 14): a new order with a contact person runs a
fixed, small number of statements, and the answer built from the packs in memory is what
reading them back shows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ilp.accounts.models import Company, Membership, User
from ilp.audit.models import AuditEvent
from ilp.licensing.models import Eula, EulaVersion, Order, Product
from ilp.licensing.selectors import pack_list_of_company
from ilp.licensing.services.orders import pack_data
from ilp.notifications.models import OutboxMail
from tests.accounts.factories import make_company, make_user
from tests.rollout.factories import make_ums

pytestmark = pytest.mark.django_db

# Round trips of one new order with a contact person for a new company, the staff token's
# look-up, BEGIN and COMMIT included (48 before issue 14's trimming, 25 before the order's
# audit events went in one statement, 22 before its random IDs went in without savepoints,
# its probes prepared and the writes nothing reads back held to one round trip at its end —
# on PostgreSQL; SQLite sends those held writes one after the other). One of them reads the
# company's webhook endpoints (once per transaction, whatever events the order causes).
NEW_ORDER_WITH_CONTACT_STATEMENTS = {"postgresql": 15, "sqlite": 19}


def _body(number, **fields):
    body = {
        "order_number": number,
        "kind": "new",
        "invoice_date": "2026-11-01",
        "end_customer": {"name": "Neue Firma AG", "city": "Bremen", "country": "DE"},
        "contact": {"email": f"buyer-{number}@neu.test", "first_name": "Ada", "last_name": "B"},
        "items": [
            {"product": "WE", "seats": 25, "term_months": 12},
            {"product": "EMP", "seats": 5, "term_months": 12},
        ],
    }
    body.update(fields)
    return body


def _read_back(body) -> list[dict]:
    company = Company.objects.get(gaid=body["gaid"])
    pks = Order.objects.get(order_number=body["order_number"]).product_packs.values_list(
        "pk", flat=True
    )
    return [pack_data(p) for p in pack_list_of_company(company=company, pks=pks)]


def test_a_new_order_with_a_contact_runs_a_fixed_number_of_statements(staff_api):
    staff_api.post("/orders", _body("SO-0"))  # warm caches (product catalogue, templates)
    with CaptureQueriesContext(connection) as queries:
        response = staff_api.post("/orders", _body("SO-1"))
    assert response.status_code == 201, response.content
    assert response.json()["contact_outcome"] == "administrator_created"
    assert len(queries) <= NEW_ORDER_WITH_CONTACT_STATEMENTS[connection.vendor], "\n".join(
        q["sql"][:120] for q in queries.captured_queries
    )
    sql = "\n".join(q["sql"] for q in queries.captured_queries)
    # the company, the contact's account and invitation, the order: one insert
    assert sql.count('INSERT INTO "audit_auditevent"') == 1
    # No savepoint of its own (the one the test's transaction makes of the order's): random
    # IDs and the order number's race go ON CONFLICT DO NOTHING.
    assert sum(q["sql"].startswith("SAVEPOINT") for q in queries.captured_queries) <= 1
    gaid = response.json()["gaid"]
    actions = AuditEvent.objects.filter(company__gaid=gaid).order_by("id")
    assert [e.action for e in actions][-1] == "order.received"
    assert {e.action for e in actions} == {
        e.action
        for e in AuditEvent.objects.filter(
            company__gaid=staff_api.get("/orders/SO-0").json()["gaid"]
        )
    }


def test_a_new_company_s_contact_gets_everything_as_before(staff_api):
    body = staff_api.post("/orders", _body("SO-1")).json()
    user = User.objects.get(email="buyer-so-1@neu.test")
    company = Company.objects.get(gaid=body["gaid"])
    # The default company is set with the person, not by a second write; the membership,
    # invitation mail and audit events are those of rule 4.
    assert user.default_company == company and not user.has_usable_password()
    assert Membership.objects.get(user=user).role == "administrator"
    assert OutboxMail.objects.get(to=user.email).template == "registration_finalise"
    assert list(
        AuditEvent.objects.filter(company=company).order_by("pk").values_list("action", flat=True)
    ) == ["company.created", "member.added", "invitation.created", "order.received"]
    assert body["product_packs"] == _read_back(body)


def test_the_answer_shows_what_auto_assign_did_and_equals_a_read_back(staff_api):
    company = make_company(name="Acme GmbH")
    make_user("boss@acme.test", company=company, role="administrator")
    ums, _credential = make_ums(company, auto_assign=True)
    eula = Eula.objects.create(slug="relay", title="Relay terms", kind=Eula.Kind.THIRD_PARTY)
    EulaVersion.objects.create(eula=eula, version="r1", text="Relay text")
    Product.objects.filter(sku="ICG").update(third_party_eula=eula)
    items = [
        {"product": "WE", "seats": 10, "term_months": 12},
        {"product": "ICG", "seats": 10, "term_months": 24},
    ]
    first = staff_api.post(
        "/orders", _body("SO-1", end_customer={"gaid": company.gaid}, items=items)
    ).json()
    add_on = staff_api.post(
        "/orders",
        _body(
            "SO-2",
            end_customer={"gaid": company.gaid},
            subscription_key=first["subscription_key"],
            items=items[:1],
        ),
    ).json()
    for body in (first, add_on):
        assert body["contact_outcome"] == "administrators_notified"
        assert {p["ums_id"] for p in body["product_packs"]} == {ums.ums_id}
        assert body["product_packs"] == _read_back(body)
        assert staff_api.get(f"/orders/{body['order_number']}").json() == body
    icg = next(p for p in first["product_packs"] if p["product"] == "ICG")
    assert icg["eula_accepted"] is False
