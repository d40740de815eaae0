"""The architectures page's one timestep control: every model's drawing stepped in the browser together.

The page sends :func:`lstm_vault.compare.step_payload` once per input, models and unit: each model's drawing
as an SVG template and its labels (and gate fills) at every step. The slider, the previous and next buttons
and the arrow keys change the step in the browser alone: no Streamlit state, no trigger, so no script run.
The step is kept across reruns under the component's key and written to the address (``?t=N``).

HTML, CSS and JavaScript inline (Custom Components v2); the JavaScript and CSS live beside this file. Data
is written with ``textContent`` and ``setAttribute``; the only markup parsed is the library's SVG templates.
"""

from __future__ import annotations

from pages.common.components import inline_component
from pages.common.stepper import step_from_query

_HTML = """
<div class="lv-compare" tabindex="0" role="group" aria-label="Step through time (arrow keys, Home, End)">
  <div class="lv-controls">
    <button class="lv-prev" type="button" aria-label="previous step" title="previous step">‹</button>
    <input class="lv-slider" type="range" min="0" max="0" step="1" value="0" aria-label="timestep t">
    <button class="lv-next" type="button" aria-label="next step" title="next step">›</button>
  </div>
  <p class="lv-head"></p>
  <div class="lv-panels"></div>
</div>
"""

_component = inline_component("compare_stepper", _HTML)


def compare_stepper(payload: dict, *, key: str, url_param: str = "t") -> None:
    """Place the stepper for ``payload``; it opens at ``?t=`` of the address (else 0) and keeps its step
    when a new payload arrives (clamped into range)."""
    T = int(payload["T"])
    data = {**payload, "key": key, "initial_t": step_from_query(T, url_param), "url_param": url_param}
    _component(key=key, data=data)
