"""Wording edges of issue 24: "Your profile is saved." in the language just chosen, the seat
chart's missing month as "Keine Daten", one redeemed pack "now expires" (not "expire")."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from ilp.licensing.models import Renewal
from ilp.licensing.services.snapshots import seat_snapshots_take
from tests.accounts.factories import make_user
from tests.licensing.factories import make_key
from tests.licensing.test_pack_ops_views import renewal_order

pytestmark = pytest.mark.django_db


def test_profile_saved_is_said_in_the_language_just_chosen(company):
    person = make_user("p@acme.test", company=company, role="user")
    client = Client()
    client.force_login(person)
    form = {"first_name": "Paula", "last_name": "P", "language": "de"}
    page = client.post(reverse("accounts:profile"), form, follow=True).content.decode()
    assert "Ihr Profil ist gespeichert." in page and "Your profile is saved." not in page
    back = client.post(reverse("accounts:profile"), {**form, "language": "en"}, follow=True)
    assert "Your profile is saved." in back.content.decode()


def test_a_month_without_a_snapshot_reads_keine_daten(company, admin_user):
    make_key(company, packs=[("WE", 10)])
    seat_snapshots_take(date=datetime.date.today())
    seat_snapshots_take(date=datetime.date.today() - datetime.timedelta(days=70))
    admin_user.language = "de"
    admin_user.save(update_fields=["language"])
    client = Client()
    client.force_login(admin_user)
    client.cookies["django_language"] = "de"
    html = client.get(f"/companies/{company.gaid}/").content.decode()
    assert "Keine Daten" in html and "keine Aufnahme" not in html


def test_one_redeemed_pack_now_expires(company, admin_user):
    client = Client()
    client.force_login(admin_user)
    key = make_key(company, packs=[("WE", 7), ("WE", 3)])
    renewal_order(key, "R-1", "WE", 7)  # fewer seats than the key has: it waits
    pack = key.product_packs.get(seats=7)
    done = client.post(
        f"/companies/{company.gaid}/subscription-keys/{key.key}/redeem/",
        {"pack": [pack.pack_id]},
        follow=True,
    )
    assert Renewal.objects.get().status == "redeemed"
    text = done.content.decode()
    assert f"{pack.pack_id} now expires on" in text and "now expire on" not in text
