"""No secret rests in clear (issue 12): after a full journey — an order's contact finalises,
an invitation is accepted, a company is claimed, a password is reset, an API token, a UMS
credential and an ALD token are made and used with Idempotency-Keys, deletion is asked —
and after the outbox delivered every mail, no column of any table holds a raw token, a
credential or a link that carries one; nor the TOTP seeds and recovery codes of the person
who turns two-factor sign-in on. Hashes (SHA-256), Fernet-encrypted seeds (ILP_TOTP_KEY) and
sealed replay bodies are fine."""

import json
import re

import pytest
from django.apps import apps
from django.core import mail as django_mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ilp.accounts import otp
from ilp.notifications.models import OutboxMail
from ilp.notifications.services import outbox_deliver_due
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db

PASSWORD = "a long journey passphrase 7"
ANY_TOKEN = re.compile(r"ilp[a-z]_[A-Za-z0-9_-]{16,}")
LINKS = ("/invitations/ilp", "/password-reset/ilp", "/account/delete/ilp")


def _token_in_last_mail(to: str, prefix: str) -> str:
    body = OutboxMail.objects.filter(to=to).order_by("-pk").first().body_text
    return re.search(rf"{prefix}_[A-Za-z0-9_-]+", body).group(0)


def _order(staff_api, number, contact=None):
    body = {
        "order_number": number,
        "kind": "new",
        "invoice_date": timezone.localdate().isoformat(),
        "end_customer": {"name": f"Company {number}", "country": "DE"},
        "items": [{"product": "WE", "seats": 10, "term_months": 12}],
    }
    if contact:
        body["contact"] = contact
    r = staff_api.post("/orders", body, headers={"Idempotency-Key": f"order-{number}"})
    assert r.status_code == 201, r.content
    return r.json()


