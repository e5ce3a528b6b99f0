"""Getting licenses onto devices: UMS instances, pack assignment, device licenses."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import pgettext_lazy


class UmsInstance(models.Model):
    """A customer's management server ("UMS ID"); its credential is stored hashed."""

    ums_id = models.CharField(max_length=32, unique=True)
    company = models.ForeignKey(
        "accounts.Company", on_delete=models.CASCADE, related_name="ums_instances"
    )
    name = models.CharField(max_length=200)
    auto_assign = models.BooleanField(default=False)
    credential_hash = models.CharField(max_length=64, unique=True)
    credential_rotated_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # License lifecycle (rules 21, 22). A longer lease than ILP_LICENSE_LEASE_DAYS is for a
    # site that is rarely online; null: the default.
    lease_days = models.PositiveIntegerField(null=True, blank=True)
    auto_exchange = models.BooleanField(default=True)
    last_refresh_at = models.DateTimeField(null=True, blank=True)  # fresh documents handed out

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            # At most one UMS per company receives new packs automatically.
            models.UniqueConstraint(
                fields=["company"],
                condition=Q(auto_assign=True),
                name="one_auto_assign_ums_per_company",
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.ums_id})"


class PackAssignment(models.Model):
    """A pack is assigned to at most one UMS at a time (the one-to-one enforces it)."""

    pack = models.OneToOneField(
        "licensing.ProductPack", on_delete=models.CASCADE, related_name="assignment"
    )
    ums = models.ForeignKey(UmsInstance, on_delete=models.CASCADE, related_name="assignments")
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # A UMS's packs in key order (the UMS's pack list pages by pack key).
        indexes = [models.Index(fields=["ums", "pack"], name="assignment_by_ums")]

    def __str__(self):
        return f"{self.pack_id} → {self.ums_id}"


class DeviceLicense(models.Model):
    """One seat of one pack bound to one device unit ID, issued to a UMS."""

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("device license status", "Active")
        # remove hardware: the seat is free again
        RETURNED = "returned", pgettext_lazy("device license status", "Returned")
        REVOKED = "revoked", pgettext_lazy("device license status", "Revoked")  # forced unassign

    license_id = models.CharField(max_length=40, unique=True)
    company = models.ForeignKey("accounts.Company", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("licensing.Product", on_delete=models.PROTECT, related_name="+")
    pack = models.ForeignKey(
        "licensing.ProductPack", on_delete=models.PROTECT, related_name="device_licenses"
    )
    ums = models.ForeignKey(
        UmsInstance, null=True, blank=True, on_delete=models.SET_NULL, related_name="licenses"
    )
    unit_id = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    issued_at = models.DateTimeField(default=timezone.now)
    expires_on = models.DateField(null=True, blank=True)
    token = models.TextField()  # the signed license document (JWS compact)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Issued through the ALD token of this subscription key (then `ums` is null).
    ald_key = models.ForeignKey(
        "licensing.SubscriptionKey",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The current document (rule 21): when it was signed (null: before leases, so the next
    # refresh replaces it) and when it expires (`exp`; null: never, a perpetual pack before
    # leases). `listed_until`: the last moment any document of this license still verifies
    # (latest `exp` + grace days; null: never) — an ended license stays on the revocation
    # list until then.
    document_signed_at = models.DateTimeField(null=True, blank=True)
    document_expires_at = models.DateTimeField(null=True, blank=True)
    listed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["issued_at", "id"]
        indexes = [
            models.Index(fields=["company", "unit_id"]),
            # The back office's search finds a device in every company by its unit ID.
            models.Index(fields=["unit_id"], name="license_unit_id"),
            models.Index(fields=["company", "status", "listed_until"]),
            models.Index(fields=["ums", "document_signed_at"]),
            # GET /ums/licenses: a UMS's active licenses in issue order (issue 14).
            models.Index(
                fields=["ums", "issued_at", "id"],
                condition=Q(status="active"),
                name="license_active_by_ums",
            ),
            # Lease refresh before GET /ums/licenses and the license file: documents due by
            # time, and licenses whose pack's end moved (an index-only semi-join).
            models.Index(
                fields=["ums", "document_expires_at"],
                condition=Q(status="active"),
                name="license_active_lease_end",
            ),
            models.Index(
                fields=["ums", "pack", "expires_on"],
                condition=Q(status="active"),
                name="license_active_pack_end",
            ),
            # The devices list pages over the distinct unit IDs of the active licenses. With
            # the product last it also serves the issuance's existing-license probe with all
            # its columns, as the unique index below does: whichever the planner picks.
            models.Index(
                fields=["company", "unit_id", "product"],
                condition=Q(status="active"),
                name="license_active_by_unit",
            ),
            # The revocation list on the UMS page: ended licenses, newest first.
            models.Index(
                fields=["company", "-ended_at", "-id"],
                condition=~Q(status="active"),
                name="license_ended_newest",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "product", "unit_id"],
                condition=Q(status="active"),
                name="one_active_license_per_device_product",
            )
        ]

    def __str__(self):
        return f"{self.license_id} {self.unit_id}"


class SigningKey(models.Model):
    """A public Ed25519 key that signed (or signs) license documents; the JWKS lists them all.

    Only public keys live in the database: every app process publishes the same JWKS, and a
    key stays listed after rotation so that licenses it signed keep verifying.
    """

    kid = models.CharField(max_length=64, unique=True)  # RFC 7638 thumbprint
    public_jwk = models.JSONField()  # {"kty": "OKP", "crv": "Ed25519", "x": …}
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.kid


class AldToken(models.Model):
    """The ALD token of one subscription key (rule 23): a UMS credential limited to that
    key's live packs, for a service provider's UMS serving several client companies.

    Stored hashed; regenerating replaces the hash (the old token stops working at once),
    revoking deletes the row.
    """

    subscription_key = models.OneToOneField(
        "licensing.SubscriptionKey", on_delete=models.CASCADE, related_name="ald_token"
    )
    company = models.ForeignKey("accounts.Company", on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"ALD token of {self.subscription_key_id}"


class DemoLicense(models.Model):
    """A demo license (rule 24): no pack, no seat, ILP_DEMO_DAYS long, once per company,
    product and unit ID ever."""

    license_id = models.CharField(max_length=40, unique=True)
    company = models.ForeignKey("accounts.Company", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("licensing.Product", on_delete=models.PROTECT, related_name="+")
    unit_id = models.CharField(max_length=64)
    ums = models.ForeignKey(
        UmsInstance, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ald_key = models.ForeignKey(
        "licensing.SubscriptionKey",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    token = models.TextField()

    class Meta:
        ordering = ["issued_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "product", "unit_id"], name="one_demo_per_device_product"
            )
        ]

    def __str__(self):
        return f"{self.license_id} {self.unit_id} (demo)"
