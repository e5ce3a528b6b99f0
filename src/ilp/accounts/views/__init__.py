"""Portal pages of people and access: accept an invitation, manage the company, the profile.

Views only translate between HTTP and the services: every rule lives in the services, and an
AppError becomes a message on the page. Company pages act as `request.actor` (set by
`company_page`).

One module per topic; every public name is importable from here (`urls.py` uses
`views.<name>`).
"""

from .common import (
    form_errors_from,
)
from .companies import (
    company_edit,
    company_security,
    manage_company,
)
from .deletion import (
    deletion_confirm,
    deletion_request,
)
from .invitations import (
    invitation,
)
from .members import (
    access_request_dismiss,
    access_request_invite,
    invitation_send,
    invitation_withdraw,
    member_remove,
    member_role,
)
from .passwords import (
    password_change,
    password_reset,
    password_reset_request,
)
from .profile import (
    profile,
)
from .registrations import (
    register,
)
from .sessions import (
    session_end,
    sessions,
)
from .tokens import (
    token_create,
    token_revoke,
)
from .two_factor import (
    two_factor,
)

__all__ = [
    "access_request_dismiss",
    "access_request_invite",
    "company_edit",
    "company_security",
    "deletion_confirm",
    "deletion_request",
    "form_errors_from",
    "invitation",
    "invitation_send",
    "invitation_withdraw",
    "manage_company",
    "member_remove",
    "member_role",
    "password_change",
    "password_reset",
    "password_reset_request",
    "profile",
    "register",
    "session_end",
    "sessions",
    "token_create",
    "token_revoke",
    "two_factor",
]
