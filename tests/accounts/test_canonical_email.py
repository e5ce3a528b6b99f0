"""One person, one address (DESIGN.md rule 18): e-mail addresses are stored and compared in one
canonical form, NFKC then lower case, and compared exactly.

The look-alike attack of issue 9: on PostgreSQL `iexact` compares `UPPER(a) = UPPER(b)`, and
`UPPER('ı')` (dotless i) is `I`, so an invitation of `hanna@harbour-logıstics.example` used to
find, and set the password of, the real `hanna@harbour-logistics.example` of another company.
These tests run on SQLite and on PostgreSQL (CI runs the suite on both).
"""

import importlib

import pytest
from django.contrib.auth import authenticate
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from ilp.accounts import selectors, services
from ilp.accounts.models import AccessRequest, Invitation, Membership, User, normalize_email
from ilp.core.actors import Actor
from ilp.notifications.models import OutboxMail
from tests.accounts.factories import make_company, make_user, make_user_token
from tests.conftest import ApiClient

REAL = "hanna@harbour-logistics.example"
LOOK_ALIKE = "hanna@harbour-log\u0131stics.example"  # dotless ı
PASSWORD = "the attacker's own passphrase 7"


def _token_from_mail(to: str) -> str:
    body = OutboxMail.objects.filter(to=to).latest("pk").body_text
    return body.split("/invitations/", 1)[1].split()[0]


