"""The principal behind a UMS credential or an ALD token, and a key's ALD token."""

from ilp.accounts.models import Company
from ilp.core.auth import Principal
from ilp.core.ids import token_hash
from ilp.core.prepared import Prepared

from ..models import AldToken, UmsInstance


def principal_for_ums_credential(token: str) -> Principal | None:
    """The UMS instance behind a credential (`ilpm_…`)."""
    # One prepared statement on the unique index, the company with it (the routes need it
    # next); no ORDER BY (`.first()` would sort by name what is at most one row).
    rows = _UMS_BY_CREDENTIAL.rows(digest=token_hash(token))
    if not rows:
        return None
    n = len(_UMS_FIELDS)
    ums = UmsInstance.from_db("default", _UMS_FIELDS, rows[0][:n])
    ums.company = Company.from_db("default", _COMPANY_FIELDS, rows[0][n:])
    return Principal(kind="ums", ums=ums)


_UMS_FIELDS = [f.attname for f in UmsInstance._meta.concrete_fields]


_COMPANY_FIELDS = [f.attname for f in Company._meta.concrete_fields]


_UMS_BY_CREDENTIAL = Prepared(
    lambda *, digest: (
        UmsInstance.objects.filter(credential_hash=digest)
        .order_by()
        .values_list(*_UMS_FIELDS, *(f"company__{name}" for name in _COMPANY_FIELDS))[:1]
    ),
    digest=str,
)


def principal_for_ald_token(token: str) -> Principal | None:
    """The ALD token behind a bearer token (`ilpa_…`): a UMS credential of one key."""
    ald = next(
        iter(
            AldToken.objects.select_related("company", "subscription_key")
            .filter(token_hash=token_hash(token))
            .order_by()[:1]
        ),
        None,
    )
    return Principal(kind="ald", ald_token=ald) if ald is not None else None


def ald_token_of(*, key) -> AldToken | None:
    """The ALD token of a subscription key the caller looked up in scope, if it has one."""
    return AldToken.objects.filter(subscription_key=key).first()
