"""Single sign-on: a company's OpenID provider and the e-mail domains it has verified."""

from django.db import models
from django.utils import timezone

from ilp.accounts.models import Company
from ilp.core.authz import Role
from ilp.core.fields import EncryptedTextField

JIT_ROLES = (Role.USER, Role.SERVICE_PROVIDER)


class CompanySso(models.Model):
    """A company's OpenID Connect provider (PUT /companies/{gaid}/sso). The client secret is
    encrypted at rest with ILP_TOTP_KEY, like the TOTP seeds."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="sso")
    issuer = models.URLField(max_length=500)
    client_id = models.CharField(max_length=255)
    client_secret = EncryptedTextField(key_setting="ILP_TOTP_KEY")
    # The role of a person at a verified domain who signs in without a membership; "" for
    # none (then such a person is refused).
    jit_role = models.CharField(
        max_length=20, blank=True, choices=[(r.value, r.label) for r in JIT_ROLES]
    )
    require_sso = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"SSO of {self.company.gaid}: {self.issuer}"


class CompanyDomain(models.Model):
    """An e-mail domain a company claims; verified once a DNS TXT record of the domain holds
    `ilp-domain-verification=<token>`. A verified domain belongs to one company only."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253)
    token = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "domain"], name="domain_once_per_company"),
            models.UniqueConstraint(
                fields=["domain"],
                condition=models.Q(verified_at__isnull=False),
                name="verified_domain_one_company",
            ),
        ]

    def __str__(self):
        return f"{self.domain} of {self.company.gaid}"

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    @property
    def verification(self) -> str:
        return f"ilp-domain-verification={self.token}"
