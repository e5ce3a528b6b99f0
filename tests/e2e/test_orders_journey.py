"""An order arrives from the ERP → its contact registers from the mail → sees the pack."""

import datetime
import json
import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from ilp.notifications.models import OutboxMail
from tests.accounts.factories import make_staff_token

pytestmark = pytest.mark.django_db(transaction=True)


def test_order_to_dashboard(page, shot, live_server):
    staff = make_staff_token()
    body = {
        "order_number": "SO-JOURNEY-1",
        "kind": "new",
        "invoice_date": datetime.date.today().isoformat(),
        "end_customer": {"name": "Harbour Freight GmbH", "city": "Hamburg", "country": "DE"},
        "contact": {"email": "Hanna@Harbour.example", "first_name": "Hanna", "last_name": "Hafen"},
        "items": [{"product": "WE", "seats": 25, "term_months": 12}],
    }
    post = lambda: Client().post(  # noqa: E731
        "/api/v1/orders",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {staff}"},
    )
    response = post()
    assert response.status_code == 201, response.content
    order = response.json()
    assert order["company_created"] and order["contact_outcome"] == "administrator_created"
    pack_id = order["product_packs"][0]["id"]
    # Replaying it changes nothing.
    replay = post()
    assert replay.status_code == 200 and replay.json() == order
    assert OutboxMail.objects.filter(to="hanna@harbour.example").count() == 1

    mail = OutboxMail.objects.get(to="hanna@harbour.example")
    link = re.search(r"https?://\S+/invitations/\S+", mail.body_text).group(0)
    path = "/invitations/" + link.split("/invitations/", 1)[1]
    page.goto(path)
    shot("finalise-registration")
    page.get_by_label("First name").fill("Hanna")
    page.get_by_label("Last name").fill("Hafen")
    page.get_by_label("Password", exact=True).fill("a long harbour password 1")
    page.get_by_label("Password again").fill("a long harbour password 1")
    page.get_by_role("button", name="Register and accept").click()

    page.wait_for_url(f"**/companies/{order['gaid']}/**")
    if not page.url.rstrip("/").endswith(order["gaid"]):
        page.goto(f"/companies/{order['gaid']}/")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator(".company-head")).to_contain_text("Harbour Freight GmbH")
    expect(page.locator(".company-head")).to_contain_text(order["gaid"])
    expect(page.get_by_role("table").get_by_role("link", name=pack_id)).to_be_visible()
    expect(page.get_by_text("0 / 25 used")).to_be_visible()
    shot("dashboard")
