"""Process-wide training slots: at most ``limit`` training runs at a time across every browser tab.

One Streamlit process serves every tab, and a tab is a session of its own; a training run is a
``TrainingWorker`` thread that takes half the cores. So that one tab cannot starve the others, the
Train page claims a slot in :func:`run_slots` (one ``RunSlots`` per process, ``st.cache_resource``)
before it starts a run. A tab that asks for one more is told who holds the CPU and for about how
long.

A slot is a *lease*: the tab that holds it renews it every time its progress view polls
(:meth:`RunSlots.renew`, every second or so). A tab that has gone (closed, reloaded, navigated away for
good) stops polling; once its lease is older than ``LEASE_SECONDS`` the next tab that asks for a slot
stops that run and takes the slot. Streamlit 1.67 has no public way to ask whether a session is still
connected, and a lease needs none.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

import streamlit as st

from lstm_vault.evaluation import duration, time_left
from lstm_vault.training import TrainingWorker

#: a lease not renewed for this long belongs to a tab that has gone (its page polls about every second)
LEASE_SECONDS = 10.0


@dataclass
class Holder:
    token: str  # per browser session, kept in its st.session_state
    worker: TrainingWorker
    title: str  # what it trains, for the message another tab sees
    renewed: float = field(default_factory=time.monotonic)  # the last time its tab polled


class RunSlots:
    """At most ``limit`` training workers at a time across every session of this server process."""

    def __init__(self, limit: int, lease_seconds: float = LEASE_SECONDS, clock=time.monotonic):
        self.limit = limit
        self.lease_seconds = lease_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._holders: dict[str, Holder] = {}

    def _prune(self) -> None:
        now = self._clock()
        for token, holder in list(self._holders.items()):
            if holder.worker.done:
                del self._holders[token]
            elif now - holder.renewed > self.lease_seconds:  # its tab stopped polling: nobody is watching
                holder.worker.stop(timeout=0)
                del self._holders[token]

    def renew(self, token: str) -> None:
        """The holder's tab is still there (called from its progress view's every poll)."""
        with self._lock:
            holder = self._holders.get(token)
            if holder is not None:
                holder.renewed = self._clock()

    def claim(self, holder: Holder) -> str | None:
        """Take a slot for ``holder``; None on success, else a message saying who holds the CPU."""
        with self._lock:
            self._prune()
            others = [h for t, h in self._holders.items() if t != holder.token]
            if len(others) >= self.limit:
                return self._busy_message(others)
            holder.renewed = self._clock()
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
