"""A company's SCIM token and the members its identity provider sees."""

from django.db import models
from django.utils import timezone

from ilp.core.authz import Role


class ScimToken(models.Model):
    """The one bearer token of a company's identity provider (stored hashed); valid only under
    `/scim/v2/<gaid>/`. Making a new one replaces the row's hash; revoking deletes the row."""

    company = models.OneToOneField(
        "accounts.Company", on_delete=models.CASCADE, related_name="scim_token"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"SCIM token of {self.company.gaid}"


class ScimUser(models.Model):
    """A person as the company's identity provider sees them: the opaque `scim_id` (never the
    database id), the provider's `externalId` and names, and the role to restore when a
    deactivated user comes back. Active means: the person holds a membership of the company
    (accounts' Membership); a deactivated user keeps this row without membership."""

    company = models.ForeignKey(
        "accounts.Company", on_delete=models.CASCADE, related_name="scim_users"
    )
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    scim_id = models.CharField(max_length=40, unique=True)
    external_id = models.CharField(max_length=255, blank=True, null=True)
    given_name = models.CharField(max_length=150, blank=True, null=True)
    family_name = models.CharField(max_length=150, blank=True, null=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.USER)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "user"], name="scim_user_unique"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.company.gaid} (SCIM {self.scim_id})"
