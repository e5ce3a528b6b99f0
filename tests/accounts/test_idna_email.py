"""E-mail domains under IDNA 2008 and default-ignorable characters (API.md, third round): an
address with a soft hyphen or a zero-width character → 422 `invalid_email` wherever an
address enters; the address stored is the address mail goes to (`straße.example` is not
`strasse.example`), through the outbox and Django's SMTP backend to a real SMTP server."""

import socket

import idna
import pytest
from aiosmtpd.controller import Controller
from django.test import Client

from ilp.accounts import services
from ilp.accounts.models import Invitation, User
from ilp.core.actors import Actor
from ilp.core.emails import email_for_delivery, email_problem, has_default_ignorable
from ilp.notifications.models import OutboxMail
from ilp.notifications.services import outbox_deliver_due
from tests.accounts.factories import PASSWORD, make_company, make_user
from tests.licensing.factories import make_key, seed_catalogue

pytestmark = pytest.mark.django_db

STRASSE = "chef@straße.example"
INVISIBLE = {
    "soft hyphen": "chef@stra\u00adsse.example",
    "zero-width joiner": "chef@stra\u200dsse.example",
    "zero-width space in the local part": "ch\u200bef@strasse.example",
    "zero-width non-joiner": "chef@stra\u200csse.example",
    "word joiner": "chef@strasse\u2060.example",
    "byte order mark": "\ufeffchef@strasse.example",
    "variation selector": "chef\ufe0f@strasse.example",
    "combining grapheme joiner": "chef@stra\u034fsse.example",
    "Mongolian variation selector": "chef@strasse.exam\u180bple",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp(settings):
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "timeout": 5},
        }
    }
    yield inbox
    controller.stop()


def test_a_mail_to_an_idna_2008_domain_goes_to_exactly_the_stored_address(
    smtp, company, admin_user
):
    invitation, _token = services.invitation_create(
        actor=Actor.for_user(admin_user), company=company, email=STRASSE, role="user"
    )
    stored = Invitation.objects.get(pk=invitation.pk).email
    assert stored == STRASSE
    assert OutboxMail.objects.get().to == stored
    assert outbox_deliver_due() == 1
    (envelope,) = smtp.envelopes
    # xn--strae-oqa is straße under IDNA 2008; IDNA 2003 (Django's own) would say strasse.
    assert envelope.rcpt_tos == ["chef@xn--strae-oqa.example"]
    local, _, domain = envelope.rcpt_tos[0].rpartition("@")
    assert f"{local}@{idna.decode(domain)}" == stored
    assert "strasse" not in envelope.rcpt_tos[0]


def test_an_ascii_address_is_handed_over_as_it_is(smtp, company, admin_user):
    services.invitation_create(
        actor=Actor.for_user(admin_user), company=company, email="new@x.test", role="user"
    )
    assert outbox_deliver_due() == 1
    assert smtp.envelopes[0].rcpt_tos == ["new@x.test"]


@pytest.mark.parametrize("address", list(INVISIBLE.values()), ids=list(INVISIBLE))
def test_an_invitation_to_an_address_with_an_invisible_character_is_422(
    admin_api, company, address
):
    response = admin_api.post(
        f"/companies/{company.gaid}/invitations", {"email": address, "role": "user"}
    )
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid_email"
    assert not Invitation.objects.exists() and not OutboxMail.objects.exists()


def test_an_invitation_to_straße_is_stored_as_typed(admin_api, company):
    response = admin_api.post(
        f"/companies/{company.gaid}/invitations", {"email": "Chef@STRASSE.example", "role": "user"}
    )
    assert response.status_code == 201
    response = admin_api.post(
        f"/companies/{company.gaid}/invitations", {"email": STRASSE, "role": "user"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["email"] == STRASSE
    # Two addresses, two people: ß is not ss under IDNA 2008.
    assert set(Invitation.objects.values_list("email", flat=True)) == {
        "chef@strasse.example",
        STRASSE,
    }


@pytest.mark.parametrize(
    "address", [INVISIBLE["soft hyphen"], INVISIBLE["zero-width joiner"], "a@b\u3002example"]
)
def test_a_claim_with_an_invisible_or_mapped_character_is_422(api, address):
    company = make_company()
    key = make_key(company)
    response = api().post(
        "/registrations",
        {
            "email": address,
            "first_name": "A",
            "last_name": "B",
            "gaid": company.gaid,
            "subscription_key": key.key,
        },
    )
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid_email"
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("address", [INVISIBLE["soft hyphen"], INVISIBLE["zero-width joiner"]])
def test_an_orders_contact_with_an_invisible_character_is_422(staff_api, address):
    seed_catalogue()
    response = staff_api.post(
        "/orders",
        {
            "order_number": "SO-IDNA-1",
            "invoice_date": "2026-11-01",
            "kind": "new",
            "end_customer": {"name": "Straße GmbH", "country": "DE"},
            "contact": {"email": address, "first_name": "C", "last_name": "D"},
            "items": [{"product": "WE", "seats": 10, "term_months": 12}],
        },
    )
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid_email"
    assert not User.objects.filter(email__contains="strasse").exists()


def test_the_portal_refuses_an_invitation_with_a_soft_hyphen(company):
    admin = make_user("boss@acme.test", company=company, role="administrator")
    browser = Client()
    assert browser.login(email=admin.email, password=PASSWORD)
    response = browser.post(
        f"/companies/{company.gaid}/manage/invitations/",
        {"email": INVISIBLE["soft hyphen"], "role": "user"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "without invisible characters" in response.content.decode()
    assert not Invitation.objects.exists()


def test_login_with_an_invisible_character_fails(api):
    make_user("chef@strasse.example")
    response = api().post("/auth/tokens", {"email": INVISIBLE["soft hyphen"], "password": PASSWORD})
    assert response.status_code == 401


def test_no_user_is_made_with_an_invisible_character():
    with pytest.raises(ValueError):
        User.objects.create_user(INVISIBLE["zero-width joiner"], PASSWORD)


def test_the_outbox_never_hands_idna_2003_a_stored_invisible_character():
    # An address stored before the rule: no mail to the domain IDNA 2003 would make of it.
    with pytest.raises(ValueError):
        email_for_delivery(INVISIBLE["soft hyphen"])
    assert email_for_delivery(STRASSE) == "chef@xn--strae-oqa.example"
    assert email_for_delivery("Anna@Example.test") == "Anna@Example.test"


def test_default_ignorable_and_idna_checks():
    assert all(has_default_ignorable(a) for a in INVISIBLE.values())
    assert not has_default_ignorable(STRASSE)
    assert email_problem(STRASSE) is None
    assert email_problem("hanna@harbour-log\u0131stics.example") is None  # look-alike: valid
    assert email_problem("a@b\u3002example") == "idna_mapped"  # would go to b.example
    assert email_problem("a@\u2764.example") == "idna_invalid"
    assert email_problem("plain@example.test") is None