def _journey(staff_api) -> set[str]:
    secrets: set[str] = set()
    api = ApiClient()
    keys = iter(range(100))

    def key():
        return {"Idempotency-Key": f"key-{next(keys)}"}

    # An order's contact finalises the registration through the mailed link.
    order = _order(
        staff_api, "SO-1", {"email": "boss@acme.test", "first_name": "B", "last_name": "O"}
    )
    finalise = _token_in_last_mail("boss@acme.test", "ilpi")
    secrets.add(finalise)
    r = api.post(
        f"/invitations/{finalise}/accept",
        {"first_name": "Bo", "last_name": "Ss", "password": PASSWORD},
        headers=key(),
    )
    assert r.status_code == 200, r.content

    # Log in through the API (a replay row for a public POST, sealed).
    r = api.post("/auth/tokens", {"email": "boss@acme.test", "password": PASSWORD}, headers=key())
    token = r.json()["token"]
    secrets.add(token)
    admin = ApiClient(token)
    gaid = order["gaid"]

    # Invite a colleague, who accepts on the page.
    r = admin.post(
        f"/companies/{gaid}/invitations", {"email": "col@acme.test", "role": "user"}, headers=key()
    )
    assert r.status_code == 201
    invite = _token_in_last_mail("col@acme.test", "ilpi")
    secrets.add(invite)
    page = Client().post(
        f"/invitations/{invite}",
        {"first_name": "Co", "last_name": "L", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert page.status_code in (200, 302), page.status_code

    # The colleague forgets the password and resets it.
    assert api.post("/auth/password-reset", {"email": "col@acme.test"}).status_code == 202
    reset = _token_in_last_mail("col@acme.test", "ilpr")
    secrets.add(reset)
    new_password = PASSWORD + " again"
    assert api.post(f"/auth/password-reset/{reset}", {"password": new_password}).status_code == 204
    colleague = api.post("/auth/tokens", {"email": "col@acme.test", "password": new_password})
    secrets.add(colleague.json()["token"])

    # …and asks to delete the account (the link is mailed, not used).
    assert ApiClient(colleague.json()["token"]).post("/me/deletion").status_code == 202
    secrets.add(_token_in_last_mail("col@acme.test", "ilpd"))

    # A company without a contact is claimed with its GAID and key.
    other = _order(staff_api, "SO-2")
    r = api.post(
        "/registrations",
        {
            "email": "claim@other.test",
            "first_name": "C",
            "last_name": "L",
            "gaid": other["gaid"],
            "subscription_key": other["subscription_key"],
        },
    )
    assert r.status_code == 202, r.content
    secrets.add(_token_in_last_mail("claim@other.test", "ilpi"))

    # A UMS (its credential shown once), used with an Idempotency-Key; an ALD token too.
    r = admin.post(f"/companies/{gaid}/ums", {"name": "UMS", "auto_assign": True}, headers=key())
    credential = r.json()["credential"]
    secrets.add(credential)
    pack = order["product_packs"][0]["id"]
    ums_id = r.json()["ums_id"]
    assert admin.put(f"/companies/{gaid}/ums/{ums_id}/product-packs/{pack}").status_code in (
        200,
        201,
        204,
    )
    issued = ApiClient(credential).post(
        "/ums/licenses", {"product": "WE", "unit_ids": ["00E0C5AAAA01"]}, headers=key()
    )
    assert issued.status_code == 200, issued.content
    r = admin.post(f"/companies/{gaid}/subscription-keys/{order['subscription_key']}/ald-token")
    ald = r.json()["ald_token"]
    secrets.add(ald)
    assert ApiClient(ald).get("/ums/product-packs").status_code == 200

    # The boss turns two-factor sign-in on (the seed is shown once) and then starts moving to
    # a new phone (a pending seed): whoever reads the database must not be able to make codes.
    r = admin.post("/me/2fa", headers=key())
    assert r.status_code == 201, r.content
    seed = r.json()["secret"]
    secrets.add(seed)
    r = admin.post("/me/2fa/confirm", {"otp": otp.totp_code(seed)}, headers=key())
    assert r.status_code == 200, r.content
    codes = r.json()["recovery_codes"]
    secrets.update(codes)
    r = admin.post("/me/2fa", {"otp": codes[0]}, headers=key())  # with two-factor on: a code
    assert r.status_code == 201, r.content
    secrets.add(r.json()["secret"])

    # The portal's own login (a session row) for good measure.
    web = Client()
    web.post(reverse("web:login"), {"username": "boss@acme.test", "password": PASSWORD})
    return secrets


def _rows():
    """Every value of every column of every table (models and any other table), raw."""
    tables = {m._meta.db_table for m in apps.get_models(include_auto_created=True)}
    tables |= set(connection.introspection.table_names())
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in sorted(tables):
            cursor.execute(f"SELECT * FROM {quote(table)}")
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, memoryview | bytes):
                        value = bytes(value).decode("latin1")
                    elif isinstance(value, dict | list):
                        value = json.dumps(value)
                    if isinstance(value, str):
                        yield table, column, value


def test_no_secret_rests_in_clear_after_a_full_journey(staff_api, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    secrets = _journey(staff_api)
    assert len(secrets) >= 9
    # Before delivery the links are in the outbox (they have to be sent) …
    assert OutboxMail.objects.filter(body_text__contains="/invitations/ilpi_").exists()
    delivered = outbox_deliver_due()
    assert delivered == OutboxMail.objects.count() and delivered >= 6
    sent = "\n".join(m.body for m in django_mail.outbox)
    assert all(s in sent for s in secrets if s.startswith(("ilpi_", "ilpr_", "ilpd_")))
    # … and after it nothing: no raw secret, no token-shaped word, no link with a token.
    leaks = []
    scanned = 0
    for table, column, value in _rows():
        scanned += 1
        if any(s in value for s in secrets) or ANY_TOKEN.search(value):
            leaks.append((table, column, value[:200]))
        if any(link in value for link in LINKS):
            leaks.append((table, column, value[:200]))
    assert scanned > 100
    assert leaks == []
    # The delivered mails say where the link was.
    assert OutboxMail.objects.filter(body_text__contains="[link removed after delivery]").exists()
