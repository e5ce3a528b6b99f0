"""Every page in German (issue 24, "done when"): rendered with data on it, no page shows a
known English word of the portal, nor the German words the walk found wrong."""

import datetime
import re

import pytest
from django.test import Client

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.licensing.models import Eula, EulaVersion, Order, Product, Renewal
from ilp.licensing.services.orders import order_create
from tests.accounts.factories import add_member, make_company
from tests.licensing.factories import make_key
from tests.rollout.factories import issue, make_ums

pytestmark = pytest.mark.django_db

# English words of the portal's own text (product names, IDs, e-mails and the demo's
# names never contain them), and the German the walk in issue 24 found wrong.
ENGLISH = re.compile(
    r"\b(Accept all|Accept|Remove|Search|Devices|Orders|Product packs|Subscription keys|"
    r"Renewals|waits|reminders|days before|recipients|target|merged|state|live|expired|"
    r"seats|licenses|Time zone|Assign|Upload|Redeem|No product packs|Your profile|"
    r"renewal awaits|issue no device licenses|now expire)\b"
)
WRONG_GERMAN = ("Liefertoken", "keine Aufnahme", "Aktiv geführt")


@pytest.fixture
def walk(company, admin_user, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.ILP_SIGNING_KEY = ""
    key = make_key(company, packs=[("WE", 10), ("EMP", 10)])
    we = key.product_packs.get(product__sku="WE")
    ums, _ = make_ums(company, name="Standort Bremen", packs=[we])
    make_ums(company, name="Neues Werk")
    issue(ums, "WE", "00E0C5AA0001", "00E0C5AA0002")
    eula = Eula.objects.create(slug="relay", title="Relais-Bedingungen", kind="third_party")
    EulaVersion.objects.create(
        eula=eula, version="r1", text="Text", published_on=datetime.date(2020, 1, 1)
    )
    Product.objects.filter(sku="ICG").update(third_party_eula=eula)
    order_create(
        actor=Actor.system(),
        order_number="SO-DE-1",
        kind="new",
        invoice_date=datetime.date.today(),
        end_customer={"gaid": company.gaid},
        items=[{"product": "ICG", "seats": 10, "term_months": 12}],
    )
    renewal_order = Order.objects.create(
        order_number="R-DE-1",
        kind="renewal",
        invoice_date=datetime.date.today(),
        company=company,
        subscription_key=key,
        request_hash="x",
    )
    Renewal.objects.create(
        order=renewal_order,
        subscription_key=key,
        company=company,
        product=Product.objects.get(sku="WE"),
        seats=10,
        term_months=12,
        old_expires_on=key.expires_on,
        expires_on=key.expires_on + datetime.timedelta(days=365),
        status=Renewal.Status.AWAITING_REDEMPTION,
    )
    # The audit figures the German log showed in English.
    event_record(
        actor=Actor.system(),
        company=company,
        action="pack.expiry_reminder",
        obj_type="company",
        obj_id=company.gaid,
        after={
            "reminders": [{"pack": we.pack_id, "days_before": 30}],
            "recipients": ["admin@acme.test"],
        },
    )
    event_record(
        actor=Actor.system(),
        company=company,
        action="pack.merge",
        obj_type="product_pack",
        obj_id=we.pack_id,
        before={"target": {"state": "live", "seats": 5}, "merged": [{"state": "live"}]},
        after={"target": {"state": "live", "seats": 10}},
    )
    add_member(admin_user, make_company("Partner GmbH"), role="service_provider")
    client = Client(headers={"Accept-Language": "de"})
    client.force_login(admin_user)
    client.cookies["django_language"] = "de"
    return {"client": client, "key": key, "we": we, "ums": ums}


def _text(html: str) -> str:
    """What a person reads of the portal: the body without tags, scripts and attribute
    values, and without an EULA's text (the vendor's document, in the vendor's language)."""
    body = html[html.index("<body") :]
    body = re.sub(r"<(script|style|pre)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


def test_every_page_reads_in_german(walk, company):
    g = company.gaid
    we, ums, key = walk["we"], walk["ums"], walk["key"]
    pages = [
        f"/companies/{g}/",
        f"/companies/{g}/packs/",
        f"/companies/{g}/packs/{we.pack_id}/",
        f"/companies/{g}/packs/{we.pack_id}/split/",
        f"/companies/{g}/subscription-keys/",
        f"/companies/{g}/subscription-keys/{key.key}/",
        f"/companies/{g}/renewals/",
        f"/companies/{g}/orders/",
        f"/companies/{g}/orders/?eula=pending",
        f"/companies/{g}/eula/accept-all/",
        f"/companies/{g}/ums/",
        f"/companies/{g}/ums/{ums.ums_id}/packs/",
        f"/companies/{g}/ums/{ums.ums_id}/upload/",
        f"/companies/{g}/devices/",
        f"/companies/{g}/hardware/?q=00E0C5AA0001",
        f"/companies/{g}/search/?q=00e0c5",
        f"/companies/{g}/search/?q=zzzz",
        f"/companies/{g}/audit/",
        f"/companies/{g}/manage/",
        "/profile/",
        "/overview/",
    ]
    found = {}
    for url in pages:
        response = walk["client"].get(url)
        assert response.status_code == 200, url
        text = _text(response.content.decode())
        words = sorted(set(ENGLISH.findall(text))) + [w for w in WRONG_GERMAN if w in text]
        if words:
            found[url] = words
    assert not found, found
