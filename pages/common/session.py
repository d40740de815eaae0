"""The session's shared objects: the model the Train page trained last, for the other pages to inspect.

The stored object is what training produced (e.g. a ``lstm_vault.modelfile.SavedModel``): pages
read its ``.rnn`` (a NumPy LSTM / GRU / RNN) and its ``.meta`` (``task``, ``task_options``, ...).
Pages must treat it as read-only.
"""

from __future__ import annotations

import streamlit as st

CURRENT_MODEL_KEY = "lv_current_model"


def current_model():
    """The model stored in this session by :func:`set_current_model`, or None."""
    return st.session_state.get(CURRENT_MODEL_KEY)


def set_current_model(obj) -> None:
    """Make ``obj`` the session's current model (None forgets it)."""
    if obj is None:
        st.session_state.pop(CURRENT_MODEL_KEY, None)
    else:
        st.session_state[CURRENT_MODEL_KEY] = obj
