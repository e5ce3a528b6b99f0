"""Browser tests under the Content-Security-Policy (issue 12): the guard of conftest.py sees a
violation; the behaviours moved from inline handlers into ilp.js work (copy, confirm,
auto-submitting selects, the dashboard's bars); the Django admin works under the policy."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from ilp.accounts.models import ApiToken
from ilp.rollout.models import UmsInstance
from tests.accounts.factories import PASSWORD, add_member, make_company, make_user
from tests.licensing.factories import make_key
from tests.rollout.factories import make_ums

pytestmark = pytest.mark.django_db(transaction=True)


def test_pages_carry_the_policy_and_the_guard_sees_a_violation(page, _csp_guard):
    response = page.goto("/login/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe" not in policy
    # An inline handler and a style attribute, as a template might have them: both refused.
    page.evaluate(
        """document.body.insertAdjacentHTML("beforeend",
             '<p style="color: red">x</p><img src="data:," onerror="window.ran = 1">')"""
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.ran") is None
    assert any("style-src" in v for v in _csp_guard), _csp_guard
    assert any("script-src" in v for v in _csp_guard), _csp_guard
    _csp_guard.clear()  # the guard would fail this test otherwise: that is its job


def test_script_behaviours_work_without_inline_code(page, login, company, settings, tmp_path):
    settings.DATA_DIR = tmp_path  # the UMS's signing key
    pack = make_key(company, packs=[("WE", 10)]).product_packs.get()
    admin = make_user("admin@acme.test", company=company, role="administrator")
    add_member(admin, make_company(name="Beta AG"), role="administrator")
    make_ums(company, packs=[pack], name="HQ")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login("admin@acme.test", PASSWORD)
    page.wait_for_url(lambda url: "/login/" not in url)

    # Dashboard bars: widths from CSS classes, not style attributes.
    page.goto(reverse("licensing:dashboard", kwargs={"gaid": company.gaid}))
    bar = page.locator(".bar").first
    expect(bar).to_be_visible()
    assert bar.bounding_box()["width"] > 100

    # Copy button (data-copy): the GAID lands on the clipboard, the label says so.
    page.goto(reverse("accounts:manage_company", kwargs={"gaid": company.gaid}))
    page.locator("#gaid-copy").click()
    expect(page.locator("#gaid-copy")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == company.gaid

    # Confirm (data-confirm): cancelling keeps the UMS, accepting deletes it.
    page.goto(reverse("rollout:ums_list", kwargs={"gaid": company.gaid}))
    page.get_by_text("Settings", exact=True).click()
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Delete UMS").click()
    page.wait_for_timeout(300)
    assert UmsInstance.objects.filter(company=company).count() == 1
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete UMS").click()
    expect(page.get_by_role("button", name="Delete UMS")).to_have_count(0)
    assert UmsInstance.objects.filter(company=company).count() == 0

    # The same data-confirm on a form htmx posts: cancelling keeps the API token (htmx never
    # sends the request), accepting revokes it and htmx swaps the list.
    page.goto(reverse("accounts:profile"))
    page.locator("#token-name").fill("inventory script")
    page.get_by_role("button", name="Create token").click()
    revoke = page.locator("#tokens").get_by_role("button", name="Revoke")
    expect(revoke).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.dismiss())
    revoke.click()
    page.wait_for_timeout(300)
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 1
    page.once("dialog", lambda dialog: dialog.accept())
    revoke.click()
    expect(revoke).to_have_count(0)
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 0

    # Auto-submitting selects (data-autosubmit): the company switcher and the language.
    page.locator("#company-switcher").select_option(label="Beta AG (Administrator)")
    expect(page.locator(".company-head")).to_contain_text("Beta AG")
    page.locator("select[name=language]").select_option("de")
    expect(page.locator("html")).to_have_attribute("lang", "de")


def test_admin_works_under_the_policy(page):
    make_user("staff@vendor.test", is_staff=True, is_superuser=True)
    page.goto("/admin/")
    page.get_by_label("E-mail").fill("staff@vendor.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    # A change list with filters and actions, and a change form with widgets and inlines.
    page.goto("/admin/accounts/user/")
    expect(page.locator("#result_list")).to_be_visible()
    page.locator("#result_list tbody a").first.click()
    expect(page.locator("#content-main form")).to_be_visible()
    page.goto("/admin/accounts/company/add/")
    expect(page.locator("#content-main form")).to_be_visible()


def test_api_docs_work_under_the_policy(page):
    # django-ninja's Swagger UI from our static files (not a CDN, no inline script).
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("ILP API")
    expect(page.locator(".opblock").first).to_be_visible()
