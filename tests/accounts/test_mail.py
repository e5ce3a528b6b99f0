"""Mails of this area go through the outbox and a real SMTP server on loopback."""

import re
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from ilp.accounts import services
from ilp.core.actors import Actor
from ilp.notifications.models import OutboxMail
from ilp.notifications.services import outbox_deliver_due

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def _smtp_settings(settings, port: int):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }


@pytest.fixture
def smtp_server():
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def test_invitation_mail_is_delivered_over_smtp(settings, smtp_server, company, admin_user):
    controller, inbox = smtp_server
    _smtp_settings(settings, controller.port)
    _inv, token = services.invitation_create(
        actor=Actor.for_user(admin_user), company=company, email="new@x.test", role="user"
    )
    assert outbox_deliver_due() == 1
    assert len(inbox.messages) == 1
    envelope = inbox.messages[0]
    assert envelope.rcpt_tos == ["new@x.test"]
    text = envelope.content.decode("utf-8", "replace")
    assert "Acme GmbH" in text
    assert f"/invitations/{token}" in re.sub(r"=\r?\n", "", text)  # undo soft line breaks
    mail = OutboxMail.objects.get()
    assert mail.status == "sent" and mail.attempts == 1


def test_outbox_survives_a_refusing_mail_server(settings, company, admin_user):
    port = _free_port()  # nothing listens here: the connection is refused
    _smtp_settings(settings, port)
    services.invitation_create(
        actor=Actor.for_user(admin_user), company=company, email="new@x.test", role="user"
    )
    assert outbox_deliver_due() == 0
    mail = OutboxMail.objects.get()
    assert (mail.status, mail.attempts) == ("pending", 1)
    assert mail.last_error and mail.next_attempt_at > timezone.now()
    assert outbox_deliver_due() == 0  # not due yet: the back-off holds
    assert OutboxMail.objects.get().attempts == 1

    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        OutboxMail.objects.filter(pk=mail.pk).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )  # the back-off has passed
        assert outbox_deliver_due() == 1
    finally:
        controller.stop()
    mail.refresh_from_db()
    assert (mail.status, mail.attempts) == ("sent", 2)
    assert [m.rcpt_tos for m in inbox.messages] == [["new@x.test"]]
