"""The license file of the large customer's biggest UMS (issue 14): time and peak memory of
the old build (claims in memory, one `jws_sign`) beside the streamed one (temporary file,
two-pass Ed25519), each in a forked child process so that its peak RSS is its own
(`resource.getrusage(RUSAGE_CHILDREN).ru_maxrss` after the child exits, minus an idle
child's).

The tenant is `bench.tenant` at `ILP_BENCH_SCALE` (default 1 on PostgreSQL, 0.02 on
SQLite); its first UMS holds 55% of the packs and 61.6% of the licenses (308,000 at 1).

    .venv/bin/python -m bench.bench_license_file
"""

from __future__ import annotations

import datetime
import os
import resource
import sys
import time

from bench._harness import django_setup, test_database


def _old_build(ums) -> str:
    """The license file as issue 13 built it: every claim in memory, then signed."""
    from django.conf import settings
    from django.utils import timezone

    from ilp.licensing.schemas import PackOut
    from ilp.rollout import signing
    from ilp.rollout.files import revocation_list_sign
    from ilp.rollout.licensee import Licensee
    from ilp.rollout.schemas import LicenseOut
    from ilp.rollout.selectors import ums_license_list, ums_packs

    licensee = Licensee.of(ums)
    now = timezone.now()
    pair = signing.signing_key_current()
    packs = list(ums_packs(ums=licensee))
    by_pk = {p.pk: p for p in packs}
    licenses = list(ums_license_list(ums=licensee).filter(pack_id__in=list(by_pk)))
    lease_days = licensee.lease_days
    claims = {
        "iss": settings.ILP_BASE_URL,
        "iat": int(now.timestamp()),
        "gaid": licensee.company.gaid,
        "ums_id": licensee.ums_id,
        "product_packs": [PackOut.from_orm(p).model_dump(mode="json") for p in packs],
        "licenses": [LicenseOut.from_orm(lic).model_dump(mode="json") for lic in licenses],
        "revocations": revocation_list_sign(ums=licensee, pair=pair),
        "lease_days": lease_days,
        "refresh_by": int((now + datetime.timedelta(days=lease_days) / 2).timestamp()),
    }
    return signing.jws_sign(claims, pair=pair, typ=signing.LICENSE_FILE_TYP)


def _new_build(ums) -> int:
    """The streamed download, read to the end (bytes)."""
    from ilp.core.actors import Actor
    from ilp.rollout.files import license_file_response

    response = license_file_response(ums=ums, actor=Actor.system())
    if response.streaming:
        return sum(len(chunk) for chunk in response.streaming_content)
    return len(response.content)


def in_child(work) -> tuple[float, int, int]:
    """(seconds, peak RSS in KiB, exit status) of `work()` run in a forked child."""
    from django.db import connections

    connections.close_all()  # the child opens its own connection
    sys.stdout.flush()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        status = 0
        try:
            work()
        except BaseException as exc:  # noqa: BLE001
            print(f"child failed: {exc!r}", file=sys.stderr)
            status = 1
        finally:
            os._exit(status)
    _pid, status, usage = os.wait4(pid, 0)
    return time.perf_counter() - started, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


def main() -> int:
    django_setup()
    from django.db import connection

    from bench.tenant import build

    with test_database():
        default = "1" if connection.vendor == "postgresql" else "0.02"
        factor = float(os.environ.get("ILP_BENCH_SCALE", default))
        tenant = build(factor=factor, name="Large Customer")
        ums = tenant.ums[0]
        from ilp.rollout.models import DeviceLicense

        n = DeviceLicense.objects.filter(ums=ums, status="active").count()
        print(f"database: {connection.vendor}; license file of {ums.ums_id}: {n} licenses")
        _s, idle_kib, _st = in_child(lambda: None)
        results = {}
        for label, work in (
            ("old: in memory, one jws_sign", lambda: _old_build(ums)),
            ("new: temporary file, streamed", lambda: _new_build(ums)),
        ):
            seconds, kib, status = in_child(work)
            results[label] = (seconds, kib - idle_kib, status)
            print(
                f"  {label:32} {seconds:7.1f} s   peak RSS +{(kib - idle_kib) / 1024:8.1f} MiB"
                f"   (child {kib / 1024:.0f} MiB){'  FAILED' if status else ''}"
            )
        (t_old, m_old, _), (t_new, m_new, _) = results.values()
        print(f"  new/old: time {t_new / t_old:.2f}, memory {max(m_new, 1) / max(m_old, 1):.2f}")
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(f"  (peak RSS of this process: {own} MiB)")
    return 0 if all(status == 0 for *_x, status in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
