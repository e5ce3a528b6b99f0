"""Rollout services: UMS instances, pack assignment, device licenses (rules 12–15).

Licensing reaches rollout only through its domain events (rollout/receivers.py).

Lock order everywhere: product packs (primary-key order) before device licenses, the same
order licensing uses for split and merge, so the two never deadlock.
"""

from ilp.core.errors import Conflict, Invalid, NotFound
from ilp.core.unit_ids import unit_id_normalize, unit_id_search_normalize

from .ald import ald_token_generate, ald_token_revoke
from .assignment import (
    pack_assign,
    pack_split_follow,
    pack_unassign,
    packs_auto_assign,
    packs_merge_follow,
)
from .common import MAX_BATCH, document_due, document_expiry, license_claims, unit_ids_parse
from .exchange import ExchangeResult, licenses_exchange, pack_licenses_exchange
from .licenses import (
    IssueResult,
    leases_refresh,
    license_return,
    licenses_issue,
    licenses_move,
    licenses_refresh,
)
from .ums import ums_credential_rotate, ums_delete, ums_register, ums_update
from .upload import (
    SUSPICIOUS_CHOICES,
    SUSPICIOUS_HOLD,
    SUSPICIOUS_ISSUE,
    SUSPICIOUS_SKIP,
    SuspiciousUnitId,
    UploadResult,
    licenses_upload,
    upload_size_check,
)

__all__ = [
    "MAX_BATCH",
    "Conflict",
    "ExchangeResult",
    "Invalid",
    "IssueResult",
    "NotFound",
    "SUSPICIOUS_CHOICES",
    "SUSPICIOUS_HOLD",
    "SUSPICIOUS_ISSUE",
    "SUSPICIOUS_SKIP",
    "SuspiciousUnitId",
    "UploadResult",
    "ald_token_generate",
    "ald_token_revoke",
    "document_due",
    "document_expiry",
    "leases_refresh",
    "license_claims",
    "licenses_exchange",
    "pack_licenses_exchange",
    "license_return",
    "licenses_issue",
    "licenses_move",
    "licenses_refresh",
    "licenses_upload",
    "upload_size_check",
    "pack_assign",
    "pack_split_follow",
    "pack_unassign",
    "packs_auto_assign",
    "packs_merge_follow",
    "ums_credential_rotate",
    "ums_delete",
    "ums_register",
    "ums_update",
    "unit_id_normalize",
    "unit_id_search_normalize",
    "unit_ids_parse",
]
