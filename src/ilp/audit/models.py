"""The audit log: who did what to which object, when, with before/after figures."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    """One state change. Written by the service that made it, in the same transaction."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    company = models.ForeignKey(
        "accounts.Company", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    actor_kind = models.CharField(max_length=10)  # user | staff | ums | ald | system
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=254)
    # Why vendor staff did it (actor_kind "staff"; DESIGN.md rule 25): the reason every staff
    # correction and resend must state, shown in the company's own log. "" otherwise.
    reason = models.TextField(blank=True, default="", db_default="")
    action = models.CharField(max_length=64)  # e.g. "pack.split", "member.role_changed"
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=128)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["company", "-created_at"]),
            # The action filter and its choices (issue 14).
            models.Index(fields=["company", "action"], name="event_company_action"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_id}"
