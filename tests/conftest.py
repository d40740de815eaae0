"""Fixtures for the browser tests: a Streamlit server per session, a Chromium per module, a page per test."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from browser_support import (
    REPO_ROOT,
    BrowserErrors,
    StreamlitServer,
    chromium_problem,
    launch_chromium,
    new_page,
)


@functools.cache
def _runs_pages(path: str) -> bool:
    """Whether a test module drives the app's pages through Streamlit's AppTest."""
    source = Path(path).read_text(encoding="utf-8")
    return "page_app" in source or "AppTest" in source


def pytest_collection_modifyitems(config, items):
    """Mark every test of a module that runs pages in AppTest ``app``: CI's second pass, on another BLAS
    kernel, reruns the library's numbers (``-m "not browser and not app"``), which page tests compare with."""
    for item in items:
        path = getattr(item, "path", None)
        if path is not None and path.suffix == ".py" and _runs_pages(str(path)):
            item.add_marker(pytest.mark.app)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def app_server():
    """``streamlit run app.py`` on a free port, healthy before the first test uses it."""
    server = StreamlitServer(REPO_ROOT / "app.py")
    try:
        server.start()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium via Playwright; missing Chromium fails under CI=true and skips elsewhere.

    Module scope, not session: Playwright's sync API owns an asyncio loop while it is open, so it is closed
    before other test files (e.g. streamlit's AppTest) run.
    """
    problem = chromium_problem()
    if problem:
        if in_ci():
            pytest.fail(f"CI=true but the browser tests cannot run: {problem}", pytrace=False)
        pytest.skip(f"browser tests need Chromium: {problem}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch_chromium(pw)
        yield chromium
        chromium.close()


@pytest.fixture
def app_page(browser, app_server):
    """A fresh 1920x1080 page; its console errors and uncaught exceptions collect in ``page.errors``."""
    page = new_page(browser)
    page.errors = BrowserErrors.attach(page)
    yield page
    page.context.close()
