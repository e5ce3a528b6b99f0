"""Helpers of the rollout pages."""

from ilp.core.bounds import MAX_ID


def _int(value) -> int | None:
    """A whole number typed into a form or a query; None when it is none or beyond any
    column (a 30-digit `after=` must not reach the database)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if abs(number) <= MAX_ID else None
