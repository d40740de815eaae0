"""The Vanishing gradients page's live view: ρ and the forget-gate bias move in the browser, no script run.

:func:`live_top` places the two sliders, the gradient chart, its caption and the four metrics with the
payload of :func:`lstm_vault.gradient_live.live_payload`; :func:`live_part` places another part of the same
view where the page wants it ("rnn" and "lstm" readings, the "forget" chart, the "inputs" sentences). All
parts of one ``group`` share the sliders' state in the browser.

When the sliders rest, the browser sets this component's state ``at`` = {"rho", "fb"} (one script run),
which :func:`committed` reads, so what Python draws itself follows. The browser also writes ``?rho=`` and
``?fb=`` into the address at every move, so a copied link opens at the values shown.
"""

from __future__ import annotations

import math

import streamlit as st

from pages.common.components import inline_component

_component = inline_component("gradient_live", '<div class="lv-gl"></div>')
PARTS = ("top", "rnn", "lstm", "forget", "inputs")


def _key(group: str, part: str) -> str:
    return f"{group}_live_{part}"


def committed(group: str) -> dict[str, float] | None:
    """Where the browser's sliders last rested ({"rho": ..., "fb": ...}), or None before they moved."""
    state = st.session_state.get(_key(group, "top"))
    at = state.get("at") if hasattr(state, "get") else None
    if not isinstance(at, dict):
        return None
    out = {}
    for name in ("rho", "fb"):
        value = at.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            out[name] = float(value)
    return out or None


def live_top(payload: dict, *, group: str) -> None:
    """The sliders, chart and metrics of ``payload`` (:func:`lstm_vault.gradient_live.live_payload`)."""
    data = {**payload, "group": group, "part": "top"}
    _component(key=_key(group, "top"), data=data, default={"at": None}, on_at_change=lambda: None)


def live_part(part: str, *, group: str) -> None:
    """Another part of the group's view (its data comes with :func:`live_top`)."""
    if part not in PARTS or part == "top":
        raise ValueError(f"part must be one of {PARTS[1:]}, got {part!r}")
    _component(key=_key(group, part), data={"group": group, "part": part})
