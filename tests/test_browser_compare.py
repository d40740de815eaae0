"""The architectures page in real Chromium: it renders five models' drawings under one stepper, and keys and
buttons step all of them together (the numbers of the library's traces) with no script run and no error."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from browser_support import exception_texts, open_app_page, runs_finished
from lstm_vault import compare
from lstm_vault.explain import fmt
from lstm_vault.formatting import format_log10
from lstm_vault.sequences import make_sequence

pytestmark = pytest.mark.browser
T, H, SEED, UNIT = 20, 4, 1, 2


def expect_step(page, t: int, entries, labels) -> None:
    expect(page.locator(".lv-compare .lv-head")).to_have_text(f"t = {t} · unit {UNIT} · xₜ = {labels[t]}")
    by_key = {e.key: e for e in entries}
    gru = by_key["gru"].trace.layers[0][0]
    expect(page.locator('.lv-panel[data-key="gru"] [data-text="h"]')).to_have_text(
        f"hₜ = {fmt(gru.h[t, 0, UNIT])}"
    )
    bi = by_key["bidirectional"].trace
    pair = f"[{fmt(bi.layers[0][0].h[t, 0, UNIT])} ; {fmt(bi.layers[0][1].h[t, 0, UNIT])}]"
    expect(page.locator('.lv-panel[data-key="bidirectional"] [data-text="y"]')).to_have_text(pair)
    top = by_key["stacked"].trace.layers[-1][0]
    expect(page.locator('.lv-panel[data-key="stacked"] [data-text="y"]')).to_have_text(
        f"output yₜ = h of layer 2 = {fmt(top.h[t, 0, UNIT])}"
    )
    rnn_note = f"‖∂L/∂hₜ‖ = {format_log10(by_key['rnn'].log10_dh[t])} (loss at t = {T - 1})"
    expect(page.locator('.lv-panel[data-key="rnn"] .lv-note')).to_have_text(rnn_note)
    assert page.locator(".lv-compare .lv-slider").input_value() == str(t)


def test_the_page_renders_and_steps_every_model_in_the_browser(app_page, app_server):
    x = make_sequence("sine", T, seed=SEED)
    entries = compare.compare_random(x, H, SEED, layers=2)
    labels = compare.input_labels(x[:, None])
    query = f"?cmp_T={T}&cmp_H={H}&cmp_seed={SEED}&cmp_unit={UNIT}"
    open_app_page(app_page, app_server.url, "Architectures_compared" + query, timeout_ms=120_000)
    expect(app_page.locator(".lv-panel")).to_have_count(5)
    expect_step(app_page, 0, entries, labels)
    runs = runs_finished(app_page)
    app_page.locator(".lv-compare .lv-head").click()  # focus the stepper
    for key, t in (("ArrowRight", 1), ("ArrowRight", 2), ("End", T - 1), ("ArrowLeft", T - 2), ("Home", 0)):
        app_page.keyboard.press(key)
        expect_step(app_page, t, entries, labels)
    for _ in range(3):
        app_page.locator(".lv-compare .lv-next").click()
    app_page.locator(".lv-compare .lv-prev").click()
    expect_step(app_page, 2, entries, labels)
    app_page.wait_for_function("() => new URL(location.href).searchParams.get('t') === '2'")
    app_page.wait_for_timeout(300)  # a rerun, had a step asked for one, would have finished by now
    assert runs_finished(app_page) == runs
    assert not exception_texts(app_page) and not app_page.errors.messages, app_page.errors.messages