@pytest.mark.django_db
def test_look_alike_invitation_cannot_take_over_another_companys_administrator():
    # Harbour Logistics was created by an order naming Hanna: she is its administrator but has
    # not finalised her registration yet (no password).
    harbour = make_company(name="Harbour Logistics")
    services.contact_person_handle(
        actor=Actor.system(),
        company=harbour,
        contact={"email": REAL, "first_name": "Hanna", "last_name": "Real"},
        order_number="HL-1",
    )
    hanna = User.objects.get(email=REAL)
    assert not hanna.is_registered
    # An administrator of another company invites the look-alike address and accepts it.
    evil = make_company(name="Evil Corp")
    mallory = make_user("mallory@evil.example", company=evil, role="administrator")
    admin = ApiClient(make_user_token(mallory))
    response = admin.post(
        f"/companies/{evil.gaid}/invitations", {"email": LOOK_ALIKE, "role": "user"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["email"] == LOOK_ALIKE
    token = _token_from_mail(LOOK_ALIKE)
    info = ApiClient().get(f"/invitations/{token}").json()
    assert info["account_exists"] is False
    response = ApiClient().post(
        f"/invitations/{token}/accept",
        {"first_name": "Mallory", "last_name": "Lookalike", "password": PASSWORD},
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"gaid": evil.gaid, "role": "user"}

    # Hanna's account is untouched: still no password, still Harbour's administrator only.
    hanna.refresh_from_db()
    assert not hanna.is_registered
    assert authenticate(username=REAL, password=PASSWORD) is None
    assert list(Membership.objects.filter(user=hanna).values_list("company__gaid", "role")) == [
        (harbour.gaid, "administrator")
    ]
    # The look-alike address is another person, with only the membership it was invited to.
    other = User.objects.get(email=LOOK_ALIKE)
    assert other.pk != hanna.pk
    assert authenticate(username=LOOK_ALIKE, password=PASSWORD) == other
    assert list(Membership.objects.filter(user=other).values_list("company__gaid", flat=True)) == [
        evil.gaid
    ]
    # And Hanna's own finalise-registration link still works for her alone.
    hanna_token = _token_from_mail(REAL)
    response = ApiClient().post(
        f"/invitations/{hanna_token}/accept",
        {"first_name": "Hanna", "last_name": "Real", "password": "hanna's real passphrase 1"},
    )
    assert response.status_code == 200
    assert response.json() == {"gaid": harbour.gaid, "role": "administrator"}


@pytest.mark.django_db
def test_look_alike_address_is_not_found_for_the_real_one():
    hanna = make_user(REAL)
    assert selectors.user_find(email=REAL) == hanna
    assert selectors.user_find(email="HANNA@Harbour-Logistics.example") == hanna
    assert selectors.user_find(email=LOOK_ALIKE) is None
    assert selectors.account_exists(email=LOOK_ALIKE) is False
    company = make_company()
    Membership.objects.create(user=hanna, company=company, role="user")
    assert selectors.member_find(company=company, email=LOOK_ALIKE) is None
    AccessRequest.objects.create(company=company, email=REAL)
    assert selectors.access_request_pending_find(company=company, email=LOOK_ALIKE) is None


@pytest.mark.django_db
def test_login_with_the_look_alike_address_fails():
    make_user(REAL, password="hanna's passphrase 12")
    assert authenticate(username=LOOK_ALIKE, password="hanna's passphrase 12") is None
    response = ApiClient().post(
        "/auth/tokens", {"email": LOOK_ALIKE, "password": "hanna's passphrase 12"}
    )
    assert response.status_code == 401


@pytest.mark.django_db
def test_compatibility_forms_are_the_same_person():
    # NFKC folds full-width letters and the Kelvin sign: the same address, the same person.
    hanna = make_user(REAL, password="hanna's passphrase 12")
    fullwidth = "\uff48anna@harbour-logistics.example"  # ｈ
    assert selectors.user_find(email=fullwidth) == hanna
    assert authenticate(username=fullwidth.upper(), password="hanna's passphrase 12") == hanna
    assert normalize_email("\u212aarl@example.test") == "karl@example.test"  # Kelvin sign K


@pytest.mark.django_db
def test_invitation_stores_the_canonical_form():
    company = make_company()
    admin = make_user("boss@acme.test", company=company, role="administrator")
    invitation, _ = services.invitation_create(
        actor=Actor.for_user(admin), company=company, email=" \uff2eew@Acme.TEST ", role="user"
    )
    assert Invitation.objects.get(pk=invitation.pk).email == "new@acme.test"


def test_canonical_form_examples():
    assert normalize_email("  Anna.Muster@Example.COM ") == "anna.muster@example.com"
    assert normalize_email(LOOK_ALIKE) == LOOK_ALIKE  # ı is lower case already and stays ı
    assert normalize_email(LOOK_ALIKE) != normalize_email(REAL)
    assert normalize_email("STRASSE@example.test") != normalize_email("straße@example.test")
    assert normalize_email(None) == ""


@given(st.text(max_size=40))
def test_canonical_form_is_idempotent(text):
    once = normalize_email(text)
    assert normalize_email(once) == once


@pytest.mark.django_db
def test_data_migration_rewrites_users_invitations_and_access_requests(capsys):
    from django.apps import apps

    migration = importlib.import_module("ilp.accounts.migrations.0003_canonical_email")
    company = make_company()
    # Rows as an older version stored them (Python's lower() only, or not at all).
    anna = User.objects.create(email="Anna@Example.TEST")
    wide = User.objects.create(email="\uff42erta@example.test")  # ｂerta
    older = User.objects.create(email="carl@example.test")
    clash = User.objects.create(email="\uff43arl@example.test")  # ｃarl: carl's canonical form
    dotless = User.objects.create(email=LOOK_ALIKE)
    invitation = Invitation.objects.create(
        company=company,
        email="Dora@Example.TEST",
        role="user",
        token_hash="x" * 64,
        expires_at=timezone.now(),
    )
    access_request = AccessRequest.objects.create(company=company, email="\uff25MIL@example.test")

    migration.forwards(apps, None)

    emails = dict(User.objects.values_list("pk", "email"))
    assert emails[anna.pk] == "anna@example.test"
    assert emails[wide.pk] == "berta@example.test"
    assert emails[older.pk] == "carl@example.test"
    assert emails[clash.pk] == "\uff43arl@example.test"  # left for the back office
    assert emails[dotless.pk] == LOOK_ALIKE  # already canonical: a different person
    assert Invitation.objects.get(pk=invitation.pk).email == "dora@example.test"
    assert AccessRequest.objects.get(pk=access_request.pk).email == "emil@example.test"
    assert "\uff43arl@example.test" in capsys.readouterr().out
    # Running it again changes nothing.
    migration.forwards(apps, None)
    assert dict(User.objects.values_list("pk", "email")) == emails
