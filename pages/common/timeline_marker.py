"""The step marker on the Step through page's timeline chart, moved by the browser's stepper.

The timeline (:func:`lstm_vault.figures.cell.timeline`) is one plotly chart of every unit over all steps,
sent once per trace. Its marker at step t is not part of the figure, so a step resends nothing: the chart
sits alone in ``st.container(key=key)``, whose documented CSS class is ``st-key-<key>``; the stepper
(``stepper(..., marks=[key])``) sets the variable ``--lv-step`` on that container to the step's centre as a
fraction of the time axis, and the CSS below draws a line there. The figure's margins and x domain are fixed
in the library (``TIMELINE_MARGIN``, ``TIMELINE_X_DOMAIN``), so the line meets the chart's plot area: nothing
is read from Streamlit's own DOM.

``--lv-step`` is registered as not inherited, and only the line takes it (``inherit``): an inherited variable
set on the container would restyle every element of the chart at each step (about 20 ms on a 2-core machine
for T = 200, H = 32, against 1 ms). Its syntax is ``*``: st.html's sanitiser drops a style whose text holds a
``<``, as ``'<number>'`` would.
"""

from __future__ import annotations

import streamlit as st

from lstm_vault.figures.cell import TIMELINE_MARGIN, TIMELINE_X_DOMAIN, marker_fraction


def marker_css(key: str, t: int, T: int) -> str:
    """The style of ``st.container(key=key)``: a vertical line at ``--lv-step`` (step t's until the stepper
    sets it) across the plot area of the timeline chart it holds."""
    left, right = TIMELINE_MARGIN["l"], TIMELINE_MARGIN["r"]
    lo, hi = TIMELINE_X_DOMAIN
    return (
        "@property --lv-step {syntax: '*'; inherits: false;}"
        f".st-key-{key} {{position: relative; --lv-step: {marker_fraction(t, T):.6f};}}"
        f".st-key-{key}::after {{content: ''; --lv-step: inherit; position: absolute; pointer-events: none;"
        " z-index: 2;"
        f" top: {TIMELINE_MARGIN['t']}px; bottom: {TIMELINE_MARGIN['b']}px; width: 2px; margin-left: -1px;"
        f" left: calc({left}px + (100% - {left + right}px) * ({lo} + {hi - lo} * var(--lv-step)));"
        " background: rgba(17, 17, 17, 0.85);}"
    )


def timeline_marker(key: str, t: int, T: int) -> None:
    """Place :func:`marker_css` on the page (an invisible style element)."""
    st.html(f"<style>{marker_css(key, t, T)}</style>")
