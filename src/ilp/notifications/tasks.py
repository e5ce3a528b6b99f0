"""The outbox's task, under the name queued tasks carry (`ilp.notifications.tasks.deliver_mail`
in rows queued before it moved beside `mail_enqueue`)."""

from .services import deliver_mail

__all__ = ["deliver_mail"]
