"""The coloured text: a text coloured character by character by one unit, recoloured in the browser.

A page makes the payload once per text, model and layer (:func:`lstm_vault.memory_view.text_payload`,
worth caching) and places it::

    memory_text(payload, key="held_out", group="memory")

The unit control, the quantity control (c, h or a gate) and the chips of the suggested units change the
colouring in the browser alone, with no script run: every unit's values are in the payload. Hovering a
character, or stepping with the arrow keys while the text has focus, shows every gate of the unit at that
step. Components of one ``group`` share the unit and the quantity: switching in one recolours all of them.

Every character and label of the data is written with ``textContent``; a line break is a line break
(``white-space: pre-wrap``), marked by a faint ↵ drawn by CSS. HTML, CSS and JavaScript are inline (Custom
Components v2, no iframe); the JavaScript and CSS live beside this file for reading.
"""

from __future__ import annotations

from pages.common.components import inline_component

_HTML = """
<div class="lv-memory" role="group" aria-label="Text coloured by one unit">
  <div class="lv-mem-controls">
    <label>unit <select class="lv-mem-unit" aria-label="unit"></select></label>
    <button class="lv-mem-prev" type="button" aria-label="previous unit" title="previous unit">‹</button>
    <button class="lv-mem-next" type="button" aria-label="next unit" title="next unit">›</button>
    <label>colour by <select class="lv-mem-quantity" aria-label="colour by"></select></label>
    <span class="lv-mem-legend"><span class="lv-mem-lo"></span><span class="lv-mem-bar"></span>
      <span class="lv-mem-hi"></span></span>
  </div>
  <div class="lv-mem-chips"></div>
  <p class="lv-mem-note"></p>
  <div class="lv-mem-step" aria-live="polite"></div>
  <div class="lv-mem-text" tabindex="0" aria-label="the text (arrow keys step through it)"></div>
  <p class="lv-mem-caption"></p>
</div>
"""

_component = inline_component("memory_text", _HTML)


def memory_text(payload: dict, *, key: str, group: str = "memory", lead: bool = False) -> None:
    """Place the coloured text for ``payload`` (:func:`lstm_vault.memory_view.text_payload`).

    key: names this element; group: components that share the unit and quantity shown; lead: when this
    element is sent a new payload (another model or text), the group starts again from its unit and quantity.
    """
    _component(key=key, data={**payload, "key": key, "group": group, "lead": lead})
