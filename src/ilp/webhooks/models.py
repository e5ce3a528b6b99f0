"""Webhook endpoints and the deliveries to them: the outbox of events (docs/webhooks.md).

A delivery row is written in the transaction of the change that causes its event, one per
subscribed endpoint; the worker sends it (`services.deliveries_send_due`). Its `message_id`
is the `webhook-id` header, the same on every attempt, and its `body` the exact bytes signed.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from ilp.core.fields import EncryptedTextField

# Webhook secrets are encrypted at rest like the two-factor seeds: the same field, the same
# key and fallbacks (core/fields.py).
SECRET_KEY_SETTING = "ILP_TOTP_KEY"


class WebhookEndpoint(models.Model):
    """A URL that receives a company's events (or, without a company, the vendor's: `order.*`
    of every company)."""

    endpoint_id = models.CharField(max_length=40, unique=True)
    # By string: webhooks sits below accounts and imports nothing of it.
    company = models.ForeignKey(
        "accounts.Company",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
    )
    url = models.CharField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list)
    enabled = models.BooleanField(default=True)
    secret = EncryptedTextField(key_setting=SECRET_KEY_SETTING)
    # After a rotation the old secret signs too until `previous_secret_until`.
    previous_secret = EncryptedTextField(blank=True, key_setting=SECRET_KEY_SETTING)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    # Since when every attempt failed (None: the last one succeeded); five days → disabled.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=20, blank=True)  # "", "failing"
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["company", "enabled"], name="webhook_endpoint_company")]

    def __str__(self):
        return f"{self.endpoint_id} → {self.url}"

    @property
    def is_vendor(self) -> bool:
        return self.company_id is None


class WebhookDelivery(models.Model):
    """One event for one endpoint, from its writing until it succeeded or failed for good."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("webhook delivery", "pending")
        SUCCEEDED = "succeeded", pgettext_lazy("webhook delivery", "succeeded")
        FAILED = "failed", pgettext_lazy("webhook delivery", "failed")

    message_id = models.CharField(max_length=40, unique=True)  # the `webhook-id`
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(max_length=40)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker that claimed the delivery holds it until then (killed: another takes it after).
    claimed_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=40, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self):
        return f"{self.message_id} {self.event_type} ({self.status})"
