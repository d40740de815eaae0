"""The client-side stepper: one layer's trace stepped through in the browser, with no script run per step.

A page makes the payload once per input, model and unit (:func:`lstm_vault.stepping.step_payload`, worth
caching) and places it::

    @st.cache_data(max_entries=8)
    def payload(fingerprint, _lt, unit):                     # a cached trace's fingerprint as the cache key
        return step_payload(_lt, unit, encoding=encoding)

    stepper(payload(fp, lt, unit), key="step")               # opens at ?t= of the address, else at 0

From then on the slider, the previous and next buttons, the arrow keys, Home and End (while the stepper has
focus), Play and the timeline strip change the step in the browser alone, and with it the drawn cell, the
readings and, when the payload has one, the model's prediction at that step. The component sets no Streamlit
state or trigger value (each would start a script run); it keeps the step itself, across reruns caused
elsewhere on the page, and writes it into the address (``?t=N``, other parameters kept), so a copied link
opens at the step shown. A page that writes ``st.query_params`` itself should carry the ``t`` that arrived
(the stepper puts its own back within a quarter of a second if a rerun's address drops it).

HTML, CSS and JavaScript are inline (Custom Components v2, no iframe, no build step); the JavaScript and
CSS live beside this file for reading.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from pages.common.components import inline_component

_HTML = """
<div class="lv-stepper" tabindex="0" role="group" aria-label="Step through time (arrow keys, Home, End)">
  <div class="lv-controls">
    <button class="lv-prev" type="button" aria-label="previous step" title="previous step">‹</button>
    <input class="lv-slider" type="range" min="0" max="0" step="1" value="0" aria-label="timestep t">
    <button class="lv-next" type="button" aria-label="next step" title="next step">›</button>
    <button class="lv-play" type="button">▶ Play</button>
    <select class="lv-speed" aria-label="Play speed"></select>
  </div>
  <div class="lv-strip"><canvas class="lv-canvas"></canvas><div class="lv-row"></div>
    <div class="lv-marker"></div></div>
  <p class="lv-strip-label"></p>
  <p class="lv-note"></p>
  <div class="lv-head"></div>
  <div class="lv-body">
    <div class="lv-cell"></div>
    <div class="lv-side">
      <div class="lv-pred" hidden><p class="lv-pred-title"></p><table class="lv-pred-rows"></table>
        <ul class="lv-pred-lines"></ul></div>
      <ul class="lv-readings"></ul><p class="lv-caption"></p>
    </div>
  </div>
</div>
"""

_component = inline_component("stepper", _HTML)


def step_from_query(T: int, param: str = "t") -> int:
    """The step the address asks for (``?t=N``), clamped into [0, T - 1]; 0 when absent or not a number."""
    raw = st.query_params.get(param, "0")
    try:
        t = int(raw)
    except ValueError:
        t = 0
    return min(max(t, 0), max(T - 1, 0))


def stepper(
    payload: dict, *, key: str, initial_t: int | None = None, url_param: str = "t", marks: Sequence[str] = ()
) -> None:
    """Place the stepper for ``payload`` (:func:`lstm_vault.stepping.step_payload`).

    key: names this stepper; it keeps its step, Play and speed under this key in the browser.
    initial_t: the step shown when the stepper first appears in this tab (default: ``?<url_param>=``).
        Later payloads of the same key keep the step shown (clamped into range when T changes).
    url_param: the address parameter the step is written to (two steppers on a page need two).
    marks: keys of ``st.container`` s that hold a chart of the same time axis: the stepper sets their CSS
        variable ``--lv-step`` to the step's centre as a fraction of the axis, (t + 0.5) / T, and the page's
        CSS draws the marker from it (``pages.common.timeline_marker``).
    """
    T = int(payload["T"])
    t = step_from_query(T, url_param) if initial_t is None else min(max(int(initial_t), 0), T - 1)
    data = {**payload, "key": key, "initial_t": t, "url_param": url_param}
    _component(key=key, data=data | ({"marks": list(marks)} if marks else {}))
