"""Inviting the same address again (issue 24): the page says it was sent again, and the first
mail's link keeps working while the person is still invited (as GitHub's invitations do);
it leads to the newest invitation (its role, its expiry)."""

import pytest
from django.test import Client
from django.urls import reverse

from ilp.accounts import services
from ilp.accounts.models import Membership, User
from ilp.core.actors import Actor
from tests.accounts.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "a-long enough passphrase 42"


def _invite(company, email, role="user"):
    _inv, token = services.invitation_create(
        actor=Actor.system(), company=company, email=email, role=role
    )
    return token


def test_reinviting_says_so(admin_user, company):
    client = Client()
    assert client.login(email=admin_user.email, password=PASSWORD)
    url = reverse("accounts:invitation_send", kwargs={"gaid": company.gaid})
    hx = {"HX-Request": "true"}
    first = client.post(url, {"email": "n@x.test", "role": "user"}, headers=hx).content.decode()
    assert "An invitation was sent to n@x.test" in first
    again = client.post(url, {"email": "n@x.test", "role": "user"}, headers=hx).content.decode()
    assert "The invitation was sent again to n@x.test" in again
    assert "earlier mail" in again


def test_the_first_link_stays_valid_and_leads_to_the_newest_invitation(company):
    first = _invite(company, "new@x.test", role="user")
    second = _invite(company, "new@x.test", role="service_provider")
    page = Client().get(f"/invitations/{first}")
    assert page.status_code == 200, page.content[:300]
    text = page.content.decode()
    assert "withdrawn" not in text and "Service provider" in text
    accepted = Client().post(
        f"/invitations/{first}",
        {
            "first_name": "Nina",
            "last_name": "New",
            "password1": GOOD_PASSWORD,
            "password2": GOOD_PASSWORD,
        },
    )
    assert accepted.status_code == 302
    user = User.objects.get(email="new@x.test")
    assert Membership.objects.get(user=user).role == "service_provider"
    # Both links are used now.
    assert Client().get(f"/invitations/{second}").status_code == 409
    assert Client().get(f"/invitations/{first}").status_code == 409


def test_a_withdrawn_newest_invitation_ends_the_first_link_too(company):
    first = _invite(company, "w@x.test")
    _invite(company, "w@x.test")
    newest = company.invitations.order_by("-pk").first()
    services.invitation_withdraw(actor=Actor.system(), company=company, invitation_id=newest.pk)
    gone = Client().get(f"/invitations/{first}")
    assert gone.status_code == 409 and "withdrawn" in gone.content.decode()


def test_an_existing_user_accepts_through_the_first_link(company):
    person = make_user("old@x.test")
    first = _invite(company, "old@x.test")
    _invite(company, "old@x.test")
    client = Client()
    client.force_login(person)
    assert client.post(f"/invitations/{first}").status_code == 302
    assert Membership.objects.filter(user=person, company=company).exists()
