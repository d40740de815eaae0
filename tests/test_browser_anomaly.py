"""Spotting anomalies in real Chromium: the page renders its charts with no error, and moving the threshold
slider with the keyboard reruns the page (the slider's value and the threshold's sentence follow) with no
exception shown or logged."""

from __future__ import annotations

import re

import pytest

from browser_support import exception_texts, open_app_page, slider_value, sliders, step_slider

pytestmark = pytest.mark.browser
PATH = "Spotting_anomalies"
WAIT_MS = 120_000  # generous: Chromium loads plotly slowly on a busy 2-core machine


def shown_threshold(text: str) -> float:
    return float(re.search(r"The threshold is ([0-9.]+) ppmv", text).group(1))


def test_the_page_renders_and_the_threshold_reruns_it(app_page, app_server):
    open_app_page(app_page, app_server.url, PATH, timeout_ms=WAIT_MS)
    app_page.get_by_role("heading", name="Spotting anomalies").wait_for()
    assert app_page.locator('[data-testid="stPlotlyChart"]').count() == 2
    assert not exception_texts(app_page) and not app_page.errors.messages
    thumb = sliders(app_page).first
    caption = app_page.get_by_text("The threshold is").first
    before_text = caption.inner_text()
    assert shown_threshold(before_text) == pytest.approx(float(slider_value(thumb)), abs=0.006)
    for _ in range(3):  # three steps down: a lower threshold
        before, after = step_slider(app_page, thumb, "ArrowLeft", timeout_ms=WAIT_MS)
        assert float(after) < float(before)
    assert not exception_texts(app_page), exception_texts(app_page)
    assert not app_page.errors.messages, app_page.errors.messages
    after_text = caption.inner_text()  # the sentence was recomputed for the new threshold
    assert after_text != before_text
    assert shown_threshold(after_text) == pytest.approx(float(after), abs=0.006)  # shown to 2 decimals
