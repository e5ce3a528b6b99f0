"""Reads of licensing data (selectors). Company data is read through the acting membership
and shows only its company; the ERP feed's and the services' look-ups are marked as such.

One module per area; every public name is importable from here.
"""

from .eula import (
    eula_version_in_force,
    eula_versions_in_force,
    eulas_waiting,
    pack_eulas_to_accept,
    packs_blocked_by_eula,
    packs_waiting_for_third_party_eula,
    vendor_eula,
    vendor_eula_id_in_force,
    vendor_eula_in_force,
)
from .orders import (
    OrderPage,
    order_eula_data,
    order_find,
    order_get,
    order_get_staff,
    order_list,
    order_list_for_key,
    order_pack_ids,
    order_queryset,
    order_renewals_waiting,
    order_staff_view,
    orders_attach_packs,
    orders_waiting_for_eula_count,
    product_find,
    product_map,
    products_list,
    subscription_key_find,
)
from .packs import (
    PACK_RELATED,
    PACK_SORTS,
    SELECTION_MAX,
    dashboard_figures,
    expiry_reminders_sent,
    key_detail,
    key_get,
    key_held_by,
    key_queryset,
    pack_get,
    pack_get_many,
    pack_list,
    pack_list_by_ids,
    pack_list_expiring,
    pack_list_live,
    pack_list_of_company,
    pack_queryset,
    pack_reload_many,
    pack_selection,
)
from .renewals import (
    renewal_candidates,
    renewal_get_for_redeem,
    renewal_list,
    renewal_list_awaiting,
    renewal_pending_exists,
    renewal_queryset,
    renewal_reload,
    renewals_awaiting_count,
)

__all__ = [
    "OrderPage",
    "PACK_RELATED",
    "PACK_SORTS",
    "SELECTION_MAX",
    "dashboard_figures",
    "eula_version_in_force",
    "eula_versions_in_force",
    "eulas_waiting",
    "packs_blocked_by_eula",
    "renewals_awaiting_count",
    "expiry_reminders_sent",
    "key_detail",
    "key_get",
    "key_held_by",
    "key_queryset",
    "order_find",
    "order_get",
    "order_renewals_waiting",
    "order_get_staff",
    "order_list",
    "order_eula_data",
    "order_list_for_key",
    "order_pack_ids",
    "order_queryset",
    "order_staff_view",
    "orders_attach_packs",
    "orders_waiting_for_eula_count",
    "pack_eulas_to_accept",
    "pack_get",
    "pack_get_many",
    "pack_list",
    "pack_list_by_ids",
    "pack_list_expiring",
    "pack_list_live",
    "pack_list_of_company",
    "pack_queryset",
    "pack_reload_many",
    "pack_selection",
    "packs_waiting_for_third_party_eula",
    "product_find",
    "product_map",
    "products_list",
    "renewal_candidates",
    "renewal_get_for_redeem",
    "renewal_list",
    "renewal_list_awaiting",
    "renewal_pending_exists",
    "renewal_queryset",
    "renewal_reload",
    "subscription_key_find",
    "vendor_eula",
    "vendor_eula_id_in_force",
    "vendor_eula_in_force",
]

from .overview import companies_overview  # noqa: E402

__all__ += ["companies_overview"]

from .snapshots import seat_history  # noqa: E402

__all__ += ["seat_history"]

from .search import licensing_search  # noqa: E402

__all__ += ["licensing_search"]
