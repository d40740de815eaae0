"""Every page (home, each pages/*.py) loads in real Chromium and survives a slider step with no error shown.

Runs the app under ``streamlit run`` and drives Debian's Chromium through Playwright; see browser_support.py
for how a finished script run is detected. Screenshots of each page at 1920x1080 and 1366x768 land in
screenshots/tests/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from browser_support import (
    SCREENSHOT_DIR,
    discover_pages,
    exception_texts,
    open_app_page,
    page_url_path,
    screenshot_name,
    slider_limits,
    slider_value,
    sliders,
    step_slider,
    take_screenshots,
)

pytestmark = pytest.mark.browser

PAGES = [pytest.param("", id="home")] + [pytest.param(page_url_path(p), id=p.name) for p in discover_pages()]


def assert_clean(page, when: str) -> None:
    shown = exception_texts(page)
    assert not shown, f"{page.url} shows an exception {when}:\n" + "\n---\n".join(shown)
    logged = page.errors.messages
    assert not logged, f"{page.url} logged browser errors {when}:\n" + "\n".join(logged)


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_without_errors(app_page, app_server, path):
    open_app_page(app_page, app_server.url, path)
    # Pages may write their state into the query string; the path must stay (a wrong one redirects to home).
    assert urlsplit(app_page.url).path.strip("/") == path, f"/{path} was redirected to {app_page.url}"
    assert app_page.locator('[data-testid="stAppViewContainer"]').is_visible()
    assert_clean(app_page, "after loading")
    take_screenshots(app_page, screenshot_name(path), SCREENSHOT_DIR / "tests")
    assert_clean(app_page, "after resizing for screenshots")


# The pages whose first control is a slider that reruns the page (the home and Train pages have none:
# Train's sliders sit in a form). A page listed here without a slider fails the test.
SLIDER_PAGES = ["Step_through", "Vanishing_gradients"]


@pytest.mark.parametrize("path", SLIDER_PAGES)
def test_first_slider_steps_with_keyboard(app_page, app_server, path):
    open_app_page(app_page, app_server.url, path)
    thumbs = sliders(app_page)
    assert thumbs.count() > 0, f"/{path} shows no slider"
    thumb = thumbs.first
    lo, hi = slider_limits(thumb)
    key = "ArrowLeft" if float(slider_value(thumb)) >= hi else "ArrowRight"
    before, after = step_slider(app_page, thumb, key)
    assert after != before, f"{key} on the first slider of /{path} left it at {before} (range {lo}..{hi})"
    assert_clean(app_page, f"after {key} on the first slider")


SIDEBAR_LINKS = '[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]'


def sidebar_names(page) -> list[str]:
    links = page.locator(SIDEBAR_LINKS)
    return [" ".join(links.nth(i).inner_text().split()[1:]) for i in range(links.count())]  # [0]: the icon


def test_sidebar_names_every_page_and_its_links_lead_there(app_page, app_server):
    """pages.common.navigation names the pages (Streamlit's own list, hidden, would call home "app")."""
    open_app_page(app_page, app_server.url, "")
    names = sidebar_names(app_page)
    assert names == ["Home", "Step through", "Vanishing gradients", "Train"], names
    assert len(names) == 1 + len(discover_pages())  # no page file is left out of the navigation
    assert app_page.locator('[data-testid="stSidebarNav"]').count() == 0  # no second, file-named list
    app_page.locator(SIDEBAR_LINKS).nth(2).click()
    app_page.wait_for_url("**/Vanishing_gradients")
    app_page.get_by_role("heading", name="Vanishing gradients: RNN vs LSTM").wait_for()
    assert_clean(app_page, "after following a sidebar link")


def test_a_first_visit_by_a_page_address_gets_the_app_sidebar_and_the_link(browser):
    """A fresh server whose first visitor opens a page by its own address: the page gets the app's sidebar
    (names, not file names) and the link's state."""
    from browser_support import REPO_ROOT, BrowserErrors, StreamlitServer, new_page

    with StreamlitServer(REPO_ROOT / "app.py") as server:
        page = new_page(browser)
        page.errors = BrowserErrors.attach(page)
        open_app_page(page, server.url, "Step_through?preset=impulse&H=4&bf=3")
        page.locator(SIDEBAR_LINKS).first.wait_for()
        names = sidebar_names(page)
        assert names == ["Home", "Step through", "Vanishing gradients", "Train"], names
        caption = page.locator('[data-testid="stCaptionContainer"]', has_text="Model:").first.inner_text()
        assert "Impulse" in caption and "b_f = 3" in caption, caption  # the link's state survived the rerun
        assert_clean(page, "after a first visit by address")
        page.context.close()
