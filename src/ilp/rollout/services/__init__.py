"""Rollout services: UMS instances, pack assignment, device licenses (rules 12–15).

Licensing never calls rollout. What needs pack and license changes together (split, merge,
orders and delivery tokens whose packs are auto-assigned) is orchestrated here, calling
licensing downward in one transaction; licensing's one remaining event (`packs_extended`) is a
notification that rollout/receivers.py turns into a re-sign task after the commit.

Lock order everywhere: product packs (primary-key order) before device licenses, the same
order licensing uses for split and merge, so the two never deadlock.
"""

from ilp.core.errors import Conflict, Invalid, NotFound
from ilp.core.unit_ids import unit_id_normalize, unit_id_search_normalize

from .ald import ald_token_generate, ald_token_revoke
from .assignment import (
    pack_assign,
    pack_merge,
    pack_split,
    pack_unassign,
    packs_auto_assign,
)
from .common import MAX_BATCH, document_due, document_expiry, license_claims, unit_ids_parse
from .devices import devices_remove
from .exchange import ExchangeResult, licenses_exchange, pack_licenses_exchange
from .licenses import (
    IssueResult,
    leases_refresh,
    license_return,
    licenses_issue,
    licenses_move,
)
from .orders import delivery_token_register, order_place
from .resign import RESIGN_BATCH, licenses_resign
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
    "RESIGN_BATCH",
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
    "delivery_token_register",
    "devices_remove",
    "document_due",
    "document_expiry",
    "leases_refresh",
    "license_claims",
    "licenses_exchange",
    "pack_licenses_exchange",
    "license_return",
    "licenses_issue",
    "licenses_move",
    "licenses_resign",
    "licenses_upload",
    "upload_size_check",
    "order_place",
    "pack_assign",
    "pack_merge",
    "pack_split",
    "pack_unassign",
    "packs_auto_assign",
    "ums_credential_rotate",
    "ums_delete",
    "ums_register",
    "ums_update",
    "unit_id_normalize",
    "unit_id_search_normalize",
    "unit_ids_parse",
]
