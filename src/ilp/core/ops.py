"""`GET /healthz` and `GET /metrics` (API.md, "Operations"); `ilp/urls.py` routes them."""

import ipaddress
import logging
from functools import lru_cache

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from .metrics import metrics_text
from .problems import problem_response
from .throttle import client_address

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request):
    """200 `{"status": "ok"}` when the database answers a query, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        logger.warning("healthz: the database does not answer: %s", exc)
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@lru_cache(maxsize=8)
def _networks(allow: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(item, strict=False) for item in allow)


def metrics_allowed(address: str) -> bool:
    """Whether `address` is in ILP_METRICS_ALLOW (addresses or networks; default loopback)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in net for net in _networks(tuple(settings.ILP_METRICS_ALLOW)))


@never_cache
@require_safe
def metrics(request):
    """Prometheus text of every metric, for addresses in ILP_METRICS_ALLOW only (403 else)."""
    if not metrics_allowed(client_address(request)):
        return problem_response(
            403, "metrics_not_allowed", _("Metrics are not available from this address.")
        )
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
