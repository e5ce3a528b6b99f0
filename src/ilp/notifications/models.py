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

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.template} → {self.to} ({self.status})"


class ExpiryReminder(models.Model):
    """One expiry reminder sent for one pack, expiry date and threshold (90/60/30/7 days).

    The unique constraint is what makes `ilp send-reminders` send each reminder once even
    when two runs overlap: the loser's transaction fails and queues nothing. The expiry date
    is part of the key, so a renewed pack gets reminders again before its new expiry.
    """

    pack = models.ForeignKey(
        "licensing.ProductPack", on_delete=models.CASCADE, related_name="expiry_reminders"
    )
    expires_on = models.DateField()
    days_before = models.PositiveSmallIntegerField()
    recipients = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["pack", "expires_on", "days_before"], name="expiry_reminder_once"
            )
        ]

    def __str__(self):
        return f"{self.pack_id}: {self.days_before} days before {self.expires_on}"
