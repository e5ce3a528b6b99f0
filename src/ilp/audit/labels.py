"""The audit log in words: a translated label for every recorded action, for field names and
for yes/no values. An action without a label shows its code (a new action is never hidden).

The actions themselves are each app's `AuditAction` (`<app>/audit_actions.py`, a StrEnum like
the error codes); audit sits below the apps, so the labels are keyed by their values, and
tests/audit/test_actions.py checks that every member has a label here and every label a
member."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ACTION_LABELS = {
    "access_request.created": pgettext_lazy("audit action", "Access requested"),
    "access_request.dismissed": pgettext_lazy("audit action", "Access request dismissed"),
    "eula.published": pgettext_lazy("audit action", "EULA version published"),
    "ald_token.regenerated": pgettext_lazy("audit action", "ALD token generated"),
    "ald_token.generated": pgettext_lazy("audit action", "ALD token generated"),
    "ald_token.revoked": pgettext_lazy("audit action", "ALD token revoked"),
    "api_token.created": pgettext_lazy("audit action", "API token created"),
    "api_token.revoked": pgettext_lazy("audit action", "API token revoked"),
    "api_token.limited": pgettext_lazy("audit action", "API token lost a company"),
    "sessions.ended": pgettext_lazy("audit action", "Sessions ended"),
    "scim_token.created": pgettext_lazy("audit action", "SCIM token created"),
    "scim_token.revoked": pgettext_lazy("audit action", "SCIM token revoked"),
    "scim_user.deactivated": pgettext_lazy("audit action", "User deactivated by provisioning"),
    "scim_user.deleted": pgettext_lazy("audit action", "User deleted by provisioning"),
    "company.claimed": pgettext_lazy("audit action", "Company claimed"),
    "company.merged": pgettext_lazy("audit action", "Company merged into this one"),
    "company.created": pgettext_lazy("audit action", "Company created"),
    "company.customer_number_set": pgettext_lazy("audit action", "Customer number set"),
    "company.two_factor_required": pgettext_lazy(
        "audit action", "Two-factor sign-in requirement changed"
    ),
    "company.two_factor_optional": pgettext_lazy(
        "audit action", "Two-factor sign-in requirement changed"
    ),
    "company.updated": pgettext_lazy("audit action", "Company details changed"),
    "delivery_token.issued": pgettext_lazy("audit action", "Delivery token issued"),
    "delivery_token.registered": pgettext_lazy("audit action", "Delivery token registered"),
    "eula.accepted": pgettext_lazy("audit action", "EULA accepted"),
    "invitation.accepted": pgettext_lazy("audit action", "Invitation accepted"),
    "invitation.created": pgettext_lazy("audit action", "Person invited"),
    "invitation.withdrawn": pgettext_lazy("audit action", "Invitation withdrawn"),
    "invitation.claim_void": pgettext_lazy(
        "audit action", "Claim link void: the company has an administrator"
    ),
    "key.transferred_in": pgettext_lazy("audit action", "Subscription key transferred here"),
    "key.transferred_out": pgettext_lazy(
        "audit action", "Subscription key transferred to another company"
    ),
    "license.demo_issued": pgettext_lazy("audit action", "Demo license issued"),
    "license.exchanged": pgettext_lazy("audit action", "License exchanged"),
    "license.issued": pgettext_lazy("audit action", "License issued"),
    "license.leases_refreshed": pgettext_lazy("audit action", "License leases refreshed"),
    "license.moved": pgettext_lazy("audit action", "License moved"),
    "license.resigned": pgettext_lazy("audit action", "License signed again"),
    "license.returned": pgettext_lazy("audit action", "License returned"),
    "license.revoked": pgettext_lazy("audit action", "License revoked"),
    "member.added": pgettext_lazy("audit action", "Member added"),
    "member.removed": pgettext_lazy("audit action", "Member removed"),
    "member.role_changed": pgettext_lazy("audit action", "Role changed"),
    "order.cancelled": pgettext_lazy("audit action", "Order cancelled"),
    "order.contact_mail_resent": pgettext_lazy("audit action", "Contact mail sent again"),
    "order.partly_cancelled": pgettext_lazy("audit action", "Order partly cancelled"),
    "order.received": pgettext_lazy("audit action", "Order received"),
    "pack.assigned": pgettext_lazy("audit action", "Pack assigned to a UMS"),
    "pack.archived": pgettext_lazy("audit action", "Pack archived"),
    "pack.cancelled": pgettext_lazy("audit action", "Seats taken back by the vendor"),
    "pack.expiry_reminder": pgettext_lazy("audit action", "Expiry reminder sent"),
    "pack.licenses_revoked": pgettext_lazy("audit action", "Pack licenses revoked"),
    "pack.merge": pgettext_lazy("audit action", "Packs merged"),
    "product.changed": pgettext_lazy("audit action", "Product changed"),
    "product.created": pgettext_lazy("audit action", "Product added"),
    "pack.split": pgettext_lazy("audit action", "Pack split"),
    "pack.unassigned": pgettext_lazy("audit action", "Pack unassigned from a UMS"),
    "pack.unarchived": pgettext_lazy("audit action", "Pack unarchived"),
    "pack.updated": pgettext_lazy("audit action", "Pack changed"),
    "renewal.awaiting_redemption": pgettext_lazy("audit action", "Renewal awaiting redemption"),
    "renewal.applied": pgettext_lazy("audit action", "Renewal applied"),
    "renewal.redeemed": pgettext_lazy("audit action", "Renewal redeemed"),
    "staff_member.added": pgettext_lazy("audit action", "Staff member added"),
    "staff_member.removed": pgettext_lazy("audit action", "Staff member removed"),
    "staff_member.role_changed": pgettext_lazy("audit action", "Staff role changed"),
    "staff_token.created": pgettext_lazy("audit action", "Staff token created"),
    "staff_token.revoked": pgettext_lazy("audit action", "Staff token revoked"),
    "ums.credential_rotated": pgettext_lazy("audit action", "UMS credential renewed"),
    "ums.deleted": pgettext_lazy("audit action", "UMS deleted"),
    "ums.registered": pgettext_lazy("audit action", "UMS registered"),
    "ums.updated": pgettext_lazy("audit action", "UMS changed"),
    "user.deleted": pgettext_lazy("audit action", "Account deleted"),
    "user.deletion_requested": pgettext_lazy("audit action", "Account deletion requested"),
    "user.password_changed": pgettext_lazy("audit action", "Password changed"),
    "user.password_reset": pgettext_lazy("audit action", "Password reset"),
    "user.password_reset_requested": pgettext_lazy("audit action", "Password reset requested"),
    "user.profile_updated": pgettext_lazy("audit action", "Profile changed"),
    "user.recovery_code_used": pgettext_lazy("audit action", "Recovery code used"),
    "user.recovery_codes_renewed": pgettext_lazy("audit action", "New recovery codes made"),
    "user.two_factor_disabled": pgettext_lazy("audit action", "Two-factor sign-in turned off"),
    "user.two_factor_enabled": pgettext_lazy("audit action", "Two-factor sign-in turned on"),
    "user.two_factor_locked": pgettext_lazy(
        "audit action", "Two-factor sign-in locked after wrong codes"
    ),
    "user.two_factor_reset": pgettext_lazy("audit action", "Two-factor sign-in reset"),
    "user.two_factor_setup_started": pgettext_lazy("audit action", "Two-factor set-up started"),
    "webhook.created": pgettext_lazy("audit action", "Webhook endpoint added"),
    "webhook.updated": pgettext_lazy("audit action", "Webhook endpoint changed"),
    "webhook.deleted": pgettext_lazy("audit action", "Webhook endpoint deleted"),
    "webhook.secret_rotated": pgettext_lazy("audit action", "Webhook secret rotated"),
    "webhook.disabled": pgettext_lazy("audit action", "Webhook endpoint disabled (failing)"),
    "webhook.tested": pgettext_lazy("audit action", "Webhook test event sent"),
    "webhook.delivery_retried": pgettext_lazy("audit action", "Webhook delivery retried"),
    # Single sign-on and sessions
    "domain.added": pgettext_lazy("audit action", "E-mail domain added"),
    "domain.removed": pgettext_lazy("audit action", "E-mail domain removed"),
    "domain.verified": pgettext_lazy("audit action", "E-mail domain verified"),
    "member.joined_by_sso": pgettext_lazy("audit action", "Member added by single sign-on"),
    "session.ended": pgettext_lazy("audit action", "Session ended"),
    "sso.configured": pgettext_lazy("audit action", "Single sign-on set up"),
    "sso.removed": pgettext_lazy("audit action", "Single sign-on removed"),
}

FIELD_LABELS = {
    "seats": pgettext_lazy("audit field", "seats"),
    "seats_used": pgettext_lazy("audit field", "seats used"),
    "status": pgettext_lazy("audit field", "status"),
    "comment": pgettext_lazy("audit field", "comment"),
    "role": pgettext_lazy("audit field", "role"),
    "name": pgettext_lazy("audit field", "name"),
    "email": pgettext_lazy("audit field", "e-mail"),
    "unit_id": pgettext_lazy("audit field", "unit ID"),
    "product": pgettext_lazy("audit field", "product"),
    "pack_id": pgettext_lazy("audit field", "pack ID"),
    "ums_id": pgettext_lazy("audit field", "UMS ID"),
    "expires_on": pgettext_lazy("audit field", "expires on"),
    "starts_on": pgettext_lazy("audit field", "starts on"),
    "auto_assign": pgettext_lazy("audit field", "automatic assignment"),
    "require_2fa": pgettext_lazy("audit field", "two-factor sign-in required"),
    "country": pgettext_lazy("audit field", "country"),
    "city": pgettext_lazy("audit field", "city"),
    "street": pgettext_lazy("audit field", "street"),
    "postal_code": pgettext_lazy("audit field", "postal code"),
    # Orders, EULAs and UMS settings: the German audit log showed these as English codes.
    "accepted_at": pgettext_lazy("audit field", "accepted at"),
    "add_on": pgettext_lazy("audit field", "add-on"),
    "auto_exchange": pgettext_lazy("audit field", "automatic exchange"),
    "company_created": pgettext_lazy("audit field", "company created"),
    "contact_outcome": pgettext_lazy("audit field", "contact person"),
    "customer_number": pgettext_lazy("audit field", "customer number"),
    "eula": pgettext_lazy("audit field", "EULA"),
    "eula_accepted": pgettext_lazy("audit field", "EULA accepted"),
    "eula_pending": pgettext_lazy("audit field", "EULA pending"),
    "eula_title": pgettext_lazy("audit field", "EULA title"),
    "eula_version": pgettext_lazy("audit field", "EULA version"),
    "items": pgettext_lazy("audit field", "items"),
    "kind": pgettext_lazy("audit field", "kind"),
    "lease_days": pgettext_lazy("audit field", "lease (days)"),
    "old_expires_on": pgettext_lazy("audit field", "previous expiry"),
    "order_number": pgettext_lazy("audit field", "order number"),
    "merged_into": pgettext_lazy("audit field", "merged into"),
    "pack": pgettext_lazy("audit field", "pack"),
    "returned": pgettext_lazy("audit field", "licenses returned"),
    "revoked_licenses": pgettext_lazy("audit field", "licenses revoked"),
    "seats_taken_back": pgettext_lazy("audit field", "seats taken back"),
    "product_packs": pgettext_lazy("audit field", "product packs"),
    "subscription_key": pgettext_lazy("audit field", "subscription key"),
    "third_party": pgettext_lazy("audit field", "third party"),
    # Issue 24: the German audit log still showed these as English codes.
    "reminders": pgettext_lazy("audit field", "reminders"),
    "days_before": pgettext_lazy("audit field", "days before expiry"),
    "recipients": pgettext_lazy("audit field", "recipients"),
    "target": pgettext_lazy("audit field", "target pack"),
    "merged": pgettext_lazy("audit field", "merged packs"),
    "state": pgettext_lazy("audit field", "state"),
    "time_zone": pgettext_lazy("audit field", "time zone"),
    "language": pgettext_lazy("audit field", "language"),
    "first_name": pgettext_lazy("audit field", "first name"),
    "last_name": pgettext_lazy("audit field", "last name"),
    "default_company": pgettext_lazy("audit field", "default company"),
    "notify": pgettext_lazy("audit field", "mails"),
    "count": pgettext_lazy("audit field", "count"),
    "created": pgettext_lazy("audit field", "created"),
    "created_seats": pgettext_lazy("audit field", "seats of the new pack"),
    "moved_unit_ids": pgettext_lazy("audit field", "devices moved"),
    "pack_seats_used": pgettext_lazy("audit field", "seats used in the pack"),
    "order_status": pgettext_lazy("audit field", "order status"),
    "reason": pgettext_lazy("audit field", "reason"),
    "expires_at": pgettext_lazy("audit field", "expires at"),
    "invitation": pgettext_lazy("audit field", "invitation"),
    "replaced": pgettext_lazy("audit field", "replaced"),
    "revoked": pgettext_lazy("audit field", "revoked"),
    "forced": pgettext_lazy("audit field", "forced"),
    "left": pgettext_lazy("audit field", "left"),
    # Single sign-on and sessions
    "issuer": pgettext_lazy("audit field", "issuer"),
    "client_id": pgettext_lazy("audit field", "client ID"),
    "jit_role": pgettext_lazy("audit field", "role of new people"),
    "require_sso": pgettext_lazy("audit field", "single sign-on required"),
    "verified": pgettext_lazy("audit field", "verified"),
    "method": pgettext_lazy("audit field", "sign-in method"),
    "address": pgettext_lazy("audit field", "address"),
}

# Codes that audit figures hold under these fields (statuses, kinds, roles), shown as the
# words the pages use for them (the same msgids, so the same German). Another value, or the
# same word under another field (a name, a comment), shows as it is.
_CODE_FIELDS = {"status", "kind", "eula", "role", "state"}
CODE_FIELDS = frozenset(_CODE_FIELDS)
VALUE_LABELS = {
    "active": _("Active"),
    "expired": _("Expired"),
    "not_yet_active": _("Not yet active"),
    "live": _("Live"),
    "merged": _("Merged"),
    "archived": _("Archived"),
    "cancelled": pgettext_lazy("pack status", "Cancelled"),
    "partly_cancelled": _("Partly cancelled"),
    "returned": pgettext_lazy("device license status", "Returned"),
    "revoked": pgettext_lazy("device license status", "Revoked"),
    "awaiting_redemption": _("Awaiting redemption"),
    "redeemed": _("Redeemed"),
    "applied": _("Applied"),
    "fulfilled": _("Fulfilled"),
    "new": _("New"),
    "renewal": _("Renewal"),
    "vendor": pgettext_lazy("audit value", "vendor"),
    "third_party": pgettext_lazy("audit field", "third party"),
    "administrator": _("Administrator"),
    "service_provider": _("Service provider"),
    "user": _("User"),
}

YES = _("yes")
NO = _("no")


def action_label(action: str) -> str:
    """The translated label of an action code, or the code itself."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def field_label(field: str) -> str:
    label = FIELD_LABELS.get(field)
    return str(label) if label is not None else field.replace("_", " ")


def value_label(field: str | None, value: str) -> str:
    """The word for a code held under a code field (see VALUE_LABELS), else the value."""
    if field in _CODE_FIELDS:
        label = VALUE_LABELS.get(value)
        if label is not None:
            return str(label)
    return value
