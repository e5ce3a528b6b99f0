"""Every integer input has an upper bound (API.md, third round): a number too big for the
database is a 422, never a 500 from the insert."""

import pytest

from ilp.api import api as ninja_api
from ilp.licensing.models import ProductPack
from tests.accounts.factories import PASSWORD
from tests.licensing.factories import make_key, seed_catalogue

pytestmark = pytest.mark.django_db


def _resolve(doc: dict, schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    return schema


def _unbounded(doc: dict, schema: dict, where: str, seen: set) -> list[str]:
    """Every integer in `schema` (through refs, arrays, unions and nested objects) that has
    no `maximum`, as a list of places."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen = seen | {name}
    schema = _resolve(doc, schema)
    found = []
    if schema.get("type") == "integer" and "maximum" not in schema:
        found.append(where)
    # A `maximum` beside `anyOf` bounds every number the branches allow (JSON Schema).
    if "maximum" not in schema:
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in schema.get(key, []):
                found += _unbounded(doc, sub, where, seen)
    if "items" in schema:
        found += _unbounded(doc, schema["items"], f"{where}[]", seen)
    for name, sub in schema.get("properties", {}).items():
        found += _unbounded(doc, sub, f"{where}.{name}", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        found += _unbounded(doc, schema["additionalProperties"], f"{where}.*", seen)
    return found


def test_every_integer_input_of_the_api_has_an_upper_bound(client):
    doc = client.get("/api/v1/openapi.json").json()
    unbounded = []
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            if not isinstance(op, dict):
                continue
            for param in op.get("parameters", []):
                unbounded += _unbounded(
                    doc, param.get("schema", {}), f"{method.upper()} {path} ?{param['name']}", set()
                )
            for media in op.get("requestBody", {}).get("content", {}).values():
                unbounded += _unbounded(
                    doc, media.get("schema", {}), f"{method.upper()} {path} body", set()
                )
    assert doc["paths"] and ninja_api  # the walk saw the real API
    assert not unbounded, "\n".join(unbounded)


TOO_BIG = 2**31  # one beyond PostgreSQL's integer column


def test_a_split_of_2_to_the_31_seats_is_a_422_not_a_500(admin_api, company):
    pack = make_key(company, packs=[("WE", 10)]).product_packs.get()
    response = admin_api.post(
        f"/companies/{company.gaid}/product-packs/{pack.pack_id}/split", {"seats": TOO_BIG}
    )
    assert response.status_code == 422, response.content
    assert ProductPack.objects.count() == 1
    ok = admin_api.post(
        f"/companies/{company.gaid}/product-packs/{pack.pack_id}/split", {"seats": 2}
    )
    assert ok.status_code == 201


@pytest.mark.postgres
def test_a_split_of_2_to_the_31_seats_is_a_422_on_postgresql_too(admin_api, company):
    test_a_split_of_2_to_the_31_seats_is_a_422_not_a_500(admin_api, company)


@pytest.mark.parametrize(
    "item",
    [
        {"product": "WE", "seats": TOO_BIG, "term_months": 12},
        {"product": "WE", "seats": 1_000_001, "term_months": 12},
        {"product": "WE", "seats": 10, "term_months": TOO_BIG},
    ],
)
def test_orders_and_delivery_tokens_beyond_the_bounds_are_422(staff_api, item):
    seed_catalogue()
    order = staff_api.post(
        "/orders",
        {
            "order_number": "SO-BIG-1",
            "invoice_date": "2026-11-01",
            "kind": "new",
            "end_customer": {"name": "Big GmbH", "country": "DE"},
            "items": [item],
        },
    )
    assert order.status_code == 422, order.content
    token = staff_api.post(
        "/delivery-tokens",
        {"order_number": "SO-BIG-2", "invoice_date": "2026-11-01", "items": [item]},
    )
    assert token.status_code == 422, token.content


@pytest.mark.parametrize("value", [2**63, 10**30])  # beyond a BigAutoField
def test_ids_beyond_the_bounds_are_422(admin_api, company, value):
    assert admin_api.delete(f"/me/tokens/{value}").status_code == 422
    assert admin_api.delete(f"/companies/{company.gaid}/invitations/{value}").status_code == 422
    assert admin_api.delete(f"/companies/{company.gaid}/access-requests/{value}").status_code == 422


@pytest.mark.parametrize("value", [3_651, TOO_BIG, 2**63])
def test_days_beyond_the_bounds_are_422(api, admin_user, admin_api, company, value):
    ums = admin_api.post(f"/companies/{company.gaid}/ums", {"name": "UMS 1"})
    assert ums.status_code == 201, ums.content
    patched = admin_api.patch(
        f"/companies/{company.gaid}/ums/{ums.json()['ums_id']}", {"lease_days": value}
    )
    assert patched.status_code == 422
    token = api().post(
        "/auth/tokens",
        {"email": admin_user.email, "password": PASSWORD, "expires_in_days": value},
    )
    assert token.status_code == 422
