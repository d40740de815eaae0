"""Make sure a page runs inside the app's navigation (``app.py``'s ``st.navigation``), not Streamlit's
older automatic one for a ``pages/`` folder.

Streamlit 1.67 decides per server process: until some run has called ``st.navigation``, a run goes
through the old multipage mode, which executes the requested page file directly and labels the
pages from their file names (the home page becomes "app"). The first visitor who opens a page by its
address (``/Step_through``) rather than the home page would get that sidebar. :func:`use_app_navigation`,
called first thing on every page, switches the process to ``st.navigation`` mode and reruns, so that
``app.py`` runs and names the pages. It reads a private flag (``PagesManager.uses_pages_directory``);
if a later Streamlit moves it, the call does nothing and the sidebar falls back to file names.
"""

from __future__ import annotations

import streamlit as st


def use_app_navigation() -> None:
    """Rerun through ``app.py``'s navigation when this run came through the old ``pages/`` mode."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the flag: nothing to switch
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False  # what st.navigation itself sets, process-wide
        st.rerun()
