"""The durable outbox: every mail is a row written with the change that caused it."""

from django.db import models
from django.utils import timezone


class OutboxMail(models.Model):
    """A mail waiting for (or done with) delivery by `ilp worker`."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"  # gave up after max attempts; kept for support

    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    template = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Dedup key for mails that must go out once (e.g. "reminder:WE-7K3QX:30:user@x").
    dedup_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    # What the mail is about, for the back office's order page ("order:SO-1"): set by
    # `mail_about()` around the work that causes the mail. "" for mails about nothing in
    # particular (and for those queued before the field existed).
    about = models.CharField(max_length=100, blank=True, default="", db_default="")

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["about", "created_at"], name="outbox_about"),
        ]

    def __str__(self):
        return f"{self.template} → {self.to} ({self.status})"
