"""Who asks on the UMS API: a UMS with its own credential, or an ALD token (rule 23).

A UMS draws licenses from the packs assigned to it and sees the licenses it was issued; an
ALD token draws from its subscription key's live packs (no assignment needed) and sees the
licenses issued through it. Everything else — pack choice, leases, revocation — is the same,
so the services take a `Licensee` and ask it for its two filters.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from ilp.core.auth import last_used_touch

from .models import AldToken, UmsInstance


@dataclass(frozen=True)
class Licensee:
    ums: UmsInstance | None = None
    ald: AldToken | None = None

    @classmethod
    def of(cls, who: Licensee | UmsInstance | AldToken) -> Licensee:
        if isinstance(who, Licensee):
            return who
        if isinstance(who, AldToken):
            return cls(ald=who)
        return cls(ums=who)

    @property
    def company(self):
        return self.ums.company if self.ums is not None else self.ald.company

    @property
    def company_id(self) -> int:
        return self.ums.company_id if self.ums is not None else self.ald.company_id

    @property
    def label(self) -> str:
        """How audit rows and license files name the caller: the UMS ID or `ALD <key>`."""
        if self.ums is not None:
            return self.ums.ums_id
        return f"ALD {self.ald.subscription_key.key}"

    @property
    def ums_id(self) -> str | None:
        return self.ums.ums_id if self.ums is not None else None

    @property
    def lease_days(self) -> int:
        return lease_days_of(self.ums)

    def claim_holder(self) -> dict:
        """Which pack rows this caller may draw from, as the one pack column that says so: a
        UMS's assigned packs (the UMS ID on the pack row), an ALD token's key's packs.
        `packs_q` and `may_use` are this, and licensing's `seats_claim` re-checks it."""
        if self.ums is not None:
            return {"assigned_to": self.ums.ums_id}
        return {"subscription_key_id": self.ald.subscription_key_id}

    def packs_q(self, prefix: str = "") -> Q:
        """The ProductPack filter of the packs this caller may draw from (`claim_holder`)."""
        return Q(**{f"{prefix}{field}": value for field, value in self.claim_holder().items()})

    def may_use(self, pack) -> bool:
        """Whether this caller may draw from `pack` (`claim_holder` for one loaded pack): what
        a device's license must be on for the caller to see it."""
        return all(getattr(pack, field) == value for field, value in self.claim_holder().items())

    def licenses_q(self) -> Q:
        """The DeviceLicense / DemoLicense filter of the licenses this caller holds."""
        if self.ums is not None:
            return Q(ums=self.ums)
        return Q(ald_key_id=self.ald.subscription_key_id, ums__isnull=True)

    def revocations_q(self) -> Q:
        """The DeviceLicense filter of the ended licenses this caller's revocation list names:
        those issued through its packs. A UMS: the licenses it was issued (wherever their pack
        went since). An ALD token: the licenses on its subscription key's packs (it may draw
        from every one of them). Never another UMS's or another key's."""
        if self.ums is not None:
            return Q(ums=self.ums)
        return Q(pack__subscription_key_id=self.ald.subscription_key_id)

    def license_fields(self) -> dict:
        """The fields a license issued to this caller carries."""
        if self.ums is not None:
            return {"ums": self.ums, "ald_key": None}
        return {"ums": None, "ald_key_id": self.ald.subscription_key_id}

    def touch(self, *, refreshed: bool = False) -> None:
        """Record that the caller was here (and, with `refreshed`, got fresh documents);
        at most one write a minute each."""
        if self.ums is not None:
            fields = ("last_seen_at", "last_refresh_at") if refreshed else ("last_seen_at",)
            last_used_touch(self.ums, *fields)
        else:
            last_used_touch(self.ald, field="last_used_at")


def lease_days_of(ums: UmsInstance | None) -> int:
    """The lease of documents for this UMS (its own, capped at the maximum) or the default."""
    days = ums.lease_days if ums is not None and ums.lease_days else None
    if days is None:
        return settings.ILP_LICENSE_LEASE_DAYS
    return min(days, settings.ILP_LICENSE_LEASE_MAX_DAYS)
