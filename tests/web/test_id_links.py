"""IDs are links wherever they appear: every pack ID, order number, subscription key, UMS ID
and unit ID printed on the main pages sits inside a link (to its page, the UMS card, or Search
hardware), except where the page is that object (its heading) or the ID names a form control.
"""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from ilp.licensing.models import Order, ProductPack, Renewal, SubscriptionKey
from ilp.rollout.models import DeviceLicense, UmsInstance
from ilp.web import demo

pytestmark = pytest.mark.django_db

# Where an ID may stand without a link: the page's own title and headings, the choices of a
# form (options, labels of checkboxes, text areas) and the navigation's company switcher.
EXEMPT = {"title", "h1", "h2", "option", "label", "textarea", "select", "header", "script"}
VOID = {"input", "br", "img", "meta", "link", "hr", "col", "source", "wbr"}


class _Unlinked(HTMLParser):
    def __init__(self, ids: set[str]):
        super().__init__()
        self.pattern = re.compile(
            r"(?<![A-Za-z0-9-])("
            + "|".join(map(re.escape, sorted(ids, key=len, reverse=True)))
            + r")(?![A-Za-z0-9-])"
        )
        self.stack: list[str] = []
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if "a" in self.stack or EXEMPT & set(self.stack):
            return
        for match in self.pattern.finditer(data):
            self.found.append((match.group(1), "/".join(self.stack[-3:])))


def _ids(company) -> set[str]:
    ids = set(ProductPack.objects.filter(company=company).values_list("pack_id", flat=True))
    ids |= set(Order.objects.filter(company=company).values_list("order_number", flat=True))
    ids |= set(SubscriptionKey.objects.filter(company=company).values_list("key", flat=True))
    ids |= set(UmsInstance.objects.filter(company=company).values_list("ums_id", flat=True))
    ids |= set(DeviceLicense.objects.filter(company=company).values_list("unit_id", flat=True))
    return ids


def _unlinked(html: str, ids: set[str]) -> list[tuple[str, str]]:
    parser = _Unlinked(ids)
    parser.feed(html)
    return parser.found


@pytest.fixture
def acme():
    ctx = demo.load()
    return ctx


def _pages(ctx) -> list[str]:
    acme = ctx.companies["acme"]
    gaid = acme.gaid
    pack = ProductPack.objects.filter(company=acme, device_licenses__isnull=False).first()
    key = pack.subscription_key.key
    order = Order.objects.filter(company=acme).first().order_number
    unit = DeviceLicense.objects.filter(company=acme).first().unit_id
    base = f"/companies/{gaid}"
    return [
        f"{base}/",
        f"{base}/packs/",
        f"{base}/packs/{pack.pack_id}/",
        f"{base}/packs/{pack.pack_id}/licenses/",
        f"{base}/subscription-keys/",
        f"{base}/subscription-keys/{key}/",
        f"{base}/orders/",
        f"{base}/orders/{order}/",
        f"{base}/renewals/",
        f"{base}/devices/",
        f"{base}/hardware/?q={unit}",
        f"{base}/ums/",
        f"{base}/audit/",
        f"{base}/manage/",
        "/overview/",
    ]


def test_every_id_on_the_main_pages_is_a_link(acme):
    client = Client()
    client.force_login(acme.users["admin"])
    ids = _ids(acme.companies["acme"])
    problems = {}
    for url in _pages(acme):
        response = client.get(url)
        assert response.status_code == 200, url
        found = _unlinked(response.content.decode(), ids)
        if found:
            problems[url] = found[:5]
    assert not problems, problems


def test_the_links_lead_where_they_should(acme):
    client = Client()
    client.force_login(acme.users["admin"])
    company = acme.companies["acme"]
    gaid = company.gaid
    lic = DeviceLicense.objects.filter(company=company, ums__isnull=False).first()
    html = client.get(f"/companies/{gaid}/hardware/?q={lic.unit_id}").content.decode()
    assert f'href="/companies/{gaid}/packs/{lic.pack.pack_id}/"' in html
    assert f'href="/companies/{gaid}/ums/#{lic.ums.ums_id}"' in html
    html = client.get(f"/companies/{gaid}/ums/").content.decode()
    assert f'href="/companies/{gaid}/packs/{lic.pack.pack_id}/"' in html
    html = client.get(f"/companies/{gaid}/packs/{lic.pack.pack_id}/").content.decode()
    assert f'href="/companies/{gaid}/ums/#{lic.ums.ums_id}"' in html
    html = client.get(f"/companies/{gaid}/renewals/").content.decode()
    waiting = Renewal.objects.filter(company=company, status="awaiting_redemption").first()
    assert f'href="/companies/{gaid}/orders/{waiting.order.order_number}/"' in html


def test_the_checker_finds_a_bare_id():
    # The check above can fail: a pack ID printed as plain text in a cell is found.
    html = (
        '<main><table><tr><td class="mono">WE-7K3QX</td>'
        '<td><a href="/x">AB-12345</a></td></tr></table></main>'
    )
    assert _unlinked(html, {"WE-7K3QX", "AB-12345"}) == [("WE-7K3QX", "table/tr/td")]
