"""Who acts: a user, a staff token, a UMS instance, an ALD token or the system. Services take
an Actor."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    kind: str  # "user" | "staff" | "ums" | "ald" | "scim" | "system"
    user: Any = None
    staff_token: Any = None
    ums: Any = None
    ald_token: Any = None  # rollout's AldToken, with its subscription key loaded
    scim_token: Any = None  # scim's ScimToken: a company's identity provider provisioning

    @classmethod
    def for_user(cls, user) -> "Actor":
        return cls(kind="user", user=user)

    @classmethod
    def for_staff(cls, staff_token) -> "Actor":
        return cls(kind="staff", staff_token=staff_token)

    @classmethod
    def for_ums(cls, ums) -> "Actor":
        return cls(kind="ums", ums=ums)

    @classmethod
    def for_scim(cls, scim_token) -> "Actor":
        return cls(kind="scim", scim_token=scim_token)

    @classmethod
    def system(cls) -> "Actor":
        return cls(kind="system")

    @property
    def label(self) -> str:
        if self.kind == "user":
            return self.user.email
        if self.kind == "staff":
            return f"staff:{self.staff_token.name}"
        if self.kind == "ums":
            return f"ums:{self.ums.ums_id}"
        if self.kind == "ald":
            return f"ald:{self.ald_token.subscription_key.key}"
        if self.kind == "scim":
            return f"scim:{self.scim_token.pk} identity provider provisioning"
        return "system"
