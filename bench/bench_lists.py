"""Lists stay flat: the product-packs API list, the dashboard and the packs page, each for a
company with 10 packs and one with 2,000.

Prints the SQL queries per request (they must be equal for both sizes: a list that runs a
query per row shows up here) and requests per second, with the ratio large/small.
Runs on a throw-away test database (in-memory SQLite unless DATABASE_URL says otherwise):

    make bench                       # every bench_* module
    .venv/bin/python -m bench.bench_lists
"""

import datetime
import os
import time

from bench._harness import django_setup, test_database

SIZES = (10, 2000)
SECONDS = float(os.environ.get("ILP_BENCH_SECONDS", "2"))  # per measurement
MAX_REQUESTS = 2000


def _company_with_packs(name: str, n: int):
    from ilp.accounts.models import Company, Membership, User
    from ilp.core.ids import crockford
    from ilp.licensing.models import Product, ProductPack, SubscriptionKey

    company = Company.objects.create(gaid=f"GA{crockford(8)}", name=name, country="DE")
    user = User.objects.create_user(f"admin-{n}@bench.test", "bench-password-1")
    Membership.objects.create(user=user, company=company, role="administrator")
    products = list(Product.objects.filter(sku__in=["WE", "EMP", "ICG"]).order_by("sku"))
    today = datetime.date.today()
    keys = SubscriptionKey.objects.bulk_create(
        SubscriptionKey(
            key=f"SK-{crockford(4)}-{crockford(4)}-{k:04d}",
            company=company,
            expires_on=today + datetime.timedelta(days=30 + k),
        )
        for k in range(max(1, n // 10))
    )
    packs = []
    for i in range(n):
        product = products[i % len(products)]
        key = keys[i % len(keys)]
        # A realistic mix: mostly active, some expired, some archived, varied expiries.
        expires = today + datetime.timedelta(days=(i % 400) - 40)
        packs.append(
            ProductPack(
                pack_id=f"{product.pack_prefix}-{i:05d}{n}"[: len(product.pack_prefix) + 9],
                subscription_key=key,
                company=company,
                product=product,
                seats=10 * (1 + i % 5),
                seats_used=i % 7,
                starts_on=today - datetime.timedelta(days=365),
                expires_on=expires,
                state=ProductPack.State.ARCHIVED if i % 25 == 24 else ProductPack.State.LIVE,
                comment=f"site {i % 13}",
            )
        )
    ProductPack.objects.bulk_create(packs, batch_size=500)
    return company, user


def _measure(label: str, request) -> tuple[int, float, int]:
    """(queries of one request, requests per second, status) for `request()`."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = request()  # warm-up: templates, caches
    with CaptureQueriesContext(connection) as ctx:
        response = request()
    queries = len(ctx.captured_queries)
    count, started = 0, time.perf_counter()
    while count < MAX_REQUESTS and time.perf_counter() - started < SECONDS:
        request()
        count += 1
    rate = count / (time.perf_counter() - started)
    return queries, rate, response.status_code


def _targets(company, user):
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from ilp.accounts.models import ApiToken
    from ilp.core.auth import USER_TOKEN_PREFIX
    from ilp.core.ids import new_token, token_hash

    token = new_token(USER_TOKEN_PREFIX)
    ApiToken.objects.create(user=user, name="bench", token_hash=token_hash(token))
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    browser = Client()
    browser.force_login(user)
    targets = {
        "API GET product-packs (limit 50)": lambda: api.get(
            f"/api/v1/companies/{company.gaid}/product-packs"
        ),
    }
    pages = (("page dashboard", "licensing:dashboard"), ("page packs", "licensing:packs"))
    for label, name in pages:
        try:
            url = reverse(name, kwargs={"gaid": company.gaid})
        except NoReverseMatch:
            print(f"  ({label}: URL {name} not defined, skipped)")
            continue
        targets[label] = lambda url=url: browser.get(url)
    return targets


def main() -> int:
    django_setup()
    from django.db import connection

    failed = False
    with test_database():
        print(f"database: {connection.vendor}; {SECONDS:g}s per measurement")
        results: dict[str, dict[int, tuple]] = {}
        for size in SIZES:
            company, user = _company_with_packs(f"Bench {size}", size)
            for label, request in _targets(company, user).items():
                results.setdefault(label, {})[size] = _measure(label, request)
        small, large = SIZES
        print(f"{'':34} {'queries':>15} {'requests/s':>21} {'ratio':>6}")
        print(f"{'':34} {small:>7} {large:>7} {small:>10} {large:>10} {'L/S':>6}")
        for label, by_size in results.items():
            (q_s, r_s, st_s), (q_l, r_l, st_l) = by_size[small], by_size[large]
            flag = ""
            if q_s != q_l:
                flag, failed = "  QUERIES GROW WITH SIZE", True
            if st_s != 200 or st_l != 200:
                flag, failed = f"{flag}  HTTP {st_s}/{st_l}", True
            print(f"{label:34} {q_s:>7} {q_l:>7} {r_s:>10.1f} {r_l:>10.1f} {r_l / r_s:>6.2f}{flag}")
    if failed:
        print("FAILED: a list's query count depends on its size, or a request failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
