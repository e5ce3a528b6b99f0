"""Mails that carry a token link are secrets at rest (issue 12): kept until delivered, then
the link is removed; the back office never shows a pending one's body."""

import pytest
from django.test import Client
from django.urls import reverse

from ilp.accounts import services
from ilp.core.actors import Actor
from ilp.notifications import services as outbox
from ilp.notifications.models import OutboxMail
from tests.accounts.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def locmem(settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


def _invite(company, admin_user):
    _inv, token = services.invitation_create(
        actor=Actor.for_user(admin_user), company=company, email="new@x.test", role="user"
    )
    return token


def test_delivered_mail_loses_its_link_and_keeps_the_rest(locmem, company, admin_user):
    from django.core import mail

    token = _invite(company, admin_user)
    assert token in OutboxMail.objects.get().body_text
    assert outbox.outbox_deliver_due() == 1
    assert token in mail.outbox[0].body  # the person got the link
    stored = OutboxMail.objects.get()
    assert token not in stored.body_text and "/invitations/" not in stored.body_text
    assert "[link removed after delivery]" in stored.body_text
    assert "Acme GmbH" in stored.body_text  # support still sees what was sent


def test_a_mail_given_up_loses_its_link_too(settings, company, admin_user, monkeypatch):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 1},
        }
    }
    monkeypatch.setattr(outbox, "MAX_ATTEMPTS", 1)
    token = _invite(company, admin_user)
    assert outbox.outbox_deliver_due() == 0
    stored = OutboxMail.objects.get()
    assert stored.status == "failed" and token not in stored.body_text


def test_mails_without_a_token_are_kept_as_they_are(locmem, company, admin_user):
    mail = outbox.mail_enqueue(
        to="x@y.test", template="password_changed", context={"first_name": "X"}
    )
    before = mail.body_text
    outbox.outbox_deliver_due()
    mail.refresh_from_db()
    assert mail.body_text == before and mail.status == "sent"


def test_the_admin_hides_a_pending_secret_mail(locmem, company, admin_user):
    token = _invite(company, admin_user)
    staff = make_user("staff@ilp.test", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    mail = OutboxMail.objects.get()
    url = reverse("admin:notifications_outboxmail_change", args=[mail.pk])
    page = client.get(url).content.decode()
    assert token not in page and "hidden: this mail carries a personal link" in page
    assert (
        token
        not in client.get(reverse("admin:notifications_outboxmail_changelist")).content.decode()
    )
    outbox.outbox_deliver_due()
    page = client.get(url).content.decode()
    assert token not in page and "[link removed after delivery]" in page
