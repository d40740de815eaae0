"""Reading the memory in real Chromium: the coloured text renders, switching the unit recolours it with no
script run and no error, hovering a character shows its gates, a prompt full of markup is written as text
(no element made from it, no dialog), and another model starts from its own first unit."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from browser_support import REPO_ROOT, exception_texts, open_app_page, runs_finished, wait_for_run
from lstm_vault import memory_view, modelfile

pytestmark = pytest.mark.browser
HELD = ".lv-memory >> nth=0"
EVIL = '<script>alert(1)</script><img src=x onerror="window.__pwned = 1">'
COLOURS_JS = "el => Array.from(el.querySelectorAll('span')).slice(0, 400).map(s => s.style.backgroundColor)"


def test_the_coloured_text_recolours_in_the_browser_and_markup_stays_text(app_page, app_server):
    page = app_page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_app_page(page, app_server.url, "Reading_the_memory?model=Python", timeout_ms=120_000)
    held = page.locator(HELD)
    text = held.locator(".lv-mem-text")
    expect(text.locator("span")).to_have_count(2000)
    unit_select = held.locator("select.lv-mem-unit")
    first_unit = held.get_attribute("data-unit")
    before = text.evaluate(COLOURS_JS)
    runs = runs_finished(page)
    other = "0" if first_unit != "0" else "1"
    unit_select.select_option(other)
    expect(held).to_have_attribute("data-unit", other)
    after = text.evaluate(COLOURS_JS)
    assert after != before and all(after)
    held.locator("select.lv-mem-quantity").select_option("f")
    expect(held).to_have_attribute("data-quantity", "f")
    held.locator(".lv-mem-next").click()
    expect(held).to_have_attribute("data-unit", str(int(other) + 1))
    page.wait_for_timeout(300)
    assert runs_finished(page) == runs  # all of it in the browser
    text.locator("span").nth(5).hover()
    expect(held.locator(".lv-mem-step")).to_contain_text("t = 5 · character ")
    expect(held.locator(".lv-mem-step")).to_contain_text(" · f = ")

    page.get_by_label("Prompt").fill(EVIL)
    page.get_by_label("Characters to write").fill("40")
    runs = runs_finished(page)
    page.get_by_role("button", name="Write").click()
    wait_for_run(page, runs)
    written = page.locator(".lv-memory >> nth=1")
    expect(written.locator(".lv-mem-text span")).to_have_count(len(EVIL) + 40)
    assert written.locator(".lv-mem-text").text_content().startswith(EVIL)
    # the written text shares the unit and the quantity chosen above
    expect(written).to_have_attribute("data-unit", str(int(other) + 1))
    expect(written).to_have_attribute("data-quantity", "f")
    assert page.locator(".lv-memory script, .lv-memory img").count() == 0
    assert page.locator(".lv-mem-text span *").count() == 0  # every character a text node
    assert page.evaluate("() => window.__pwned") is None and dialogs == []

    # another model: the text starts again from that model's own first unit, the written text goes
    sonnets = modelfile.load(REPO_ROOT / "assets" / "models" / "text_lstm.npz")
    view = memory_view.text_view(sonnets, memory_view.held_out_text("sonnets"), "sonnets")
    runs = runs_finished(page)
    page.locator('[data-testid="stSidebar"]').get_by_text("Sonnets", exact=True).click()
    wait_for_run(page, runs, timeout_ms=120_000)
    expect(page.locator(".lv-memory")).to_have_count(1)
    expect(held).to_have_attribute("data-unit", str(memory_view.top_units(view.matches)[0].unit))
    expect(held).to_have_attribute("data-quantity", "c")
    assert held.locator(".lv-mem-text").text_content() == view.text
    assert not exception_texts(page) and not page.errors.messages, page.errors.messages
