"""Reads of rollout data: scoped by the acting membership (company side) or the UMS itself.

Services read through these too, except where a read takes row locks: those stay beside the
write they protect (lock before count).

One module per area; every public name is importable from here.
"""

from .claims import (
    device_licenses_held,
    pack_pick_first,
    product_find,
    product_id_of,
    sku_normalise,
)
from .credentials import (
    ald_token_of,
    principal_for_ald_token,
    principal_for_ums_credential,
)
from .devices import (
    DEVICE_EXPORT_HEADER,
    device_demo_licenses,
    device_export_rows,
    device_license_get,
    device_licenses,
    device_licenses_active_many,
    device_scope,
    device_unit_id,
    device_unit_ids,
    devices_of,
    fleet_products,
    merge_license_conflicts,
)
from .licenses import (
    LICENSE_RELATED,
    license_file_licenses,
    licenses_due_candidates,
    licenses_listed,
    licenses_stale_ids,
    licenses_stale_lock,
    pack_licenses_active,
    pack_licenses_active_count,
    revoked_license_ids,
    ums_license_get,
    ums_license_list,
    ums_packs,
)
from .search import (
    rollout_search,
)
from .ums import (
    packs_assignable,
    ums_assigned_packs,
    ums_choices,
    ums_first_packs,
    ums_get,
    ums_lease_figures,
    ums_list,
    ums_list_with_pack_ids,
    ums_pack_ids,
    ums_pack_summary,
    ums_products,
)

__all__ = [
    "DEVICE_EXPORT_HEADER",
    "LICENSE_RELATED",
    "ald_token_of",
    "device_demo_licenses",
    "device_export_rows",
    "device_license_get",
    "device_licenses",
    "device_licenses_active_many",
    "device_licenses_held",
    "device_scope",
    "device_unit_id",
    "device_unit_ids",
    "devices_of",
    "fleet_products",
    "license_file_licenses",
    "licenses_due_candidates",
    "licenses_listed",
    "licenses_stale_ids",
    "licenses_stale_lock",
    "merge_license_conflicts",
    "pack_licenses_active",
    "pack_licenses_active_count",
    "pack_pick_first",
    "packs_assignable",
    "principal_for_ald_token",
    "principal_for_ums_credential",
    "product_find",
    "product_id_of",
    "revoked_license_ids",
    "rollout_search",
    "sku_normalise",
    "ums_assigned_packs",
    "ums_choices",
    "ums_first_packs",
    "ums_get",
    "ums_lease_figures",
    "ums_license_get",
    "ums_license_list",
    "ums_list",
    "ums_list_with_pack_ids",
    "ums_pack_ids",
    "ums_pack_summary",
    "ums_packs",
    "ums_products",
]
