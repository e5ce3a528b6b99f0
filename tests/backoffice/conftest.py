import datetime

import pytest

from tests.accounts.factories import make_staff_token
from tests.conftest import ApiClient


@pytest.fixture
def staff_as(db):
    """`staff_as("support")` → an ApiClient with a staff token of that role."""
    return lambda role="staff_admin": ApiClient(make_staff_token(f"t-{role}", role=role))


def order_body(number: str, *, gaid=None, name="Acme GmbH", items=None, contact=None, **more):
    body = {
        "order_number": number,
        "kind": "new",
        "invoice_date": (datetime.date.today() - datetime.timedelta(days=3)).isoformat(),
        "end_customer": {"name": name, "country": "DE", **({"gaid": gaid} if gaid else {})},
        "items": items or [{"product": "WE", "seats": 10, "term_months": 12}],
        **({"contact": contact} if contact else {}),
        **more,
    }
    return body
