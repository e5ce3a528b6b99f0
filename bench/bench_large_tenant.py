"""A large customer's pages and lists (issue 14): server time and SQL queries of each, for a
small customer and the large one built by `bench.tenant`, side by side.

The large tenant is 20,000 packs, 500,000 licenses and 500,000 audit events times
`ILP_BENCH_SCALE` (default 1 on PostgreSQL, 0.02 on SQLite); the small one is 1/500 of it.
Each figure is the median of `ILP_BENCH_REPEAT` (default 10) warm requests through Django's
test client (in-process: server time, no network). Target: ≤ 150 ms each at the large size,
and query counts equal at both sizes.

    make bench                                   # SQLite, every bench_* module
    make bench-postgres                          # the same on a throw-away PostgreSQL DB
    .venv/bin/python -m bench.bench_large_tenant # this one only
    .venv/bin/python -m bench.bench_large_tenant --existing <GAID>  # a tenant already built
                                                 # on DATABASE_URL by `python -m bench.tenant`
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from bench._harness import django_setup, test_database

TARGET_MS = 150.0


def repeat() -> int:
    return int(os.environ.get("ILP_BENCH_REPEAT", "10"))


def targets(company, user, ums: list, credentials: list) -> dict:
    """label → a callable making one request (the tenant's pages and lists)."""
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from ilp.accounts.models import ApiToken
    from ilp.core.auth import USER_TOKEN_PREFIX
    from ilp.core.ids import new_token, token_hash
    from ilp.rollout.models import DeviceLicense, PackAssignment

    token = new_token(USER_TOKEN_PREFIX)
    ApiToken.objects.get_or_create(
        user=user, name="bench-large", defaults={"token_hash": token_hash(token)}
    )
    ApiToken.objects.filter(user=user, name="bench-large").update(token_hash=token_hash(token))
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    first_ums = Client(HTTP_AUTHORIZATION=f"Bearer {credentials[0]}")
    browser = Client()
    browser.force_login(user)
    gaid = company.gaid
    big = ums[0]
    unit = (
        DeviceLicense.objects.filter(ums=big, status="active")
        .order_by("-id")
        .values_list("unit_id", flat=True)
        .first()
    ) or "000000000001"

    # The last page of the biggest UMS's packs (a deep offset, like the company list's).
    deep_ums = max(PackAssignment.objects.filter(ums=big).count() - 50, 0)

    def page(name, query="", **kwargs):
        try:
            url = reverse(name, kwargs={"gaid": gaid, **kwargs}) + query
        except NoReverseMatch:  # a page this version does not have
            return None
        return lambda: browser.get(url)

    return {
        # The bare request every figure is compared with (same run, same load): the JWKS.
        "bare GET /.well-known/jwks.json": lambda: browser.get("/.well-known/jwks.json"),
        "page dashboard": page("licensing:dashboard"),
        "page packs": page("licensing:packs"),
        "page packs, sorted by expiry": page("licensing:packs", "?sort=expires"),
        "page devices": page("rollout:devices"),
        "page search hardware": page("rollout:hardware", f"?q={unit}"),
        "page UMS IDs": page("rollout:ums_list"),
        "page packs of a UMS": page("rollout:ums_packs", ums_id=big.ums_id),
        "page packs of a UMS, search": page("rollout:ums_packs", "?q=000", ums_id=big.ums_id),
        "page upload of a UMS": page("rollout:upload", ums_id=big.ums_id),
        "page audit log": page("web:audit"),
        "API GET ums": lambda: api.get(f"/api/v1/companies/{gaid}/ums"),
        "API GET product-packs": lambda: api.get(f"/api/v1/companies/{gaid}/product-packs"),
        "API GET product-packs deep": lambda: api.get(
            f"/api/v1/companies/{gaid}/product-packs?offset=19950&limit=50"
        ),
        "API GET events": lambda: api.get(f"/api/v1/companies/{gaid}/events"),
        "API GET devices": lambda: api.get(f"/api/v1/companies/{gaid}/devices"),
        "UMS GET /ums/licenses": lambda: first_ums.get("/api/v1/ums/licenses"),
        "UMS GET /ums/licenses?unit_id": lambda: first_ums.get(
            f"/api/v1/ums/licenses?unit_id={unit}"
        ),
        "UMS GET /ums/product-packs": lambda: first_ums.get("/api/v1/ums/product-packs"),
        "UMS GET /ums/product-packs deep": lambda: first_ums.get(
            f"/api/v1/ums/product-packs?offset={deep_ums}&limit=50"
        ),
    }


def measure(request) -> tuple[int, float, int]:
    """(queries of one request, median milliseconds, status)."""
    from django.db import connection

    request()  # warm-up
    # An execute wrapper counts every statement, also outside a test transaction, where the
    # request's signals reset (or the connection closes) the debug log a capture reads.
    executed = 0

    def count(execute, sql, params, many, context):
        nonlocal executed
        executed += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = request()
    times = []
    for _ in range(repeat()):
        started = time.perf_counter()
        request()
        times.append((time.perf_counter() - started) * 1000)
    return executed, statistics.median(times), response.status_code


def measure_all(tenant) -> dict[str, tuple]:
    found = targets(tenant.company, tenant.user, tenant.ums, tenant.credentials)
    return {label: measure(request) for label, request in found.items() if request}


def report(small: dict | None, large: dict, *, sizes: str) -> bool:
    """Print the table; True if every large figure holds (≤ 150 ms, equal queries, 200).
    `× bare`: the large figure over the bare request's in the same run (the machine's load
    cancels out)."""
    ok = True
    print(sizes)
    bare = large.get("bare GET /.well-known/jwks.json", (0, 1.0, 200))[1] or 1.0
    print(f"{'':34} {'queries':>13} {'ms (median)':>19} {'target':>7} {'large':>7}")
    print(f"{'':34} {'small':>6} {'large':>6} {'small':>9} {'large':>9} {'ms':>7} {'× bare':>7}")
    for label, (q_l, ms_l, st_l) in large.items():
        q_s, ms_s, st_s = small[label] if small else (None, None, None)
        flags = []
        if ms_l > TARGET_MS:
            flags.append("OVER TARGET")
        if small and q_s != q_l:
            flags.append("QUERIES GROW")
        if st_l != 200 or (small and st_s != 200):
            flags.append(f"HTTP {st_s}/{st_l}")
        ok = ok and not flags
        q_s_text = "" if q_s is None else q_s
        ms_s_text = "" if ms_s is None else f"{ms_s:.1f}"
        print(
            f"{label:34} {q_s_text:>6} {q_l:>6} {ms_s_text:>9} {ms_l:>9.1f} {TARGET_MS:>7.0f}"
            f" {ms_l / bare:>7.1f}  {' '.join(flags)}"
        )
    return ok


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    django_setup()
    from django.db import connection

    if argv[:1] == ["--existing"]:
        from bench.tenant import Tenant
        from ilp.accounts.models import Company, Membership
        from ilp.rollout.models import UmsInstance

        company = Company.objects.get(gaid=argv[1])
        user = Membership.objects.filter(company=company).first().user
        ums = list(UmsInstance.objects.filter(company=company).order_by("name"))
        tenant = Tenant(company, user, ums, [f"ilpm_bench{u.ums_id[3:]}" for u in ums], 0, 0, 0)
        report(None, measure_all(tenant), sizes=f"existing tenant {company.gaid}")
        return 0

    from bench.tenant import build

    with test_database():
        default = "1" if connection.vendor == "postgresql" else "0.02"
        factor = float(os.environ.get("ILP_BENCH_SCALE", default))
        started = time.perf_counter()
        small_tenant = build(factor=factor / 500, name="Small Customer")
        large_tenant = build(factor=factor, name="Large Customer")
        built = time.perf_counter() - started
        print(
            f"database: {connection.vendor}; large tenant {large_tenant.packs} packs, "
            f"{large_tenant.licenses} licenses, {large_tenant.events} events "
            f"(built in {built:.1f}s); median of {repeat()}"
        )
        small = measure_all(small_tenant)
        large = measure_all(large_tenant)
        ok = report(
            small,
            large,
            sizes=f"small: {small_tenant.packs} packs, {small_tenant.licenses} licenses; "
            f"large: {large_tenant.packs} packs, {large_tenant.licenses} licenses",
        )
    if not ok:
        print("FAILED: a large-tenant figure is over target or its queries grow")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
