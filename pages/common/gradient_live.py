"""The Vanishing gradients page's live view: the sequence length, ρ and the forget-gate bias move in the
browser, with no script run.

:func:`live_top` places the sliders, the gradient chart, its caption and the four metrics with the
data of :func:`lstm_vault.gradient_live.view_data`; :func:`live_part` places another part of the same
view where the page wants it ("rnn" and "lstm" readings, the "forget" chart, the "inputs" sentences). All
parts of one ``group`` share the sliders' state in the browser. The "lstm" part also carries
:func:`~lstm_vault.gradient_live.cross_data` (the committed values and the sentences that compare both
models), which changes when a slider comes to rest: the much larger view data stays as it was, and
Streamlit does not send it again. The "rnn" part carries the length slider's data
(:func:`~lstm_vault.gradient_live.length_data`: the views of the lengths next to the committed one, at the
committed ρ and bias), which also changes when a slider rests.

When the sliders rest, the browser sets this component's state ``at`` = {"rho", "fb", "T", "n"} (one
script run), which :func:`committed` reads, so what Python draws itself follows (``n`` numbers the
browser's commits, so that a length the sidebar's box has changed since is not put back). A first view
of a new input holds a few values of each slider and a few lengths; once shown, the browser asks for the
rest (state ``full``, :func:`live_part`). The browser also writes ``?rho=``, ``?fb=`` and ``?T=`` into the
address at every move, so a copied link opens at the values shown.
"""

from __future__ import annotations

import math

import streamlit as st

from pages.common.components import inline_component

_component = inline_component("gradient_live", '<div class="lv-gl"></div>')
PARTS = ("top", "rnn", "lstm", "forget", "inputs")


def _key(group: str, part: str) -> str:
    return f"{group}_live_{part}"


def live_state(group: str, name: str):
    """A state value the browser's live view set (None before it set one)."""
    state = st.session_state.get(_key(group, "top"))
    return state.get(name) if hasattr(state, "get") else None


def committed(group: str) -> dict[str, float] | None:
    """Where the browser's sliders last rested ({"rho": ..., "fb": ..., "T": ..., "n": ...}; the length
    ``T`` only where the view has a length slider, ``n`` counts the browser's commits), or None before
    they moved."""
    at = live_state(group, "at")
    if not isinstance(at, dict):
        return None
    out = {}
    for name in ("rho", "fb", "T", "n"):
        value = at.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            out[name] = float(value)
    return out or None


def live_top(view: dict, *, group: str) -> None:
    """The sliders, chart and metrics of ``view`` (:func:`lstm_vault.gradient_live.view_data`)."""
    data = {**view, "group": group, "part": "top"}
    _component(
        key=_key(group, "top"),
        data=data,
        default={"at": None, "full": None},
        on_at_change=lambda: None,
        on_full_change=lambda: None,
    )


def live_part(
    part: str,
    *,
    group: str,
    cross: dict | None = None,
    lengths: dict | None = None,
    expand: str | None = None,
    more_values: bool = False,
) -> None:
    """Another part of the group's view (its data comes with :func:`live_top`). The "lstm" part carries
    ``cross`` (:func:`lstm_vault.gradient_live.cross_data`); the "rnn" part carries ``lengths``
    (:func:`lstm_vault.gradient_live.length_data`: the length slider and its other lengths' views, None
    where the length is not a slider) and ``expand``: some of the payload is a first, small one (a few
    values of each slider, a few lengths); once it is shown, the browser sets the state ``full`` to this
    string (one script run), and the page then sends the rest. Small parts carry what changes when a
    slider rests, so that the top's large view data is not sent again. ``more_values``: the view (not only
    the lengths) is such a first payload, and the browser says that more slider values are on their way."""
    if part not in PARTS or part == "top":
        raise ValueError(f"part must be one of {PARTS[1:]}, got {part!r}")
    if (part == "lstm") != (cross is not None):
        raise ValueError("the 'lstm' part, and only it, carries the cross data")
    if part != "rnn" and (lengths is not None or expand is not None or more_values):
        raise ValueError("the 'rnn' part, and only it, carries the lengths and the expand request")
    data = {"group": group, "part": part}
    if part == "lstm":
        data["cross"] = cross
    if part == "rnn":
        data |= {"lengths": lengths, "expand": expand, "more_values": more_values}
    _component(key=_key(group, part), data=data)
