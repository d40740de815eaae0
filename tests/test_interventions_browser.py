"""In real Chromium: picking an experiment on Step through (hide the memory, o = 0) reruns the page with no
error, says an experiment is on, and the stepper's drawn cell shows the forced gate."""

from __future__ import annotations

import pytest

from browser_support import exception_texts, open_app_page, runs_finished, wait_for_run

pytestmark = pytest.mark.browser


def test_setting_a_clamp_on_step_through_shows_the_clamped_cell(app_page, app_server):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    from lstm_vault import GateClamp, explain
    from lstm_vault.handset import HandSetLSTM
    from lstm_vault.sequences import make_sequence

    page = app_page
    open_app_page(page, app_server.url, "Step_through", timeout_ms=180_000)  # maybe the server's first run
    runs = runs_finished(page)
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]', has_text="Experiment")
    option = page.get_by_role("option", name="hide the memory (o = 0)")
    for _ in range(3):  # under load a click can land while the list is still being mounted: open it again
        box.click()
        try:
            option.wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    option.click()
    wait_for_run(page, runs)
    note = page.locator('[data-testid="stAlert"]', has_text="Experiment on:")
    expect(note).to_contain_text("o held at 0 for unit 0, steps 50 to 99")  # a preset starts halfway
    lt = HandSetLSTM().trace(make_sequence("sine"), [GateClamp("o", 0.0, start=50, units=(0,))])
    page.locator(".lv-head").click()  # focus the stepper, and go to the last step
    page.keyboard.press("End")
    expect(page.locator('.lv-cell [data-text="o"]')).to_have_text(f"o = {explain.fmt(lt.o[99, 0, 0])}")
    expect(page.get_by_role("heading", name="What the experiment changed")).to_be_visible()
    assert not exception_texts(page), exception_texts(page)
    assert not page.errors.messages, page.errors.messages
