"""The session's shared objects: the model the Train page trained last, for the other pages to inspect.

The stored object is what training produced (e.g. a ``lstm_vault.modelfile.SavedModel``): pages
read its ``.rnn`` (a NumPy LSTM / GRU / RNN) and its ``.meta`` (``task``, ``task_options``, ...).
Pages must treat it as read-only.
"""

from __future__ import annotations

import streamlit as st

CURRENT_MODEL_KEY = "lv_current_model"
LAST_RUN_KEY = "lv_last_run_models"


def current_model():
    """The model stored in this session by :func:`set_current_model`, or None."""
    return st.session_state.get(CURRENT_MODEL_KEY)


def set_current_model(obj) -> None:
    """Make ``obj`` the session's current model (None forgets it)."""
    if obj is None:
        st.session_state.pop(CURRENT_MODEL_KEY, None)
    else:
        st.session_state[CURRENT_MODEL_KEY] = obj


def last_run_models() -> dict:
    """The models of the Train page's last finished run, by architecture (``{"lstm": SavedModel, ...}``).

    Kept beside the current model, so a page can compare a trained LSTM with the RNN trained beside it
    on the same task. Empty when nothing has been trained in this session.
    """
    return dict(st.session_state.get(LAST_RUN_KEY, {}))


def set_last_run_models(models: dict) -> None:
    """Remember the last run's models by architecture (read-only afterwards; an empty dict forgets them)."""
    st.session_state[LAST_RUN_KEY] = dict(models)
