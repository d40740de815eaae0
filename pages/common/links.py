"""Link parameters a page keeps by hand: those no single widget can carry.

A widget bound to the address (``bind="query-params"``) writes and reads its own parameter. What is left
(a parameter two pages use with different ranges, or one that sets several widgets, like ``preset``, which
also picks the input's source) the page writes with :func:`write` and reads back with :func:`arrived` when
a link brings values it did not write itself: a shared link, or one from another page of the app.
Parameters the page does not name (bound widgets', the stepper's ``t``) are left as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st


def arrived(names: Sequence[str], memory: str) -> dict[str, str] | None:
    """The address's values of ``names`` when a link brought them: one of them differs from what
    :func:`write` put there last (remembered in ``st.session_state[memory]``). None when they are all this
    page's own, or when the address holds none of them (a plain link back to the page keeps it as it was)."""
    now = {name: st.query_params[name] for name in names if name in st.query_params}
    last = st.session_state.get(memory)
    if last is not None and all(last.get(name) == value for name, value in now.items()):
        return None
    return now or None


def write(params: Mapping[str, str], names: Sequence[str], memory: str) -> None:
    """Make the address hold exactly ``params`` among ``names`` (a name missing from ``params`` is removed)
    and remember them for :func:`arrived`."""
    query = st.query_params
    stale = [name for name in names if name in query and name not in params]
    changed = {name: value for name, value in params.items() if query.get(name) != value}
    for name in stale:
        del query[name]
    if changed:
        query.update(changed)
    st.session_state[memory] = dict(params)
