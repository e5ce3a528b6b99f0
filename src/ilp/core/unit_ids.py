"""Unit IDs, the devices' MAC-derived IDs: one normal form for every app (API.md).

Upper case, the separators people type between the groups of a MAC address removed (`:`,
`-`, `.`, spaces: `00:E0:C5:AA:00:03`, `00e0.c5aa.0003`, `00 E0 C5 AA 00 04`), then 6 to 64
letters and digits; dots and spaces only between hex groups. Upload, the UMS API and Search
hardware all use this one normal form; search additionally drops any other punctuation.
"""

import re

_UNIT_ID = re.compile(r"[A-Z0-9]{6,64}")
_SEPARATORS = re.compile(r"[\s:.\-]")
_LOOSE = re.compile(r"[\s.]")
_HEX = re.compile(r"[0-9A-Fa-f]+")


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
