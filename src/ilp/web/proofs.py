"""Assembly: the proof of a company claim (rule 16) that accounts cannot check by itself,
because subscription keys belong to licensing, above it (docs/architecture.md)."""

from types import SimpleNamespace

from ilp.core.errors import NotFound
from ilp.licensing.selectors import key_get


def company_holds_key(*, company, key: str) -> bool:
    """Whether the subscription key (letters in any case) is one of the company's."""
    try:
        # key_get reads inside the acting membership's company; a claimant has none yet, so it
        # is handed the company the claim names.
        key_get(membership=SimpleNamespace(company_id=company.pk), key=key.strip().upper())
    except NotFound:
        return False
    return True
