"""Unit IDs, the devices' MAC-derived IDs: one normal form for every app (API.md).

Upper case, `:` and `-` removed, then 6 to 64 letters and digits. Search hardware is more
forgiving and drops any separator.
"""

import re

_UNIT_ID = re.compile(r"[A-Z0-9]{6,64}")


def unit_id_normalize(raw) -> str | None:
    """The normal form of a unit ID, or None when it is not a valid one."""
    if not isinstance(raw, str):
        return None
    value = raw.strip().upper().replace(":", "").replace("-", "")
    return value if _UNIT_ID.fullmatch(value) else None


def unit_id_search_normalize(raw: str) -> str | None:
    """Search hardware: any separator (`:`, `-`, `.`, spaces) is dropped; None if invalid."""
    value = re.sub(r"[^0-9A-Za-z]", "", raw or "").upper()
    return value if _UNIT_ID.fullmatch(value) else None
