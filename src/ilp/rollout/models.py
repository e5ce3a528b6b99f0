"""Getting licenses onto devices: UMS instances, pack assignment, device licenses."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


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

    def __str__(self):
        return f"{self.pack_id} → {self.ums_id}"


class DeviceLicense(models.Model):
    """One seat of one pack bound to one device unit ID, issued to a UMS."""

    class Status(models.TextChoices):
        ACTIVE = "active"
        RETURNED = "returned"  # remove hardware: the seat is free again
        REVOKED = "revoked"  # forced unassign of its pack

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

    class Meta:
        ordering = ["issued_at", "id"]
        indexes = [models.Index(fields=["company", "unit_id"])]
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
