"""Rollout's error codes: the stable `code` of every AppError rollout raises.

The values are part of the API contract (problem+json `code`, `type` urn:ilp:problem:<code>):
never change one. Codes that rollout answers but does not raise itself stay with their owner
(`no_free_seat` is licensing's seat ledger, `not_found` and `validation_error` are core's).
"""

from enum import StrEnum


class RolloutError(StrEnum):
    # look-ups (404, 422)
    UMS_NOT_FOUND = "ums_not_found"
    LICENSE_NOT_FOUND = "license_not_found"
    PACK_NOT_FOUND = "pack_not_found"  # the pack is not the UMS's company's (as licensing says)
    INVALID_UNIT_ID = "invalid_unit_id"

    # UMS instances
    INVALID_NAME = "invalid_name"
    UMS_IN_USE = "ums_in_use"

    # pack assignment (rule 15)
    PACK_NOT_ASSIGNABLE = "pack_not_assignable"
    PACK_ASSIGNED_ELSEWHERE = "pack_assigned_elsewhere"
    PACK_NOT_ASSIGNED = "pack_not_assigned"
    PACK_IN_USE = "pack_in_use"

    # split and merge follow-ups (rules 9, 10)
    UNIT_NOT_ON_PACK = "unit_not_on_pack"
    TOO_MANY_UNITS = "too_many_units"
    PACK_NOT_MERGEABLE = "pack_not_mergeable"

    # device licenses (rules 12–14)
    TOO_MANY_UNIT_IDS = "too_many_unit_ids"
    UNKNOWN_PRODUCT = "unknown_product"
    LICENSE_MOVING = "license_moving"
    ISSUANCE_BUSY = "issuance_busy"  # 409: seats contended past every retry (practically never)

    # bulk upload of an air-gapped UMS (portal page; its message is what a person sees)
    UPLOAD_TOO_LARGE = "upload_too_large"
    UPLOAD_EMPTY = "upload_empty"
    UPLOAD_NOT_TEXT = "upload_not_text"
    UPLOAD_TOO_MANY_UNIT_IDS = "upload_too_many_unit_ids"

    # license lifecycle (rules 21, 22)
    INVALID_LEASE_DAYS = "invalid_lease_days"

    # signing keys
    SIGNING_KEY_FROM_ENVIRONMENT = "signing_key_from_environment"

    # vendor staff corrections (rules 25, 26)
    MERGE_CONFLICT = "merge_conflict"  # 409, `unit_ids`: both companies license a device
