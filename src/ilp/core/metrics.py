"""Prometheus metrics: counters and histograms kept by the processes, gauges read at scrape time.

Counters and histograms are made with `counter()` / `histogram()` here; the app that owns
what they count defines them (rollout: licenses issued). Under `ilp serve` (gunicorn, several
worker processes) `PROMETHEUS_MULTIPROC_DIR` is set before any metric exists, so each process
writes its values to files there and a scrape adds up the files of all processes
(prometheus-client's multiprocess mode). Without it (runserver, tests) the values live in this
process's registry.

Gauges that describe the database (outbox backlog, tasks waiting) are not kept by any
process: the app that owns the table registers a reader with `scrape_gauge_register()` in its
`AppConfig.ready()`, and every scrape calls each reader once (`scrape_gauges_register()` lets
one reader, one aggregate query, feed several gauges).
"""

import datetime
import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger(__name__)

# The process's own metrics (used when not in multiprocess mode).
REGISTRY = CollectorRegistry(auto_describe=True)

# Seconds; web requests here take milliseconds to a few seconds (batch issuance, files).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def counter(name: str, documentation: str, labelnames: Sequence[str] = ()) -> Counter:
    return Counter(name, documentation, labelnames=labelnames, registry=REGISTRY)


def histogram(
    name: str,
    documentation: str,
    labelnames: Sequence[str] = (),
    buckets: Sequence[float] = LATENCY_BUCKETS,
) -> Histogram:
    return Histogram(name, documentation, labelnames=labelnames, buckets=buckets, registry=REGISTRY)


# --- gauges read at scrape time -------------------------------------------------------------

# A gauge's value: a number, or a list of (label values, value) for a labelled gauge.
GaugeValue = float | Iterable[tuple[Sequence[str], float]]
GaugeReader = Callable[[], GaugeValue]


@dataclass(frozen=True)
class ScrapeGauge:
    """One gauge that a reader given to `scrape_gauges_register()` reports."""

    name: str
    documentation: str
    labelnames: tuple[str, ...] = ()


@dataclass(frozen=True)
class _ScrapeReader:
    gauges: tuple[ScrapeGauge, ...]
    read: Callable[[], Mapping[str, GaugeValue]]


# Keyed by the names of the gauges a reader reports.
_scrape_readers: dict[tuple[str, ...], _ScrapeReader] = {}


def scrape_gauges_register(
    *, gauges: Sequence[ScrapeGauge], read: Callable[[], Mapping[str, GaugeValue]]
) -> None:
    """Let every scrape report `gauges` with the values `read()` returns, {gauge name: value},
    calling `read` once per scrape: gauges taken from one aggregate cost one query, not one
    each. Registering the same names again replaces the reader."""
    gauges = tuple(gauges)
    names = tuple(g.name for g in gauges)
    for key in [key for key in _scrape_readers if set(key) & set(names)]:
        del _scrape_readers[key]  # a gauge is reported by one reader only
    _scrape_readers[names] = _ScrapeReader(gauges, read)


def scrape_gauge_register(
    *, name: str, documentation: str, read: GaugeReader, labelnames: Sequence[str] = ()
) -> None:
    """Let every scrape report `name` with the value `read()` returns (one database query,
    say). Registering a name again replaces the reader."""
    scrape_gauges_register(
        gauges=[ScrapeGauge(name, documentation, tuple(labelnames))],
        read=lambda: {name: read()},
    )


def age_seconds(oldest: datetime.datetime | None) -> float:
    """Seconds since `oldest` (the oldest row still waiting), 0 when nothing waits."""
    return max((timezone.now() - oldest).total_seconds(), 0.0) if oldest else 0.0


class _ScrapeGaugeCollector:
    def collect(self):
        for reader in list(_scrape_readers.values()):
            try:
                values = reader.read()
            except Exception:  # one failing reader (database down) must not hide the rest
                logger.exception(
                    "metrics: reading gauge %s failed", ", ".join(g.name for g in reader.gauges)
                )
                continue
            for gauge in reader.gauges:
                family = GaugeMetricFamily(
                    gauge.name, gauge.documentation, labels=list(gauge.labelnames) or None
                )
                value = values[gauge.name]
                if gauge.labelnames:
                    for labels, sample in value:  # type: ignore[union-attr]
                        family.add_metric(list(labels), float(sample))
                else:
                    family.add_metric([], float(value))  # type: ignore[arg-type]
                yield family


class _ProcessCollector:
    """This process's own counters and histograms (single-process mode)."""

    def collect(self):
        yield from REGISTRY.collect()


def metrics_text() -> bytes:
    """The Prometheus text exposition of every metric, all processes added up."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        MultiProcessCollector(registry)
    else:
        registry.register(_ProcessCollector())
    registry.register(_ScrapeGaugeCollector())
    return generate_latest(registry)


# --- HTTP requests (the request middleware in core/observability.py records them) ----------

HTTP_REQUESTS = counter(
    "ilp_http_requests", "HTTP requests answered, by route pattern and status.",
    ("method", "route", "status"),
)  # fmt: skip
HTTP_LATENCY = histogram(
    "ilp_http_request_duration_seconds",
    "Time to answer an HTTP request (until the response is handed to the server).",
    ("method", "route"),
)
