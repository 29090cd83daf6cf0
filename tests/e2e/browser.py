"""Debian's headless Chromium driven by Playwright, for the tests of the web pages
(test_browser.py, test_public_pages.py): `page` is a module-scoped tab whose `console_errors`
collects what the page reported as an error (a CSP violation, a script error)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("TOPI_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="module")
def page():
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: scripts/setup.sh test installs Debian's chromium"
    profile = tempfile.mkdtemp(prefix="topi-chromium-")
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page()
        errors: list[str] = []
        # A 4xx answer (a wrong password's 422) is logged by Chromium as a failed load; that is
        # the page working. Anything else (a CSP violation, a script error) is a failure.
        page.on("console", lambda m: errors.append(m.text)
                if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.console_errors = errors
        yield page
        browser.close()
    shutil.rmtree(profile, ignore_errors=True)


def screenshot(page, name: str) -> None:
    """Keeps what the page looked like as a test artifact (tests/e2e/artifacts/NAME.png)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
