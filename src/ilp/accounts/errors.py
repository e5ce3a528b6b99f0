"""The stable error codes of people and access: the `code` of their problem+json answers.

A code, once published, keeps its meaning; raise sites name a member, never a string. The
generic codes of ilp.core.errors (`not_found`, `invalid`, …) stay with the core classes.
"""

from enum import StrEnum


class AccountError(StrEnum):
    # Logging in and tokens
    INVALID_CREDENTIALS = "invalid_credentials"
    NOT_TOKEN_AUTH = "not_token_auth"  # a session revoking "the current token"
    WRONG_CREDENTIAL_KIND = "wrong_credential_kind"  # a staff or UMS token accepting
    TOKEN_NOT_FOUND = "token_not_found"
    SESSION_NOT_FOUND = "session_not_found"
    NOT_SESSION_AUTH = "not_session_auth"  # POST /me/tokens needs a portal session
    OTP_REQUIRED = "otp_required"  # two-factor is on: send `otp` (401)
    OTP_INVALID = "otp_invalid"  # a wrong, used or stale code (401 logging in, 422 else)
    OTP_LOCKED = "otp_locked"  # too many wrong codes in a row: wait (429, Retry-After)

    # Self-service (rule 16): mailed links, passwords, deletion
    LINK_NOT_FOUND = "link_not_found"
    LINK_USED = "link_used"  # used, or replaced by a newer link
    LINK_EXPIRED = "link_expired"
    WEAK_PASSWORD = "weak_password"
    WRONG_PASSWORD = "wrong_password"
    INVALID_TIME_ZONE = "invalid_time_zone"  # 422: `PATCH /me` names no IANA zone

    # Two-factor sign-in (rule 17)
    TWO_FACTOR_NOT_STARTED = "two_factor_not_started"  # confirm without a set-up
    TWO_FACTOR_NOT_ACTIVE = "two_factor_not_active"
    TWO_FACTOR_REQUIRED = "two_factor_required"  # a company requires it (403 / 409)

    # Claiming a company without administrator (rule 16, FAQ Q5)
    REGISTRATION_NOT_MATCHED = "registration_not_matched"
    COMPANY_HAS_ADMINISTRATOR = "company_has_administrator"

    # Companies and members
    CUSTOMER_NUMBER_TAKEN = "customer_number_taken"
    MEMBER_NOT_FOUND = "member_not_found"
    ALREADY_MEMBER = "already_member"
    LAST_ADMINISTRATOR = "last_administrator"
    INVALID_ROLE = "invalid_role"
    # Vendor staff corrections (rule 26)
    COMPANY_MERGED = "company_merged"  # 410, with `merged_into`: the GAID's company moved there
    MERGE_SAME_COMPANY = "merge_same_company"  # 422: a company merged into itself
    NO_CONTACT_MAIL = "no_contact_mail"  # 409: the order's contact got no mail to send again

    # Invitations
    INVALID_EMAIL = "invalid_email"
    INVITATION_NOT_FOUND = "invitation_not_found"
    INVITATION_USED = "invitation_used"
    INVITATION_WITHDRAWN = "invitation_withdrawn"
    INVITATION_EXPIRED = "invitation_expired"
    INVITATION_EMAIL_MISMATCH = "invitation_email_mismatch"
    LOGIN_REQUIRED = "login_required"  # the invited e-mail has an account: log in to accept
    VALIDATION_ERROR = "validation_error"  # a new person's names or password

    # The vendor's staff (rule 25)
    STAFF_MEMBER_EXISTS = "staff_member_exists"
    STAFF_MEMBER_NOT_FOUND = "staff_member_not_found"
    LAST_STAFF_ADMIN = "last_staff_admin"  # the last staff administrator stays one

    # An order's contact person and access requests (rule 4)
    INVALID_CONTACT_EMAIL = "invalid_contact_email"
    ACCESS_REQUEST_NOT_FOUND = "access_request_not_found"
