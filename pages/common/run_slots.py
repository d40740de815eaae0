"""Process-wide training slots: at most ``limit`` training runs at a time across every browser tab.

One Streamlit process serves every tab, and a tab is a session of its own; a training run is a
``TrainingWorker`` thread that takes half the cores. So that one tab cannot starve the others, the
Train page claims a slot in :func:`run_slots` (one ``RunSlots`` per process, ``st.cache_resource``)
before it starts a run. A tab that asks for one more is told who holds the CPU and for about how
long. A run whose tab has gone (closed or reloaded) gives its slot up to the next tab that asks.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import streamlit as st

from lstm_vault.training import TrainingWorker


@dataclass
class Holder:
    token: str  # per browser session, kept in its st.session_state
    session_id: str  # Streamlit's session id, to ask whether that tab is still connected
    worker: TrainingWorker
    title: str  # what it trains, for the message another tab sees


def duration(seconds: float) -> str:
    """``75`` -> "1 min 15 s"."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min" + (f" {seconds % 60:02d} s" if seconds % 60 else "")


def time_left(snapshots) -> float:
    """Seconds until every run is done: the runs share one thread, so their times add up."""
    left = 0.0
    for s in snapshots:
        if s.status in ("pending", "running"):
            if s.steps_per_second <= 0:
                return math.inf
            left += (s.steps - s.step) / s.steps_per_second
    return left


def _session_alive(session_id: str) -> bool:
    try:
        from streamlit.runtime import Runtime

        return bool(Runtime.instance().is_active_session(session_id))
    except (ImportError, RuntimeError, AttributeError):
        return True  # no runtime (bare mode) or a changed private API: assume alive; the time budget ends it


class RunSlots:
    """At most ``limit`` training workers at a time across every session of this server process."""

    def __init__(self, limit: int):
        self.limit = limit
        self._lock = threading.Lock()
        self._holders: dict[str, Holder] = {}

    def _prune(self) -> None:
        for token, holder in list(self._holders.items()):
            if holder.worker.done:
                del self._holders[token]
            elif not _session_alive(holder.session_id):  # its tab is gone: nobody will look at the result
                holder.worker.stop(timeout=0)
                del self._holders[token]

    def claim(self, holder: Holder) -> str | None:
        """Take a slot for ``holder``; None on success, else a message saying who holds the CPU."""
        with self._lock:
            self._prune()
            others = [h for t, h in self._holders.items() if t != holder.token]
            if len(others) >= self.limit:
                return self._busy_message(others)
            self._holders[holder.token] = holder
            return None

    def release(self, token: str) -> None:
        with self._lock:
            self._holders.pop(token, None)

    def _busy_message(self, others: list[Holder]) -> str:
        left = sum(time_left(h.worker.snapshot()) for h in others)
        when = f"in about {duration(left)}" if math.isfinite(left) else "when it finishes"
        what = "; ".join(h.title for h in others)
        n = self.limit
        return (
            f"Another browser tab or user is training right now ({what}). This server trains "
            f"{n} run{'s' if n > 1 else ''} at a time so that the app stays responsive; "
            f"press Train again {when}. Meanwhile you can load the shipped model or upload one below."
        )


@st.cache_resource
def run_slots(limit: int) -> RunSlots:
    """The process's one ``RunSlots`` (per limit)."""
    return RunSlots(limit)
