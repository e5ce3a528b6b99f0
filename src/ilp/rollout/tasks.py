"""Rollout's background tasks (Django tasks, database backend; `ilp worker` runs them)."""

import logging
from collections.abc import Iterable

from django.db import transaction
from django.tasks import task

from ilp.core.actors import Actor
from ilp.licensing.models import ProductPack

from .services.resign import licenses_resign

logger = logging.getLogger("ilp.rollout")


@task()
def resign_licenses(pack_ids: list[int]) -> int:
    """Sign again the licenses of these renewed packs that name the old expiry (in batches)."""
    return licenses_resign(actor=Actor.system(), pack_ids=pack_ids)


def licenses_resign_soon(*, packs: Iterable[ProductPack]) -> None:
    """Once the current transaction commits, have the worker re-sign these packs' stale
    licenses. A lost enqueue loses nothing: documents are refreshed when asked for, and the
    daily `resign-licenses` job sweeps the rest."""
    pack_ids = sorted({p.pk for p in packs})
    if pack_ids:
        transaction.on_commit(lambda: _enqueue(pack_ids))


def _enqueue(pack_ids: list[int]) -> None:
    try:
        resign_licenses.enqueue(pack_ids)
    except Exception:  # the daily sweep re-signs them anyway
        logger.exception("could not enqueue re-signing of packs %s", pack_ids)
