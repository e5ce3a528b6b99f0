"""axe-core in the browser: the main pages have no serious or critical violations (WCAG 2.1 A
and AA rules plus axe's best practices), in English, at desktop width and at 390 px.

axe-core is vendored (`tests/e2e/vendor/axe.min.js`, MPL-2.0) and injected by Playwright into
each page. The portal sends a strict Content-Security-Policy (`script-src 'self'`), which would
block an injected script; this test's browser context alone uses `bypass_csp=True`. The portal
never serves axe.
"""

from pathlib import Path

import pytest

from ilp.web import demo

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
# Only what matters to a person with a disability: serious and critical findings fail.
BLOCKING = {"serious", "critical"}
RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
    resultTypes: ['violations'],
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' + n.failureSummary),
  }));
}"""


def _pages(ctx) -> list[str]:
    from ilp.licensing.models import ProductPack

    gaid = ctx.companies["acme"].gaid
    pack = ProductPack.objects.filter(
        company=ctx.companies["acme"], device_licenses__isnull=False
    ).first()
    base = f"/companies/{gaid}"
    return [
        f"{base}/",
        f"{base}/packs/",
        f"{base}/packs/{pack.pack_id}/",
        f"{base}/subscription-keys/",
        f"{base}/devices/",
        f"{base}/orders/",
        f"{base}/audit/",
        f"{base}/manage/",
        "/profile/",
        f"{base}/ums/",
        "/overview/",
        # Issue 24's pages: accept all, the company search, the split page's device search.
        f"{base}/eula/accept-all/",
        f"{base}/orders/?eula=pending",
        f"{base}/search/?q=we",
        f"{base}/packs/{pack.pack_id}/split/",
    ]


def _violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(RUN)
    return [v for v in found if v["impact"] in BLOCKING]


def _report(url: str, violations: list[dict]) -> str:
    lines = [f"{url}:"]
    for v in violations:
        lines.append(f"  {v['impact']} {v['id']}: {v['help']}")
        lines += [f"    {node}" for node in v["nodes"]]
    return "\n".join(lines)


@pytest.mark.parametrize("width", [1366, 390])
def test_main_pages_have_no_serious_axe_violations(browser, live_server, width):
    ctx = demo.load()
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": width, "height": 900},
        locale="en-GB",
        bypass_csp=True,  # only here: lets the vendored axe script run under the portal's CSP
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/login/")
        problems = []
        found = _violations(page)
        if found:
            problems.append(_report("/login/", found))
        page.get_by_label("E-mail").fill("admin@acme.example")
        page.get_by_role("button", name="Continue").click()  # the e-mail first
        page.get_by_label("Password").fill(demo.PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        for url in _pages(ctx):
            response = page.goto(url)
            assert response is not None and response.status == 200, url
            found = _violations(page)
            if found:
                problems.append(_report(url, found))
        # The upload page's warning about unit IDs that look wrong.
        from ilp.rollout.models import UmsInstance

        ums = UmsInstance.objects.filter(company=ctx.companies["acme"]).first()
        page.goto(f"/companies/{ctx.companies['acme'].gaid}/ums/{ums.ums_id}/upload/")
        page.locator("textarea").fill("ZZ:ZZ:ZZ:ZZ:ZZ:ZZ\n00E0C5AA00031")
        page.get_by_role("button", name="Issue licenses").click()
        page.get_by_role("button", name="Issue anyway").wait_for()
        found = _violations(page)
        if found:
            problems.append(_report("upload warning", found))
        assert not problems, "\n".join(problems)
    finally:
        context.close()


def test_the_check_can_fail(browser, live_server):
    # A button without a name is a critical violation: the check above would report it.
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    try:
        page.goto("/login/")
        page.evaluate("document.querySelector('main').append(document.createElement('button'))")
        assert "button-name" in {v["id"] for v in _violations(page)}
    finally:
        context.close()


@pytest.mark.parametrize("email", ["user@acme.example", "admin@northwind.example"])
def test_every_page_of_other_roles_at_390(browser, live_server, email):
    """A read-only user (tables without action buttons) and a company with empty lists (an
    empty table still scrolls on a phone): every navigation entry, the profile and overview."""
    demo.load()
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 900}, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/login/")
        page.get_by_label("E-mail").fill(email)
        page.get_by_role("button", name="Continue").click()  # the e-mail first
        page.get_by_label("Password").fill(demo.PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        hrefs = [a.get_attribute("href") for a in page.locator("nav.sidenav a").all()]
        problems = []
        for url in [*hrefs, "/profile/", "/overview/"]:
            response = page.goto(url)
            assert response is not None and response.status == 200, url
            found = _violations(page)
            if found:
                problems.append(_report(url, found))
        assert not problems, "\n".join(problems)
    finally:
        context.close()
