"""The event types (API.md, "Webhooks") with what each means and a sample of its `data`."""

from django.utils.translation import gettext_lazy as _

_PACK = {
    "id": "WE-7K3QX",
    "product": "WE",
    "subscription_key": "7K3QX-9M2PA-4HT8C-WV6RJ",
    "seats": 50,
    "seats_used": 12,
    "starts_on": "2026-01-01",
    "expires_on": "2027-01-01",
    "status": "active",
    "comment": "",
    "ums_id": "UMS-4F7K2",
    "merged_into": None,
    "eula_accepted": True,
}
_LICENSE = {
    "id": "LIC-8Q2M4T7XKP",
    "unit_id": "001A2B3C4D5E",
    "product": "WE",
    "pack_id": "WE-7K3QX",
    "expires_on": "2027-01-01",
    "status": "active",
    "ums_id": "UMS-4F7K2",
    "issued_at": "2026-03-02T09:15:00Z",
    "lease_expires_at": "2026-04-01T09:15:00Z",
}
_ORDER = {
    "order_number": "SO-100234",
    "kind": "new",
    "gaid": "G7K3QX",
    "subscription_key": "7K3QX-9M2PA-4HT8C-WV6RJ",
    "status": "delivered",
    "product_packs": [_PACK],
    "eula_accepted": True,
}
_MEMBER = {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace", "role": "user"}
_UMS = {
    "ums_id": "UMS-4F7K2",
    "name": "Plant Hamburg",
    "auto_assign": True,
    "created_at": "2026-03-01T08:00:00Z",
    "product_packs": [],
    "lease_days": 30,
    "auto_exchange": True,
}

# type → (what it means, a sample of `data`)
EVENT_TYPES: dict[str, tuple] = {
    "license.issued": (_("A device license was issued."), _LICENSE),
    "license.returned": (
        _("A device license was returned (hardware removed): its seat is free again."),
        {**_LICENSE, "status": "returned"},
    ),
    "license.revoked": (
        _("A device license was revoked (its pack cancelled or moved to another company)."),
        {**_LICENSE, "status": "revoked"},
    ),
    "license.exchanged": (
        _("A device license moved to a later pack before its pack expired."),
        {**_LICENSE, "pack_id": "WE-9M2PA", "previous_pack_id": "WE-7K3QX"},
    ),
    "product_pack.created": (_("A product pack was created (order, split, delivery)."), _PACK),
    "product_pack.changed": (
        _("A product pack changed: split, merge, renewal, EULA accepted or cancelled."),
        {**_PACK, "change": "renewal"},
    ),
    "product_pack.expiring": (
        _("A product pack expires soon (on the reminder days)."),
        {**_PACK, "days_left": 30},
    ),
    "order.delivered": (_("An order was delivered to the company."), _ORDER),
    "order.eula_pending": (
        _("An order waits for its EULA to be accepted before its licenses can be issued."),
        {**_ORDER, "eula_accepted": False, "eula_version": "2026-01"},
    ),
    "member.added": (_("A person became a member of the company."), _MEMBER),
    "member.removed": (_("A member left or was removed from the company."), _MEMBER),
    "ums.created": (_("A UMS instance was registered."), _UMS),
    "webhook.test": (
        _("A test event sent from the portal or the API."),
        {"endpoint_id": "we_5R8T2K9XQM4B7N3P", "message": "This is a test event."},
    ),
}

# Vendor endpoints (`/staff/webhooks`) receive these of every company.
VENDOR_EVENT_TYPES = tuple(t for t in EVENT_TYPES if t.startswith("order."))
TEST = "webhook.test"
