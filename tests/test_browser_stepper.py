"""The client-side stepper in real Chromium (tests/apps/stepper_demo.py): keys, buttons and Play change the
header, the drawn numbers, the readings and the marker with no script run; ?t= opens at that step; markup
stays text."""

from __future__ import annotations

import importlib.util
import re

import pytest
from playwright.sync_api import expect

from browser_support import (
    REPO_ROOT,
    BrowserErrors,
    StreamlitServer,
    exception_texts,
    new_page,
    open_app_page,
    runs_finished,
    wait_for_run,
)
from lstm_vault import explain
from lstm_vault.figures import drawing

pytestmark = pytest.mark.browser
DEMO = REPO_ROOT / "tests" / "apps" / "stepper_demo.py"
T, H, UNIT = 24, 4, 1
QUERY = f"?T={T}&H={H}&unit={UNIT}"
# the step, whether Play is on and every step shown, recorded in the page as they happen
RECORD_JS = """() => {
  const root = document.querySelector('[data-testid="stBidiComponentIsolated"]').shadowRoot
    .querySelector('.lv-stepper');
  window.__shown = [];
  new MutationObserver(() => window.__shown.push(Number(root.dataset.t)))
    .observe(root, { attributes: true, attributeFilter: ['data-t'] });
}"""


