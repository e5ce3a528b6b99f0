"""The stable error codes of single sign-on (the `code` of their problem+json answers)."""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _lazy

from ilp.core.errors import PermissionDenied


class SsoError(StrEnum):
    SSO_NOT_CONFIGURED = "sso_not_configured"
    SSO_REQUIRED = "sso_required"  # raised by core's gate (core/auth.py sso_check)
    SSO_EMAIL_NOT_ALLOWED = "sso_email_not_allowed"
    SSO_FAILED = "sso_failed"  # the provider refused, or its answer did not pass the checks
    SSO_STATE_INVALID = "sso_state_invalid"  # unknown, used or stale `state`
    SSO_NO_MEMBERSHIP = "sso_no_membership"  # no membership and no just-in-time role
    ISSUER_NOT_ALLOWED = "issuer_not_allowed"  # the outbound URL rules
    INVALID_DOMAIN = "invalid_domain"
    DOMAIN_NOT_FOUND = "domain_not_found"
    DOMAIN_EXISTS = "domain_exists"
    DOMAIN_NOT_VERIFIED = "domain_not_verified"
    DOMAIN_TAKEN = "domain_taken"
    STAFF_SSO_NOT_CONFIGURED = "staff_sso_not_configured"
    STAFF_ROLE_MISSING = "staff_role_missing"


class SsoDenied(PermissionDenied):
    """A sign-in through an identity provider that was refused (403, a readable page)."""

    default_message = _lazy("Signing in did not work")
