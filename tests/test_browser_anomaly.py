"""Spotting anomalies in real Chromium: the page renders its charts with no error, and moving the threshold
slider with the keyboard reruns the page (the slider's value and the sentence on flags follow) with no
exception shown or logged."""

from __future__ import annotations

import pytest

from browser_support import exception_texts, open_app_page, sliders, step_slider

pytestmark = pytest.mark.browser
PATH = "Spotting_anomalies"


def test_the_page_renders_and_the_threshold_reruns_it(app_page, app_server):
    open_app_page(app_page, app_server.url, PATH)
    app_page.get_by_role("heading", name="Spotting anomalies").wait_for()
    assert app_page.locator('[data-testid="stPlotlyChart"]').count() == 2
    assert not exception_texts(app_page) and not app_page.errors.messages
    thumb = sliders(app_page).first
    flags = app_page.get_by_text("The LSTM flags")
    before_text = flags.inner_text()
    for _ in range(3):  # three steps down: a lower threshold
        before, after = step_slider(app_page, thumb, "ArrowLeft")
        assert float(after) < float(before)
    assert not exception_texts(app_page), exception_texts(app_page)
    assert not app_page.errors.messages, app_page.errors.messages
    assert app_page.get_by_text("The threshold is").first.inner_text() != ""
    assert flags.inner_text() != before_text or "none" in before_text
