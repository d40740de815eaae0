"""The app's Custom Components v2 elements, each made of its own HTML, CSS and JS files beside it.

Every element (the stepper, the comparison stepper, the coloured text) is placed the same way: inline HTML,
its ``<stem>.css`` and ``<stem>.js`` from ``pages/common/`` (no build step, no iframe).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent


def inline_component(stem: str, html: str):
    """``st.components.v2.component`` named ``lstm_vault_<stem>``, with ``<stem>.css`` and ``<stem>.js``."""
    return st.components.v2.component(
        f"lstm_vault_{stem}",
        html=html,
        css=(HERE / f"{stem}.css").read_text(encoding="utf-8"),
        js=(HERE / f"{stem}.js").read_text(encoding="utf-8"),
    )
