"""Who acts: a user, vendor staff (a staff token or a staff user), a UMS instance, an ALD
token or the system. Services take an Actor."""

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    kind: str  # "user" | "staff" | "ums" | "ald" | "scim" | "system"
    user: Any = None  # the person: a user, or a staff user (kind "staff")
    staff_token: Any = None
    ums: Any = None
    ald_token: Any = None  # rollout's AldToken, with its subscription key loaded
    scim_token: Any = None  # scim's ScimToken: a company's identity provider provisioning
    # Why vendor staff did it (DESIGN.md rule 25): every correction and resend states one, and
    # the company's audit log shows it beside "vendor staff". Written by audit's event_record.
    reason: str = ""

    @classmethod
    def for_user(cls, user) -> "Actor":
        return cls(kind="user", user=user)

    @classmethod
    def for_staff(cls, staff_token=None, *, user=None, reason: str = "") -> "Actor":
        """Vendor staff: a staff token (ERP feed, scripts) or a staff user (the /staff/ pages,
        their session or token), optionally with the reason of what they do."""
        return cls(kind="staff", staff_token=staff_token, user=user, reason=reason)

    @classmethod
    def for_ums(cls, ums) -> "Actor":
        return cls(kind="ums", ums=ums)

    @classmethod
    def for_scim(cls, scim_token) -> "Actor":
        return cls(kind="scim", scim_token=scim_token)

    @classmethod
    def system(cls) -> "Actor":
        return cls(kind="system")

    def with_reason(self, reason: str) -> "Actor":
        """The same actor, stating why (a staff correction's required reason)."""
        return dataclasses.replace(self, reason=(reason or "").strip())

    @property
    def is_vendor_staff(self) -> bool:
        return self.kind == "staff"

    @property
    def staff_name(self) -> str:
        """Vendor staff's name as the customer's audit log shows it: the staff user's e-mail,
        or the staff token's name."""
        if self.user is not None:
            return self.user.email
        return self.staff_token.name if self.staff_token is not None else ""

    @property
    def label(self) -> str:
        if self.kind == "user":
            return self.user.email
        if self.kind == "staff":
            return f"staff:{self.staff_name}"
        if self.kind == "ums":
            return f"ums:{self.ums.ums_id}"
        if self.kind == "ald":
            return f"ald:{self.ald_token.subscription_key.key}"
        if self.kind == "scim":
            return f"scim:{self.scim_token.pk} identity provider provisioning"
        return "system"
