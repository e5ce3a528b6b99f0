"""The third round's licensing pages (issue 24): "Accept all" and its confirmation, the
dashboard's EULA card naming exactly which packs stop issuing, the "renewal awaits
redemption" card, the orders row whose third-party EULA still waits, and the key cards."""

import datetime

import pytest

from ilp.licensing.models import Eula, EulaVersion, Order, Product, ProductPack, Renewal
from tests.accounts.factories import make_user
from tests.licensing.factories import make_key
from tests.licensing.test_eula_views import client_for, new_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(admin_user):
    return client_for(admin_user)


@pytest.fixture
def user_client(company):
    return client_for(make_user("reader@acme.test", company=company, role="user"))


@pytest.fixture
def relay():
    eula = Eula.objects.create(slug="relay", title="Relay terms", kind=Eula.Kind.THIRD_PARTY)
    EulaVersion.objects.create(
        eula=eula, version="r1", text="Relay text", published_on=datetime.date(2020, 1, 1)
    )
    Product.objects.filter(sku="ICG").update(third_party_eula=eula)
    return eula


def test_the_eula_card_names_the_packs_that_stop_and_says_the_others_issue(
    admin_client,
    company,
):
    extended = make_key(company).product_packs.get()  # no waiting order: keeps issuing
    order = new_order(company)
    blocked = order.product_packs.get()
    html = admin_client.get(f"/companies/{company.gaid}/").content.decode()
    assert "This product pack issues no device licenses until then:" in html
    assert blocked.pack_id in html
    assert "Their product packs issue no device licenses" not in html
    card = html[html.index('id="eula-card"') : html.index("</div>", html.index('id="eula-card"'))]
    assert extended.pack_id not in card
    assert "also those extended by a renewal, keeps issuing" in card
    assert f"/companies/{company.gaid}/eula/accept-all/" in card


def test_the_dashboard_has_a_renewal_awaits_redemption_card(admin_client, company):
    key = make_key(company)
    url = f"/companies/{company.gaid}/"
    assert "awaits redemption" not in admin_client.get(url).content.decode()
    order = Order.objects.create(
        order_number="R-1",
        kind="renewal",
        invoice_date=datetime.date.today(),
        company=company,
        subscription_key=key,
        request_hash="x",
    )
    Renewal.objects.create(
        order=order,
        subscription_key=key,
        company=company,
        product=Product.objects.get(sku="WE"),
        seats=10,
        term_months=12,
        old_expires_on=key.expires_on,
        expires_on=key.expires_on + datetime.timedelta(days=365),
        status=Renewal.Status.AWAITING_REDEMPTION,
    )
    html = admin_client.get(url).content.decode()
    assert "1</strong> renewal awaits redemption" in html
    assert f"/companies/{company.gaid}/renewals/?status=awaiting_redemption" in html
    # The key card offers "Redeem renewal" now, and says it once.
    keys = admin_client.get(f"/companies/{company.gaid}/subscription-keys/").content.decode()
    assert keys.count("Redeem renewal") == 1
    assert "renewal waits for redemption" not in keys  # the duplicate badge is gone
    assert keys.count("awaits redemption") == 1


def test_key_cards_offer_no_greyed_redeem_and_are_sorted_by_expiry(admin_client, company):
    today = datetime.date.today()
    late = make_key(company, expires_on=today + datetime.timedelta(days=300))
    soon = make_key(company, expires_on=today + datetime.timedelta(days=20))
    middle = make_key(company, expires_on=today + datetime.timedelta(days=100))
    html = admin_client.get(f"/companies/{company.gaid}/subscription-keys/").content.decode()
    assert "Redeem renewal" not in html and "disabled" not in html
    positions = [html.index(k.key) for k in (soon, middle, late)]
    assert positions == sorted(positions)


def test_an_order_row_says_its_third_party_eula_waits(admin_client, company, relay):
    new_order(company, items=(("ICG", 10),))
    assert (
        admin_client.post(
            f"/companies/{company.gaid}/orders/SO-1/eula/", {"accept": "1"}
        ).status_code
        == 302
    )
    html = admin_client.get(f"/companies/{company.gaid}/orders/?eula=pending").content.decode()
    assert "third-party EULA waits" in html
    assert '<span class="badge eula-pending">waits</span>' not in html


def test_accept_all_names_what_it_accepts_then_accepts_it(admin_client, company, relay):
    new_order(company, "SO-1")
    new_order(company, "SO-2", items=(("ICG", 10),))
    icg = ProductPack.objects.get(product__sku="ICG")
    orders = admin_client.get(f"/companies/{company.gaid}/orders/?eula=pending").content.decode()
    assert f"/companies/{company.gaid}/eula/accept-all/" in orders
    url = f"/companies/{company.gaid}/eula/accept-all/"
    page = admin_client.get(url).content.decode()
    for name in ("SO-1", "SO-2", icg.pack_id, "Relay terms", "version r1", "sample-1"):
        assert name in page
    not_ticked = admin_client.post(url, {})
    assert not_ticked.status_code == 422
    assert Order.objects.filter(eula_accepted_at__isnull=True).count() == 2
    done = admin_client.post(url, {"accept": "1"}, follow=True)
    we = ProductPack.objects.get(product__sku="WE")
    assert (
        f"Orders: SO-1, SO-2. Product packs that may issue device licenses now: "
        f"{', '.join(sorted([we.pack_id, icg.pack_id]))}." in done.content.decode()
    )
    assert not Order.objects.filter(eula_accepted_at__isnull=True).exists()
    icg.refresh_from_db()
    assert icg.third_party_eula_accepted_at is not None


def test_accept_all_is_not_for_users(user_client, company):
    new_order(company)
    assert user_client.get(f"/companies/{company.gaid}/eula/accept-all/").status_code == 403
    html = user_client.get(f"/companies/{company.gaid}/").content.decode()
    assert "eula/accept-all" not in html
