"""Playwright for Python driving Debian's Chromium (Playwright's own browsers cannot be fetched here)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright

CHROMIUM = os.environ.get("ENTRAIDE_CHROMIUM", "/usr/bin/chromium")
#: Console errors a page may log on purpose: the staff pages ask who is there before the log-in.
EXPECTED = ("status of 401",)


def watch(page: Page, problems: list[str]) -> None:
    """Every page error, native dialog and unexpected console error of `page` goes into `problems`
    (a CSP violation is a console error): a test ends by asserting there was none."""
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error" and not any(e in msg.text for e in EXPECTED):
            problems.append(f"console: {msg.text}")

    page.on("console", on_console)


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: `make test` installs Debian's chromium package")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            await browser.close()
