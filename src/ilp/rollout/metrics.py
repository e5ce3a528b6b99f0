"""Rollout's metrics (GET /metrics): licenses issued, counted once their transaction commits."""

from django.db import transaction

from ilp.core.metrics import counter

LICENSES_ISSUED = counter(
    "ilp_licenses_issued", "Device licenses issued (kind: device or demo).", ("kind",)
)


def licenses_issued_count(count: int, *, kind: str = "device") -> None:
    """Count `count` new licenses when the current transaction commits (a rolled-back
    issuance counts nothing)."""
    if count:
        transaction.on_commit(lambda: LICENSES_ISSUED.labels(kind).inc(count))