def demo_trace(T: int, H: int):
    spec = importlib.util.spec_from_file_location("stepper_demo", DEMO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # its page code runs only under streamlit (__name__ == "__main__")
    return module.demo_trace(T, H)


@pytest.fixture(scope="module")
def demo_server():
    server = StreamlitServer(DEMO)
    try:
        server.start()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def page(browser, demo_server):
    page = new_page(browser)
    page.errors = BrowserErrors.attach(page)
    page.open = lambda query=QUERY: (open_app_page(page, demo_server.url, query), expect_ready(page))
    yield page
    assert not exception_texts(page) and not page.errors.messages, page.errors.messages
    page.context.close()


def expect_ready(page) -> None:
    expect(page.locator(".lv-head")).not_to_have_text("")


def no_run_since(page, runs: int) -> None:
    """No script run has finished since ``runs`` and the page sent the server nothing after the reset."""
    page.wait_for_timeout(300)  # a rerun, had one been asked for, would have been sent by now
    assert runs_finished(page) == runs
    assert page.evaluate("() => window.__lstmVault.sentAt") is None
    state = page.locator('[data-testid="stApp"]').get_attribute("data-test-script-state")
    assert state == "notRunning"


def quiet(page) -> int:
    page.evaluate("() => { window.__lstmVault.sentAt = null; }")
    return runs_finished(page)


def expect_step(page, t: int, lt) -> None:
    """Header, drawn numbers, fill bars, readings, slider and marker all show step t of the trace."""
    expect(page.locator(".lv-head")).to_have_text(
        f"t = {t} · unit {UNIT} · x\u209c = {explain.describe_input(lt.x[t, 0], None, 3)}"
    )
    v = explain.step_values(lt, t, UNIT)
    slots = page.locator(".lv-cell [data-text]")
    keys = [slots.nth(i).get_attribute("data-text") for i in range(slots.count())]
    shown = dict(zip(keys, slots.all_text_contents()))
    assert shown == {text.key: text.label for text in drawing.lstm_cell(v).texts if text.key}
    for gate in "figo":
        assert shown[gate] == f"{gate} = {explain.fmt(getattr(lt, gate)[t, 0, UNIT])}"
    assert shown["h"] == f"h\u209c = {explain.fmt(lt.h[t, 0, UNIT])}"
    forget = page.locator('.lv-cell [data-fill="f"]')
    height = float(forget.get_attribute("height")) / drawing.SVG_SCALE / drawing.GATE_H
    assert height == pytest.approx(v["f"], abs=0.01)
    readings = page.locator(".lv-readings li").all_text_contents()
    assert readings == [line.replace("**", "") for line in explain.readings(lt, t, UNIT)]
    assert page.locator(".lv-slider").input_value() == str(t)
    left = page.locator(".lv-marker").evaluate("el => el.style.left")
    assert float(left.rstrip("%")) == pytest.approx(100 * (t + 0.5) / T, abs=1e-3)  # CSS keeps 6 digits


def test_keys_and_buttons_step_the_drawing_with_no_script_run(page):
    lt = demo_trace(T, H)
    page.open()
    expect_step(page, 0, lt)
    runs = quiet(page)
    page.locator(".lv-head").click()  # focus the stepper
    for key, t in (("ArrowRight", 1), ("ArrowRight", 2), ("ArrowLeft", 1), ("End", T - 1), ("Home", 0)):
        page.keyboard.press(key)
        expect_step(page, t, lt)
    page.locator(".lv-next").click()
    page.locator(".lv-next").click()
    expect_step(page, 2, lt)
    page.locator(".lv-prev").click()
    expect_step(page, 1, lt)
    page.locator(".lv-slider").focus()
    page.keyboard.press("ArrowRight")  # once, not twice: the slider's own step is the stepper's
    expect_step(page, 2, lt)
    no_run_since(page, runs)
    page.wait_for_function("() => new URL(location.href).searchParams.get('t') === '2'")
    assert f"T={T}&H={H}&unit={UNIT}" in page.url  # the other parameters kept


def test_arrow_keys_step_only_while_the_stepper_has_focus(page):
    page.open()
    page.get_by_text("script runs in this session").click()
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(200)
    assert page.locator(".lv-stepper").get_attribute("data-t") == "0"


def test_play_advances_to_the_last_step_and_stops_there(page):
    page.open()
    page.locator(".lv-speed").select_option("50")
    runs = quiet(page)
    page.evaluate(RECORD_JS)
    page.locator(".lv-play").click()
    expect(page.locator(".lv-stepper")).to_have_attribute("data-playing", "false", timeout=10_000)
    page.wait_for_timeout(400)
    shown = page.evaluate("() => window.__shown")
    assert shown[-1] == T - 1 and shown == sorted(shown) and len(set(shown)) > T // 2, shown
    expect(page.locator(".lv-head")).to_have_text(re.compile(rf"^t = {T - 1} · "))
    no_run_since(page, runs)


def test_play_and_the_step_survive_a_rerun_caused_elsewhere(page):
    page.open()
    page.locator(".lv-head").click()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    runs = runs_finished(page)
    page.get_by_role("button", name="Rerun elsewhere").click()
    wait_for_run(page, runs)
    assert page.locator(".lv-stepper").get_attribute("data-t") == "3"
    page.locator(".lv-speed").select_option("2")
    page.locator(".lv-play").click()
    runs = runs_finished(page)
    page.get_by_role("button", name="Rerun elsewhere").click()
    wait_for_run(page, runs)
    expect(page.locator(".lv-stepper")).to_have_attribute("data-playing", "true")
    assert int(page.locator(".lv-stepper").get_attribute("data-t")) >= 3
    expect(page.get_by_text("script runs in this session: 3")).to_be_visible()


def test_a_link_with_t_opens_at_that_step(page):
    page.open(QUERY + "&t=5")
    expect_step(page, 5, demo_trace(T, H))


def test_markup_in_the_input_labels_is_shown_as_text(page):
    page.open("?T=6&H=2&unit=1&evil=1")
    evil = ("<script>window.__pwned = 1</script>", '<img src=x onerror="window.__pwned = 1">')
    page.locator(".lv-head").click()
    for t, label in enumerate(evil):
        if t:
            page.keyboard.press("ArrowRight")
        expect(page.locator(".lv-head")).to_have_text(f"t = {t} · unit 1 · x\u209c = {label}")
        expect(page.locator('.lv-cell [data-text="x"]')).to_have_text(f"x\u209c = {label}")
    assert page.locator(".lv-stepper script, .lv-stepper img, .lv-stepper b img").count() == 0
    assert page.locator(".lv-head *, .lv-cell text *").count() == 0  # text nodes only
    assert page.evaluate("() => window.__pwned") is None


def test_stepping_updates_the_prediction_and_its_markup_stays_text(page):
    """The read-out's panel follows the step with no script run; class names made of markup show as text."""
    spec = importlib.util.spec_from_file_location("stepper_demo", DEMO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    p = module.demo_prediction(6, 2)
    page.open("?T=6&H=2&unit=1&pred=1")
    runs = quiet(page)
    page.locator(".lv-head").click()
    for t in range(4):
        if t:
            page.keyboard.press("ArrowRight")
        expect(page.locator(".lv-head")).to_have_text(re.compile(rf"^t = {t} · "))
        expect(page.locator(".lv-pred-title")).to_have_text(f"Next, at t = {t}: the 3 most likely")
        cells = page.locator(".lv-pred-rows td").all_text_contents()
        assert cells == [text for c, q in p.top(t) for text in (p.names[c], f"{100 * q:.1f} %")]
        came = module.EVIL[t % 3]
        expect(page.locator(".lv-pred-lines li").last).to_contain_text(f"came: {came} (given ")
        y = page.locator('.lv-cell [data-text="y"]').text_content()
        assert y.startswith(f"ŷ\u209c: {p.names[p.top(t, 1)[0][0]]} ")
    no_run_since(page, runs)
    assert page.locator(".lv-pred script, .lv-pred img, .lv-cell img").count() == 0
    assert page.locator(".lv-pred td *, .lv-pred li *").count() == 0  # text nodes only
    assert page.evaluate("() => window.__pwned") is None
