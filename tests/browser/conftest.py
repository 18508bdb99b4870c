"""Browser tests: headless Debian Chromium driven by Playwright against the embedded stack (the
session's `stack` of tests/conftest.py, shared with the integration tests).

`scripts/ensure-browser` installs Chromium (apt) and axe-core (npm) when missing. Every page a test
visits is checked with axe-core: no serious or critical WCAG 2.1 A/AA violation. With
PODIUM_SCREENSHOTS=1 the tests also write docs/screenshots/*.png.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.integration.conftest import Client, HouseFixture, unique
from tests.local_site import LocalSite

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "tests" / "browser" / ".node" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
# Without the background-networking flags Chromium keeps dialling out, and this closed network refuses it.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="session")
def signing_key(stack) -> str:
    return stack.secret_values["StaffTokenSecret"]


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists() or not AXE.exists():
        pytest.fail("Run scripts/ensure-browser (scripts/test does): Chromium or axe-core is missing.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium):
    """A fresh buyer (own cookies) reading Dutch."""
    context = chromium.new_context(locale="nl-BE", viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    if os.environ.get("PODIUM_BROWSER_DEBUG"):  # where the page ended, to read after a failure
        Path(os.environ["PODIUM_BROWSER_DEBUG"]).write_text(page.url + "\n" + page.content())
    context.close()
    assert not errors, f"JavaScript errors on the pages: {errors}"


def check_accessibility(page, frame=None) -> None:
    """axe-core on the page (or one frame): no serious or critical WCAG 2.1 A/AA violation."""
    target = frame or page
    for attempt in range(3):
        try:
            # A page that reloads itself (the desk redraws its seat map) must finish loading first.
            target.wait_for_load_state("load")
            # Evaluated through the DevTools protocol, which the pages' CSP (script-src 'self') does not govern.
            target.evaluate(AXE.read_text())
            result = target.evaluate(
                """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, iframes: false})
                .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                  nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))""",
                WCAG_TAGS,
            )
            break
        except PlaywrightError as error:
            if "Execution context was destroyed" not in str(error) or attempt == 2:
                raise
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    assert not bad, f"accessibility violations on {target.url}: {bad}"


def screenshot(page, name: str, full_page: bool = True) -> None:
    if os.environ.get("PODIUM_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


class BrandedHouse(HouseFixture):
    """A house created with website domains and branding (HouseFixture's builders for the rest)."""

    def __init__(self, stack, key: str, **house_fields):
        from chalicelib.web.auth import Role, issue_token

        self.stack, self.key = stack, key
        self.id = unique("house")
        coordinator = Client(stack.api_url, issue_token(key, "coordinator", Role.COORDINATOR, None))
        response = coordinator.post("/staff/houses", {"id": self.id, "name": f"Huis {self.id}", **house_fields})
        assert response.status_code == 201, response.text
        self.token = issue_token(key, f"admin@{self.id}", Role.HOUSE_ADMIN, self.id)
        self.admin = Client(stack.api_url, self.token)


class HostSite(LocalSite):
    """A house's own web site on another port of 127.0.0.1 (same site for cookies, another origin)."""

    def __init__(self):
        self.html = ""
        super().__init__(lambda path: (200, "text/html; charset=utf-8", self.html.encode()))
