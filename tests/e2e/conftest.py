"""Browser tests: Playwright (Python) driving Debian's Chromium against a live server.

Screenshots of each journey go to `var/screenshots/` (look at them: pages are for people).
"""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
# test itself (arranging data) are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(os.environ.get("ILP_SCREENSHOTS", "var/screenshots"))


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" not in str(item.fspath):
            continue
        item.add_marker(pytest.mark.e2e)
        # Browser tests need a committed database (the live server runs in another thread).
        # They flush it afterwards; post_migrate then restores the content types and the
        # starting product catalogue. (Serialized rollback is not used: Playwright's event
        # loop gives the test a different connection object, without the serialized data.)
        item.add_marker(pytest.mark.django_db(transaction=True), append=False)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


# Every page of every browser test runs under the Content-Security-Policy the server sends
# (issue 12). A violation — an inline script, handler or style, an eval — is reported by the
# browser as a `securitypolicyviolation` event; this script, added to every context a test
# opens, logs each one to the console, where `_csp_guard` collects it and fails the test.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  var where = e.target && e.target.outerHTML ? " in " + e.target.outerHTML.slice(0, 300) : "";
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
    + " at " + e.documentURI + (e.sample ? " (" + e.sample + ")" : "") + where);
}, true);
"""


@pytest.fixture(autouse=True)
def _csp_guard(request, monkeypatch):
    """Fail an e2e test whose pages had any Content-Security-Policy violation."""
    if "browser" not in request.fixturenames:
        yield
        return
    browser = request.getfixturevalue("browser")
    violations: list[str] = []
    real_new_context = browser.new_context

    def on_console(message):
        text = message.text
        if "CSP violation" in text or "Content Security Policy" in text:
            violations.append(text)

    def new_context(*args, **kwargs):
        context = real_new_context(*args, **kwargs)
        context.add_init_script(CSP_LISTENER)
        context.on("console", on_console)
        return context

    monkeypatch.setattr(browser, "new_context", new_context)
    yield violations
    if violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(violations))


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def shot(page, request):
    """`shot("name")` saves a full-page screenshot named after the test."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str):
        page.screenshot(path=str(SHOTS / f"{request.node.name}-{name}.png"), full_page=True)

    return take


@pytest.fixture
def login(page):
    def do(email: str, password: str):
        page.goto("/login/")
        page.get_by_label("E-mail").fill(email)
        page.get_by_role("button", name="Continue").click()  # the e-mail first
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()

    return do
