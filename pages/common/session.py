"""The session's shared objects: the model the Train page trained last, for the other pages to inspect.

The stored object is what training produced (e.g. a ``lstm_vault.modelfile.SavedModel``): pages
read its ``.rnn`` (a NumPy LSTM / GRU / RNN) and its ``.meta`` (``task``, ``task_options``, ...).
Pages must treat it as read-only.
"""

from __future__ import annotations

import streamlit as st

CURRENT_MODEL_KEY = "lv_current_model"
VERSION_KEY = "lv_current_model_version"
LAST_RUN_KEY = "lv_last_run_models"


def current_model():
    """The model stored in this session by :func:`set_current_model`, or None."""
    return st.session_state.get(CURRENT_MODEL_KEY)


def current_model_version() -> int:
    """A number that changes every time the session's model is set (0 before the first): a page compares
    it with the one it last showed to know that a new model arrived, and caches on it."""
    return int(st.session_state.get(VERSION_KEY, 0))


def set_current_model(obj) -> None:
    """Make ``obj`` the session's current model (None forgets it); the version counts up either way."""
    if obj is None:
        st.session_state.pop(CURRENT_MODEL_KEY, None)
    else:
        st.session_state[CURRENT_MODEL_KEY] = obj
    st.session_state[VERSION_KEY] = current_model_version() + 1


def last_run_models() -> dict:
    """The models of the Train page's last finished run, by architecture (``{"lstm": SavedModel, ...}``).

    Kept beside the current model, so a page can compare a trained LSTM with the RNN trained beside it
    on the same task. Empty when nothing has been trained in this session.
    """
    return dict(st.session_state.get(LAST_RUN_KEY, {}))


def set_last_run_models(models: dict) -> None:
    """Remember the last run's models by architecture (read-only afterwards; an empty dict forgets them)."""
    st.session_state[LAST_RUN_KEY] = dict(models)
