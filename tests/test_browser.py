"""Every page (home, each pages/*.py) loads in real Chromium and survives a slider step with no error shown;
Step through steps in the browser's stepper (keys, buttons, Play) with no script run and the trace's numbers.

Runs the app under ``streamlit run`` and drives Debian's Chromium through Playwright; see browser_support.py
for how a finished script run is detected. Screenshots of each page at 1920x1080 and 1366x768 land in
screenshots/tests/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import re
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
from pages.common.navigation import PAGES as NAVIGATION

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
# Train's sliders sit in a form; Step through steps in the browser, tested below). A page listed here without
# a slider fails the test.
SLIDER_PAGES = ["Vanishing_gradients"]


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
SIDEBAR_NAMES = ["Home", *(page.label for page in NAVIGATION)]  # as declared once, in pages.common.navigation


def sidebar_names(page) -> list[str]:
    links = page.locator(SIDEBAR_LINKS)
    return [" ".join(links.nth(i).inner_text().split()[1:]) for i in range(links.count())]  # [0]: the icon


def test_sidebar_names_every_page_and_its_links_lead_there(app_page, app_server):
    """pages.common.navigation names the pages (Streamlit's own list, hidden, would call home "app")."""
    open_app_page(app_page, app_server.url, "")
    names = sidebar_names(app_page)
    assert names == SIDEBAR_NAMES, names
    assert len(names) == 1 + len(discover_pages())  # no page file is left out of the navigation
    assert app_page.locator('[data-testid="stSidebarNav"]').count() == 0  # no second, file-named list
    app_page.locator(SIDEBAR_LINKS).nth(2).click()
    app_page.wait_for_url(re.compile(r"/Vanishing_gradients(\?.*)?$"))  # the page then writes its link
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
        assert names == SIDEBAR_NAMES, names
        caption = page.locator('[data-testid="stCaptionContainer"]', has_text="Model:").first.inner_text()
        assert "Impulse" in caption and "b_f = 3" in caption, caption  # the link's state survived the rerun
        assert_clean(page, "after a first visit by address")
        page.context.close()


# ------------------------------------------------------------------------------ Step through's stepper

IMPULSE = {
    "preset": "impulse",
    "H": "4",
    "bf": "4",
    "bi": "4",
    "scale": "3",
    "hh": "0",
    "unit": "1",
    "t": "6",
}


def expect_step(page, t: int, lt, unit: int) -> None:
    """The stepper shows step t of ``lt``: header, drawn numbers, readings; the timeline's marker is there."""
    from playwright.sync_api import expect

    from lstm_vault import explain
    from lstm_vault.figures.cell import TIMELINE_MARGIN, TIMELINE_X_DOMAIN

    T = lt.h.shape[0]
    expect(page.locator(".lv-head")).to_have_text(
        f"t = {t} · unit {unit} · x\u209c = {explain.describe_input(lt.x[t, 0], None, 3)}"
    )
    slots = page.locator(".lv-cell [data-text]")
    keys = [slots.nth(i).get_attribute("data-text") for i in range(slots.count())]
    shown = dict(zip(keys, slots.all_text_contents()))
    v = explain.step_values(lt, t, unit)
    assert shown["f"] == f"f = {explain.fmt(v['f'])}", shown
    assert shown["c"] == f"c\u209c = {explain.fmt(v['c'])}", shown
    readings = page.locator(".lv-readings li").all_text_contents()
    assert readings == [line.replace("**", "") for line in explain.readings(lt, t, unit)]
    at = page.locator(".st-key-st_timeline").evaluate("el => el.style.getPropertyValue('--lv-step')")
    assert float(at) == pytest.approx((t + 0.5) / T)  # the timeline's marker sits at step t
    # and the line is drawn there: the container's ::after, over the figure's plot area
    line = page.locator(".st-key-st_timeline").evaluate(
        "el => { const s = getComputedStyle(el, '::after');"
        " return [s.content, parseFloat(s.left), el.getBoundingClientRect().width]; }"
    )
    left, right = TIMELINE_MARGIN["l"], TIMELINE_MARGIN["r"]
    lo, hi = TIMELINE_X_DOMAIN
    assert line[0] == '""' and line[1] == pytest.approx(
        left + (line[2] - left - right) * (lo + (hi - lo) * (t + 0.5) / T), abs=0.5
    )


def test_step_through_opens_at_the_link_s_step_and_steps_in_the_browser(app_page, app_server):
    """The home page's impulse link: opens at t = 6; keys step with no script run and show the trace's
    numbers; a knob reruns the page and keeps the step; a new input opens at t = 0."""
    from browser_support import runs_finished, wait_for_run
    from lstm_vault.handset import HandSetLSTM
    from lstm_vault.sequences import make_sequence

    page = app_page
    open_app_page(page, app_server.url, "Step_through?" + "&".join(f"{k}={v}" for k, v in IMPULSE.items()))
    x = make_sequence("impulse", 60)
    lt = HandSetLSTM(H=4, bf=4.0, bi=4.0, scale=3.0, hh=0.0).trace(x)
    expect_step(page, 6, lt, 1)
    runs = runs_finished(page)
    page.locator(".lv-head").click()  # focus the stepper
    for key, t in (("ArrowRight", 7), ("ArrowRight", 8), ("End", 59), ("Home", 0), ("ArrowRight", 1)):
        page.keyboard.press(key)
        expect_step(page, t, lt, 1)
    page.locator(".lv-next").click()
    expect_step(page, 2, lt, 1)
    page.wait_for_timeout(300)  # a rerun, had one been asked for, would have started by now
    assert runs_finished(page) == runs, "stepping ran the script"
    assert page.locator('[data-testid="stApp"]').get_attribute("data-test-script-state") == "notRunning"
    page.wait_for_function("() => new URL(location.href).searchParams.get('t') === '2'")  # a copied link
    # a knob reruns the page: the new cell's numbers, at the same step, and the link keeps both
    page.get_by_role("spinbutton", name="Forget-gate bias b_f").fill("2")
    page.keyboard.press("Enter")
    wait_for_run(page, runs)
    expect_step(page, 2, HandSetLSTM(H=4, bf=2.0, bi=4.0, scale=3.0, hh=0.0).trace(x), 1)
    linked = (
        "() => { const q = new URL(location.href).searchParams; return q.get('bf') + q.get('t') === '22'; }"
    )
    page.wait_for_function(linked)
    # a knob typed during Play is applied, and Play goes on
    page.locator(".lv-speed").select_option("2")
    page.locator(".lv-play").click()
    runs = runs_finished(page)
    output_bias = page.get_by_role("spinbutton", name="Output-gate bias b_o")
    output_bias.fill("1")
    page.keyboard.press("Enter")
    wait_for_run(page, runs)
    stepper = page.locator(".lv-stepper")
    assert stepper.get_attribute("data-playing") == "true" and output_bias.input_value() == "1.00"
    # Play goes on past the step it was at (at 2 steps/s the rerun may end before the next step is due)
    from playwright.sync_api import expect

    expect(stepper).to_have_attribute("data-t", re.compile(r"^(?!2$)\d+$"), timeout=5_000)
    page.locator(".lv-play").click()  # pause, and read the step shown
    t = int(stepper.get_attribute("data-t"))
    assert t > 2
    expect_step(page, t, HandSetLSTM(H=4, bf=2.0, bi=4.0, bo=1.0, scale=3.0, hh=0.0).trace(x), 1)
    # a new input opens at t = 0
    runs = runs_finished(page)
    page.get_by_role("spinbutton", name="Length T (time steps)").fill("30")
    page.keyboard.press("Enter")
    wait_for_run(page, runs)
    expect_step(
        page,
        0,
        HandSetLSTM(H=4, bf=2.0, bi=4.0, bo=1.0, scale=3.0, hh=0.0).trace(make_sequence("impulse", 30)),
        1,
    )
    assert_clean(page, "after stepping through")
