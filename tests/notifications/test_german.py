"""German: pages, API errors and mails follow the language (Accept-Language, profile)."""

import datetime
import re
from gettext import GNUTranslations
from pathlib import Path

from django.test import Client

import ilp
from ilp.licensing.services.reminders import reminders_queue
from ilp.notifications.models import OutboxMail
from tests.accounts.factories import make_user
from tests.licensing.factories import make_key

PO = Path(ilp.__file__).parent / "locale" / "de" / "LC_MESSAGES" / "django.po"


def test_login_page_renders_german_with_accept_language(db):
    response = Client().get("/login/", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="de"' in html
    assert "Bei ILP anmelden" in html and "Passwort" in html
    assert "Log in to ILP" not in html


def test_portal_page_renders_german_for_a_member(db, company):
    user = make_user("admin@acme.test", company=company, role="administrator")
    make_key(company, packs=[("WE", 10)])
    client = Client()
    client.force_login(user)
    response = client.get(
        f"/companies/{company.gaid}/packs/", headers={"Accept-Language": "de"}, follow=True
    )
    html = response.content.decode()
    assert response.status_code == 200
    for german in ("Produktpakete", "Subskriptionsschlüssel", "Firma verwalten", "Abmelden"):
        assert german in html, german
    assert "Subscription keys" not in html
    assert "Global Account ID" in html  # the domain word stays as it is


def test_english_stays_the_default(db):
    html = Client().get("/login/").content.decode()
    assert '<html lang="en"' in html and "Log in to ILP" in html


def test_api_errors_speak_german(api, company):
    response = api().get(
        f"/companies/{company.gaid}/product-packs", headers={"Accept-Language": "de"}
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "Anmeldung erforderlich."


def test_reminder_mail_uses_the_recipients_language(company):
    make_user("anna@acme.test", company=company, role="administrator", language="de")
    make_user("bob@acme.test", company=company, role="administrator", language="en")
    today = datetime.date(2026, 11, 28)
    make_key(company, packs=[("WE", 10)], expires_on=today + datetime.timedelta(days=30))
    reminders_queue(today=today)
    german = OutboxMail.objects.get(to="anna@acme.test")
    english = OutboxMail.objects.get(to="bob@acme.test")
    assert german.subject == "Ein Produktpaket von Acme GmbH läuft bald ab"
    assert "Läuft am 2026-12-28 ab (in 30 Tagen)" in german.body_text
    assert "Subskriptionsschlüssel" in german.body_text
    assert english.subject == "A product pack of Acme GmbH expires soon"


def test_every_message_is_translated():
    text = PO.read_text(encoding="utf-8")
    entries = text.split("\n\n")[1:]  # the first entry is the header
    fuzzy = [e for e in entries if re.search(r"^#,.*\bfuzzy\b", e, re.M)]
    # An empty msgstr is `msgstr ""` with no continuation line after it.
    empty = [e for e in entries if re.search(r'^msgstr(\[\d\])? ""$(?!\n")', e.strip(), re.M)]
    assert not fuzzy, f"fuzzy translations: {fuzzy[:3]}"
    assert not empty, f"untranslated: {empty[:3]}"
    with PO.with_suffix(".mo").open("rb") as mo:
        catalog = GNUTranslations(mo)._catalog
    compiled = {key[0] if isinstance(key, tuple) else key for key in catalog}
    in_po = len(re.findall(r"^msgid ", text, re.M))  # counts the header's msgid "" too
    assert len(compiled) == in_po, "django.mo is out of date: run `ilp compilemessages -l de`"
