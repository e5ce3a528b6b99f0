"""Unit IDs, the devices' MAC-derived IDs: one normal form for every app (API.md).

Upper case, the separators people type between the groups of a MAC address removed (`:`,
`-`, `.`, spaces: `00:E0:C5:AA:00:03`, `00e0.c5aa.0003`, `00 E0 C5 AA 00 04`), then 6 to 64
letters and digits; dots and spaces only between hex groups. Upload, the UMS API and Search
hardware all use this one normal form; search additionally drops any other punctuation.
"""

import re

from django.utils.translation import gettext_lazy as _

_UNIT_ID = re.compile(r"[A-Z0-9]{6,64}")
_SEPARATORS = re.compile(r"[\s:.\-]")
_LOOSE = re.compile(r"[\s.]")
_HEX = re.compile(r"[0-9A-Fa-f]+")
MAC_LENGTH = 12


def unit_id_normalize(raw) -> str | None:
    """The normal form of a unit ID, or None when it is not a valid one."""
    if not isinstance(raw, str):
        return None
    raw = raw.strip()
    # Dots and spaces separate only the hex groups of a MAC address (`00e0.c5aa.0003`,
    # `00 E0 C5 AA 00 04`); otherwise a cell like "not valid" would become the unit ID NOTVALID.
    if _LOOSE.search(raw) and not all(_HEX.fullmatch(g) for g in _SEPARATORS.split(raw) if g):
        return None
    value = _SEPARATORS.sub("", raw).upper()
    return value if _UNIT_ID.fullmatch(value) else None


def unit_id_search_normalize(raw: str) -> str | None:
    """Search hardware: any separator (`:`, `-`, `.`, spaces) is dropped; None if invalid."""
    value = re.sub(r"[^0-9A-Za-z]", "", raw or "").upper()
    return value if _UNIT_ID.fullmatch(value) else None


# Why a valid unit ID still looks wrong (checked before a person issues licenses for it).
UNIT_ID_CONCERNS = {
    "repeated": _("one character repeated: not a real device"),
    "not_hex": _("as long as a MAC address, but a MAC holds only 0–9 and A–F"),
    "mac_length": _("hexadecimal like a MAC address, but a MAC has 12 digits"),
}


def unit_id_concern(unit_id: str) -> str | None:
    """Whether a valid unit ID (normal form) looks like neither a MAC address nor a unit ID:
    the code of the first concern in `UNIT_ID_CONCERNS`, or None when it looks fine.

    The rule (docs/decisions.md): a MAC address is 12 hexadecimal digits; a device's unit ID
    is either its MAC or a longer ID of letters and digits. So an ID is suspicious when it is
    - one character repeated (`000000000000`, `FFFFFFFFFFFF`, `AAAAAAAA`): placeholders;
    - 12 characters but not all hexadecimal (`ZZZZZZZZZZZZ`, `00E0C5AG0003`): a mistyped MAC;
    - hexadecimal only, 10 to 14 digits but not 12 (`00E0C5AA00031`): a MAC with a digit
      missing or one too many.
    Anything else valid (6 to 64 letters and digits) passes. The UMS API does not ask: a UMS
    reports the IDs its devices gave it, and no person is there to confirm.
    """
    if len(set(unit_id)) == 1:
        return "repeated"
    hexadecimal = _HEX.fullmatch(unit_id) is not None
    if len(unit_id) == MAC_LENGTH and not hexadecimal:
        return "not_hex"
    if hexadecimal and len(unit_id) != MAC_LENGTH and abs(len(unit_id) - MAC_LENGTH) <= 2:
        return "mac_length"
    return None
