"""What proves that a person belongs to a company they claim (rule 16, FAQ Q5): its GAID and
one of its subscription keys.

Subscription keys are licensing's, and licensing sits above accounts: it cannot be imported
here. The check is registered at start-up instead (`company_key_check_register`, done by the
assembly in `ilp/web/apps.py`), the way core learns of tokens and memberships.
"""

from collections.abc import Callable

_company_key_check: Callable[..., bool] | None = None


def company_key_check_register(check: Callable[..., bool]) -> None:
    """Set `check(company=, key=)`: whether the subscription key is one of the company's."""
    global _company_key_check
    _company_key_check = check


def company_holds_key(*, company, key: str) -> bool:
    if _company_key_check is None:  # pragma: no cover - the assembly registers it
        raise RuntimeError("no subscription-key check registered (is ilp.web installed?)")
    return bool(key) and _company_key_check(company=company, key=key)
