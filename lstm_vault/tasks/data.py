"""The data shipped in ``assets/``: the series and texts, read once, split in time, standardised or encoded.

Finite data is split in time: the first 85 % trains, the last 15 % (:data:`base.HELD_OUT`, rounded up) is held
out for validation. Every array handed out is read-only, shared through a cache.
"""

from __future__ import annotations

import csv
import functools
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .base import HELD_OUT

ASSETS = Path(__file__).resolve().parents[2] / "assets"


@dataclass(frozen=True)
class _Source:
    file: str  # under assets/
    title: str
    unit: str = ""


SERIES: dict[str, _Source] = {
    "sunspots": _Source("sunspots_monthly.csv", "Monthly mean sunspot number, 1749-2008"),
    "co2": _Source("co2_monthly.csv", "Mauna Loa atmospheric CO2, 1958-2001", "ppmv"),
    "nile": _Source("nile.csv", "Annual flow of the Nile at Aswan, 1871-1970", "1e8 m^3"),
}

TEXTS: dict[str, _Source] = {
    "sonnets": _Source("sonnets.txt", "Shakespeare's Sonnets"),
    "python": _Source("python_stdlib.txt", "Python standard library source"),
}


def _lookup(kind: str, table: dict, name: str) -> _Source:
    if name not in table:
        raise ValueError(f"unknown {kind} {name!r}; choose one of: {', '.join(table)}")
    return table[name]


@functools.cache
def read_series(name: str) -> tuple[tuple[str, ...], np.ndarray]:
    rows = list(csv.reader(io.StringIO((ASSETS / SERIES[name].file).read_text(encoding="utf-8"))))
    dates = tuple(row[0] for row in rows[1:])
    values = np.array([float(row[1]) for row in rows[1:]])
    values.setflags(write=False)  # shared by every caller through the cache
    return dates, values


def load_series(name: str) -> tuple[list[str], np.ndarray]:
    """A shipped series: its dates (``"1749-01"`` or ``"1871"``) and values, float64 (N,)."""
    _lookup("series", SERIES, name)
    dates, values = read_series(name)
    return list(dates), values.copy()


@functools.cache
def load_text(name: str) -> str:
    """A shipped text for character-level models."""
    return (ASSETS / _lookup("text", TEXTS, name).file).read_text(encoding="utf-8")


def split_index(n: int) -> int:
    """Index of the first held-out item of n."""
    return n - math.ceil(HELD_OUT * n)


def pick_windows(count: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` window starts in ``[0, count)``, in time order.

    Distinct when ``size <= count``; otherwise every window equally often (give or take
    one), so a large validation batch weighs a small held-out tail evenly.
    """
    if size <= count:
        return np.sort(rng.choice(count, size=size, replace=False))
    extra = rng.choice(count, size=size % count, replace=False)
    return np.sort(np.concatenate([np.tile(np.arange(count), size // count), extra]))


def windows(sequence, window: int, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Sliding windows of a 1-D sequence: ``x[:, k, 0] = seq[k:k+window] / scale``.

    Returns ``x`` (window, N, 1) float32 and ``y`` (N, 1) float32 with
    ``y[k, 0] = seq[k + window] / scale`` and ``N = len(sequence) - window``.
    """
    seq = np.asarray(sequence, dtype=np.float64).ravel()
    if window < 1 or len(seq) <= window:
        raise ValueError(f"need more numbers than the window: got {len(seq)} numbers for window {window}")
    n = len(seq) - window
    starts = np.arange(n)[None, :] + np.arange(window)[:, None]  # (window, N)
    x = (seq[starts] / scale)[:, :, None].astype(np.float32)
    y = (seq[window:] / scale)[:, None].astype(np.float32)
    return x, y


@functools.cache
def standardised(series: str) -> tuple[np.ndarray, int, float, float]:
    values = read_series(series)[1]
    split = split_index(len(values))
    mean, std = float(values[:split].mean()), float(values[:split].std())
    z = (values - mean) / std
    z.setflags(write=False)
    return z, split, mean, std


def dominant_period(values: np.ndarray) -> float:
    """The period (in samples) of the strongest peak of the periodogram of ``values`` minus their mean."""
    x = np.asarray(values, dtype=np.float64) - np.mean(values)
    power = np.abs(np.fft.rfft(x)) ** 2
    k = int(np.argmax(power[1:])) + 1  # skip frequency 0
    return len(x) / k


@functools.cache
def encoded_text(source: str) -> tuple[str, np.ndarray, int]:
    """Vocabulary (sorted unique characters), ids (N,) int64, split index."""
    text = load_text(source)
    vocab = "".join(sorted(set(text)))
    lookup = {ch: i for i, ch in enumerate(vocab)}
    ids = np.fromiter((lookup[ch] for ch in text), dtype=np.int64, count=len(text))
    ids.setflags(write=False)
    return vocab, ids, split_index(len(ids))
