"""Assembly: the proof of a company claim (rule 16) that accounts cannot check by itself,
because subscription keys belong to licensing, above it (docs/architecture.md)."""

from ilp.licensing.selectors import key_held_by


def company_holds_key(*, company, key: str) -> bool:
    """Whether the subscription key (letters in any case) is one of the company's."""
    return key_held_by(company_id=company.pk, key=key.strip().upper())
