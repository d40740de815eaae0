"""Tasks by name: generators of training and held-out batches, plus loaders for ``assets/``.

Like TensorFlow Playground's dataset registry, every task is looked up by name
(``get_task("adding", length=50)``) and rebuilt from its options
(``get_task(task.name, **task.options())``).

Shape letters (shared with the rest of the package): ``T`` time, ``B`` batch, ``I`` input
size, ``O`` output size. Every array is time-major.

- ``Batch.x``: ``(T, B, I)`` float32.
- ``Batch.y``: target ``"last"``: ``(B, O)`` float32 (``mse``) or ``(B,)`` int64 (``ce``);
  target ``"all"``: ``(T, B, O)`` float32 (``mse``) or ``(T, B)`` int64 (``ce``).
- ``Batch.mask``: target ``"all"`` only: ``(T, B)`` bool, the steps that count in the loss;
  ``None`` = every step.

Real-valued encodings map a model value ``v`` to a real number as ``offset + scale * v``.

Randomness comes only from the ``numpy.random.Generator`` given to ``batch`` or the ``seed``
given to ``validation``. Finite data (series, text) is split in time: ``batch`` samples the
first 85 %, ``validation`` only the last 15 %. This module imports only numpy and the
standard library. The parsers of user input (typed numbers, an uploaded CSV) live in
:mod:`lstm_vault.userdata` and are re-exported here.
"""

from __future__ import annotations

import csv
import functools
import io
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import ClassVar

import numpy as np

# the parsers of user input, re-exported: callers have always found them here
from .userdata import MAX_BYTES, MAX_COLUMNS, MAX_NUMBERS, parse_csv_column, parse_numbers  # noqa: F401

ASSETS = Path(__file__).resolve().parent.parent / "assets"

HELD_OUT = 0.15  # the last 15 % of every finite data set is validation only

# validation(size, seed) draws from this stream mixed with the seed, so validation batches
# never coincide with training batches made from np.random.default_rng(seed).
_VALIDATION_STREAM = 0x5EED_7A11


@dataclass(frozen=True)
class Batch:
    """One batch of examples; shapes in the module docstring."""

    x: np.ndarray  # (T, B, I) float32
    # "last": (B, O) float32 (mse) or (B,) int64 (ce);
    # "all": (T, B, O) float32 (mse) or (T, B) int64 (ce)
    y: np.ndarray
    mask: np.ndarray | None = None  # (T, B) bool, "all" only; None = every step counts


def _validation_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([_VALIDATION_STREAM, int(seed)])


def _option(task: str, option: str, value, low: float, high: float, integer: bool):
    """``value`` as an int (``integer``) or float in ``[low, high]``; else a ValueError."""
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    ok = not isinstance(value, bool) and isinstance(value, kinds) and low <= value <= high
    if not ok:
        kind = "an integer" if integer else "a number"
        raise ValueError(f"task {task!r}: option {option!r} must be {kind} in [{low}, {high}], got {value!r}")
    return int(value) if integer else float(value)


def _batch_size(size) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"batch size must be a positive integer, got {size!r}")
    return int(size)


def _one_hot(ids: np.ndarray, n: int) -> np.ndarray:
    """ids (...) int -> (..., n) float32."""
    return np.eye(n, dtype=np.float32)[ids]


@dataclass(frozen=True)
class Task:
    """Base of every task. Subclasses are frozen dataclasses whose fields are their options."""

    name: ClassVar[str] = ""  # registry name
    title: ClassVar[str] = ""  # human title for the UI
    loss: ClassVar[str] = "mse"  # "mse" or "ce"
    # "last": read-out at the final step; "all": every step, weighted by the mask
    target: ClassVar[str] = "last"
    baseline_description: ClassVar[str] = ""  # the trivial predictor, in words

    @property
    def length(self) -> int:  # T; a dataclass field in most subclasses
        raise NotImplementedError

    @property
    def input_size(self) -> int:  # I
        return 1

    @property
    def output_size(self) -> int:  # O: 1 for regression, number of classes for ce
        return 1

    def batch(self, batch_size: int, rng: np.random.Generator) -> Batch:
        """Training examples drawn with ``rng``."""
        raise NotImplementedError

    def validation(self, size: int, seed: int = 0) -> Batch:
        """Held-out examples; for synthetic tasks a seed stream separate from training."""
        return self.batch(size, _validation_rng(seed))

    def baseline_loss(self) -> float:
        """Expected loss of the trivial predictor in ``baseline_description``."""
        raise NotImplementedError

    def description(self) -> str:
        """A short markdown paragraph for the UI: the task, and why it needs memory."""
        raise NotImplementedError

    def distinct_examples(self) -> int | None:
        """How many different examples the task can draw; None for real-valued or finite-data tasks."""
        return None

    def held_out(self) -> str:
        """Where the validation examples come from, as a clause for a caption ("held-out examples, ...")."""
        text = "drawn from a random stream kept apart from the one that makes the training batches"
        n = self.distinct_examples()
        if n is not None and n <= 10**9:  # beyond this, repeats between training and validation are rare
            text += f"; but the task has only {n:,} different examples, so they can turn up in training too"
        return text

    def encoding(self) -> dict:
        """JSON-serialisable input/output encoding, stored in model files."""
        return {"type": "real", "offset": 0.0, "scale": 1.0}

    def options(self) -> dict:
        """The options this task was made with; ``get_task(name, **options)`` rebuilds it."""
        return asdict(self)


# ------------------------------------------------------------------------------------------
# synthetic tasks


@dataclass(frozen=True)
class Adding(Task):
    """The adding problem, in the variant of Arjovsky, Shah & Bengio (2016).

    Values are uniform in ``[0, 1)``; exactly two steps are marked, one uniformly in the first half
    ``[0, T // 2)`` and one in the second ``[T // 2, T)``; the target is the sum of the two marked values,
    so predicting 1.0 costs 1/6 on average. It is a later form of experiment 4 of Hochreiter &
    Schmidhuber (1997), which drew values from ``[-1, 1]``, marked two pairs in the first half of sequences
    of random length and asked for ``0.5 + (X1 + X2) / 4``.
    """

    length: int = 100  # T, number of (value, marker) pairs

    name: ClassVar[str] = "adding"
    title: ClassVar[str] = "Adding problem"
    baseline_description: ClassVar[str] = "always predict 1.0 (the mean of the target)"

    def __post_init__(self):
        object.__setattr__(self, "length", _option(self.name, "length", self.length, 2, 10_000, True))

    @property
    def input_size(self) -> int:
        return 2  # channel 0: value in U[0, 1); channel 1: marker in {0, 1}

    def batch(self, batch_size: int, rng: np.random.Generator) -> Batch:
        T, B = self.length, _batch_size(batch_size)
        half = T // 2
        values = rng.random((T, B))
        first = rng.integers(0, half, size=B)  # one marker in [0, T/2)
        second = rng.integers(half, T, size=B)  # one in [T/2, T)
        markers = np.zeros((T, B))
        cols = np.arange(B)
        markers[first, cols] = 1.0
        markers[second, cols] = 1.0
        x = np.stack([values, markers], axis=-1).astype(np.float32)  # (T, B, 2)
        # (B, 1): the sum of the float32 values the model sees
        y = (x[first, cols, 0] + x[second, cols, 0])[:, None]
        return Batch(x=x, y=y.astype(np.float32))

    def baseline_loss(self) -> float:
        # y = u1 + u2 with u1, u2 independent U[0, 1]: E[y] = 1, so predicting 1.0 costs
        # E[(y - 1)^2] = Var(u1) + Var(u2) = 2 * 1/12.
        return 2 * (1 / 12)

    def description(self) -> str:
        half = self.length // 2
        return (
            f"Each sequence has {self.length} steps. Channel 0 carries a random number "
            f"in [0, 1); channel 1 marks exactly two steps, one among the first {half} and one "
            f"among the last {self.length - half}. At the end the model must output the **sum of the "
            f"two marked numbers**. The first marked number can be up to {self.length - 1} steps "
            "in the past, so the model has to keep it in its state and ignore every "
            "unmarked number in between. This is the version of Hochreiter & Schmidhuber's "
            "(1997) adding problem defined by Arjovsky, Shah & Bengio (2016); the original drew "
            "the numbers from [-1, 1] and marked both in the first half."
        )


@dataclass(frozen=True)
class Copy(Task):
    """Copy / memory task: see symbols, wait through blanks, repeat the symbols after a cue.

    Layout of one sequence (``S = seq_len``, ``T = length``), with input channels
    ``0..K-1`` the symbols, ``K`` blank and ``K+1`` cue::

        steps 0 .. S-1          one symbol each           (to remember)
        steps S .. T-S-2        blank                     (the delay, T - 2S - 1 steps)
        step  T-S-1             cue                       (start recalling now)
        steps T-S .. T-1        blank; target = symbol k  (mask True only here)
    """

    length: int = 20  # T, total steps
    n_symbols: int = 8  # K, the alphabet
    seq_len: int = 5  # S, symbols to remember

    name: ClassVar[str] = "copy"
    title: ClassVar[str] = "Copy (remember symbols across a delay)"
    loss: ClassVar[str] = "ce"
    target: ClassVar[str] = "all"
    baseline_description: ClassVar[str] = "guess uniformly among the symbols: ln(n_symbols)"

    def __post_init__(self):
        set_ = functools.partial(object.__setattr__, self)
        set_("n_symbols", _option(self.name, "n_symbols", self.n_symbols, 2, 64, True))
        set_("seq_len", _option(self.name, "seq_len", self.seq_len, 1, 50, True))
        low = 2 * self.seq_len + 1
        set_("length", _option(self.name, "length", self.length, low, 10_000, True))

    @property
    def input_size(self) -> int:
        return self.n_symbols + 2  # symbols, blank, cue

    @property
    def output_size(self) -> int:
        return self.n_symbols

    def batch(self, batch_size: int, rng: np.random.Generator) -> Batch:
        T, B, S, K = self.length, _batch_size(batch_size), self.seq_len, self.n_symbols
        symbols = rng.integers(0, K, size=(S, B))  # (S, B)
        ids = np.full((T, B), K)  # blank everywhere, then symbols and the cue
        ids[:S] = symbols
        ids[T - S - 1] = K + 1
        y = np.zeros((T, B), dtype=np.int64)
        y[T - S :] = symbols
        mask = np.zeros((T, B), dtype=bool)
        mask[T - S :] = True
        return Batch(x=_one_hot(ids, K + 2), y=y, mask=mask)

    def baseline_loss(self) -> float:
        # a uniform guess over K symbols puts probability 1/K on the right one: -ln(1/K)
        return math.log(self.n_symbols)

    def description(self) -> str:
        delay = self.length - 2 * self.seq_len - 1
        return (
            f"The model sees {self.seq_len} random symbols (out of {self.n_symbols}), "
            f"then {delay} blank steps, then a cue. After the cue it must output the "
            f"{self.seq_len} symbols **in order**; only those recall steps count in the "
            "loss. Nothing in the input during the delay says what the symbols were, so "
            f"each must survive {self.length - self.seq_len} steps in the state, and the gradient "
            f"that teaches the model to keep it must travel back as many steps. In a plain RNN that "
            "gradient passes through the recurrent weights and tanh at every step and can fade on "
            "the way; an LSTM's cell can carry it when its forget gates stay near 1."
        )

    def distinct_examples(self) -> int:
        """How many different sequences the task can draw: every string of ``seq_len`` symbols."""
        return self.n_symbols**self.seq_len

    def encoding(self) -> dict:
        channels = [f"symbol {k}" for k in range(self.n_symbols)] + ["blank", "cue"]
        return {"type": "symbols", "n_symbols": self.n_symbols, "channels": channels}


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


@dataclass(frozen=True)
class NextNumber(Task):
    """Predict the next number of an arithmetic sequence from a window (e.g. 1, 2, 3 -> 4)."""

    window: int = 3  # T, numbers shown

    name: ClassVar[str] = "next-number"
    title: ClassVar[str] = "Next number (sliding window)"
    baseline_description: ClassVar[str] = "repeat the last number of the window"
    SCALE: ClassVar[float] = 10.0  # model value = number / SCALE
    STARTS: ClassVar[tuple[int, int]] = (
        0,
        10,
    )  # first number, uniform integer, inclusive
    STEPS: ClassVar[tuple[int, int]] = (-3, 3)  # common difference, uniform integer

    def __post_init__(self):
        object.__setattr__(self, "window", _option(self.name, "window", self.window, 1, 20, True))

    @property
    def length(self) -> int:
        return self.window

    def batch(self, batch_size: int, rng: np.random.Generator) -> Batch:
        B = _batch_size(batch_size)
        start = rng.integers(self.STARTS[0], self.STARTS[1] + 1, size=B)
        step = rng.integers(self.STEPS[0], self.STEPS[1] + 1, size=B)
        seq = start[None, :] + step[None, :] * np.arange(self.window + 1)[:, None]
        seq = seq / self.SCALE  # (window + 1, B)
        x = seq[:-1, :, None].astype(np.float32)
        return Batch(x=x, y=seq[-1][:, None].astype(np.float32))

    def baseline_loss(self) -> float:
        # next - last = step, uniform over the integers in STEPS: E[(step / SCALE)^2]
        steps = np.arange(self.STEPS[0], self.STEPS[1] + 1)
        return float(np.mean((steps / self.SCALE) ** 2))

    def description(self) -> str:
        (lo, hi), (down, up) = self.STARTS, self.STEPS
        if self.window == 1:
            why = (
                "With one number shown the step cannot be seen: as the steps up and down are equally "
                "likely, the best guess is the number itself, which is the baseline, so no model can "
                "beat it on average."
            )
        else:
            why = (
                "The step is only visible as the difference between neighbours, so the model has to "
                "keep the previous number while it reads the next."
            )
        return (
            f"The model reads {self.window} number{'s' if self.window > 1 else ''} of a sequence that "
            f"changes by a fixed whole step from {down} to {up} (like 1, 2, 3 or 9, 7, 5; a step of 0 "
            f"repeats the number) and starts at a whole number from {lo} to {hi}, and predicts the next "
            f"number. Numbers are divided by {self.SCALE:g} on the way in and multiplied back on the way "
            f"out. {why}"
        )

    def distinct_examples(self) -> int:
        """How many different sequences the task can draw: one per first number and step."""
        return (self.STARTS[1] - self.STARTS[0] + 1) * (self.STEPS[1] - self.STEPS[0] + 1)

    def encoding(self) -> dict:
        return {"type": "real", "offset": 0.0, "scale": self.SCALE}


@dataclass(frozen=True)
class Sine(Task):
    """Forecast the next value of a noisy sine wave with random phase and frequency."""

    length: int = 50  # T, values shown
    noise: float = 0.1  # standard deviation of the Gaussian noise on every value

    name: ClassVar[str] = "sine"
    title: ClassVar[str] = "Noisy sine wave"
    baseline_description: ClassVar[str] = "repeat the last value seen (persistence)"
    PERIODS: ClassVar[tuple[float, float]] = (8.0, 40.0)  # steps per cycle

    def __post_init__(self):
        set_ = functools.partial(object.__setattr__, self)
        set_("length", _option(self.name, "length", self.length, 2, 10_000, True))
        set_("noise", _option(self.name, "noise", self.noise, 0.0, 1.0, False))

    def batch(self, batch_size: int, rng: np.random.Generator) -> Batch:
        T, B = self.length, _batch_size(batch_size)
        f_lo, f_hi = 1 / self.PERIODS[1], 1 / self.PERIODS[0]  # cycles per step
        freq = rng.uniform(f_lo, f_hi, size=B)
        phase = rng.uniform(0, 2 * np.pi, size=B)
        t = np.arange(T + 1)[:, None]
        signal = np.sin(2 * np.pi * freq * t + phase)  # (T + 1, B): T inputs, the target
        values = signal + self.noise * rng.standard_normal((T + 1, B))
        x = values[:-1, :, None].astype(np.float32)
        return Batch(x=x, y=values[-1][:, None].astype(np.float32))

    def baseline_loss(self) -> float:
        # x_T - x_{T-1} = s_T - s_{T-1} + e_T - e_{T-1}. With s_t = sin(2 pi f t + phi),
        # s_T - s_{T-1} = 2 sin(pi f) cos(...), whose square averages over the phase to
        # 2 sin^2(pi f) = 1 - cos(2 pi f); averaged over f ~ U[a, b] that is
        # 1 - (sin 2 pi b - sin 2 pi a) / (2 pi (b - a)). The two noises add 2 noise^2.
        a, b = 1 / self.PERIODS[1], 1 / self.PERIODS[0]
        signal = 1 - (math.sin(2 * math.pi * b) - math.sin(2 * math.pi * a)) / (2 * math.pi * (b - a))
        return signal + 2 * self.noise**2

    def description(self) -> str:
        return (
            f"The model sees {self.length} values of a sine wave with a random phase "
            f"and a period between {self.PERIODS[0]:g} and {self.PERIODS[1]:g} steps, "
            f"plus Gaussian noise (standard deviation {self.noise:g}), and predicts the "
            "next value. One value does not say whether the wave is rising or falling, "
            "nor how fast: the model has to keep a running estimate of phase and "
            f"frequency.{self._floor()}"
        )

    def _floor(self) -> str:
        if self.noise == 0:
            return ""
        return (
            " The noise added to the value to predict cannot be foreseen, so no model can get below "
            f"its variance, {self.noise**2:.4g}, on average."
        )


# ------------------------------------------------------------------------------------------
# shipped data: loaders


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
def _read_series(name: str) -> tuple[tuple[str, ...], np.ndarray]:
    rows = list(csv.reader(io.StringIO((ASSETS / SERIES[name].file).read_text(encoding="utf-8"))))
    dates = tuple(row[0] for row in rows[1:])
    values = np.array([float(row[1]) for row in rows[1:]])
    values.setflags(write=False)  # shared by every caller through the cache
    return dates, values


def load_series(name: str) -> tuple[list[str], np.ndarray]:
    """A shipped series: its dates (``"1749-01"`` or ``"1871"``) and values, float64 (N,)."""
    _lookup("series", SERIES, name)
    dates, values = _read_series(name)
    return list(dates), values.copy()


@functools.cache
def load_text(name: str) -> str:
    """A shipped text for character-level models."""
    return (ASSETS / _lookup("text", TEXTS, name).file).read_text(encoding="utf-8")


def _split(n: int) -> int:
    """Index of the first held-out item of n."""
    return n - math.ceil(HELD_OUT * n)


def _pick(count: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` window starts in ``[0, count)``, in time order.

    Distinct when ``size <= count``; otherwise every window equally often (give or take
    one), so a large validation batch weighs a small held-out tail evenly.
    """
    if size <= count:
        return np.sort(rng.choice(count, size=size, replace=False))
    extra = rng.choice(count, size=size % count, replace=False)
    return np.sort(np.concatenate([np.tile(np.arange(count), size // count), extra]))


# ------------------------------------------------------------------------------------------
# shipped data: tasks


@dataclass(frozen=True)
class _SeriesTask(Task):
    """Forecast the next value of a shipped series from a window of ``length`` values.

    Values are standardised with the mean and standard deviation of the training part.
    A training window and its target lie entirely in the first 85 %; a validation window
    and its target entirely in the last 15 %.
    """

    length: int = 24  # T, values shown

    series: ClassVar[str] = ""  # a key of SERIES
    baseline_description: ClassVar[str] = "repeat the last value seen (persistence), on the validation data"

    def __post_init__(self):
        n = len(_read_series(self.series)[1])
        high = (n - _split(n)) // 2  # leave at least half the held-out tail as targets
        object.__setattr__(self, "length", _option(self.name, "length", self.length, 1, high, True))

    @property
    def _data(self) -> tuple[np.ndarray, int, float, float]:
        """Standardised values (N,), the split index, the training mean and std."""
        return _standardised(self.series)

    @property
    def n_validation(self) -> int:
        """Number of distinct validation windows."""
        z, split, _, _ = self._data
        return len(z) - split - self.length

    def _windows(self, starts: np.ndarray) -> Batch:
        z = self._data[0]
        idx = starts[None, :] + np.arange(self.length + 1)[:, None]  # (T + 1, B)
        seq = z[idx]
        x = seq[:-1, :, None].astype(np.float32)
        return Batch(x=x, y=seq[-1][:, None].astype(np.float32))

    def batch(self, batch_size: int, rng: np.random.Generator) -> Batch:
        split = self._data[1]
        # the last target index, start + length, must be < split
        starts = rng.integers(0, split - self.length, size=_batch_size(batch_size))
        return self._windows(starts)

    def validation(self, size: int, seed: int = 0) -> Batch:
        split = self._data[1]
        starts = split + _pick(self.n_validation, _batch_size(size), _validation_rng(seed))
        return self._windows(starts)

    def baseline_loss(self) -> float:
        z, split, _, _ = self._data
        targets = np.arange(split + self.length, len(z))  # every validation target
        return float(np.mean((z[targets] - z[targets - 1]) ** 2))

    def description(self) -> str:
        source = SERIES[self.series]
        z, split, _, _ = self._data
        n = len(z)
        return (
            f"**{source.title}** ({n:,} values). The model sees {self.length} consecutive "
            "values, standardised with the training part's mean and standard deviation, "
            f"and predicts the next one. It trains on the first {split:,} values and is validated on "
            f"the last {n - split:,} ({100 * (n - split) / n:.0f} %), which it never sees in training. "
            f"{self.note()}"
        )

    def note(self) -> str:
        """What this series shows, for the description."""
        return ""

    def held_out(self) -> str:
        z, split, _, _ = self._data
        return f"from the last {len(z) - split:,} values of the series, which training never sees"

    def encoding(self) -> dict:
        _, _, mean, std = self._data
        source = SERIES[self.series]
        return {
            "type": "real",
            "offset": mean,
            "scale": std,
            "series": self.series,
            "unit": source.unit,
        }


@functools.cache
def _standardised(series: str) -> tuple[np.ndarray, int, float, float]:
    values = _read_series(series)[1]
    split = _split(len(values))
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


@dataclass(frozen=True)
class Sunspots(_SeriesTask):
    length: int = 36

    name: ClassVar[str] = "sunspots"
    title: ClassVar[str] = "Sunspots (monthly)"
    series: ClassVar[str] = "sunspots"

    def note(self) -> str:
        _, split, _, _ = self._data
        period = dominant_period(_read_series(self.series)[1][:split])
        text = (
            f"The solar cycle is about {period / 12:.0f} years long (the strongest period in the "
            f"training part is {period:.0f} months)"
        )
        if self.length < period:
            return (
                f"{text}, longer than this window of {self.length} months: where the cycle stands must "
                "be inferred from the recent slope and level."
            )
        return f"{text}: this window of {self.length} months spans a whole cycle."


@dataclass(frozen=True)
class CO2(_SeriesTask):
    length: int = 24

    name: ClassVar[str] = "co2"
    title: ClassVar[str] = "CO2 at Mauna Loa (monthly)"
    series: ClassVar[str] = "co2"

    def note(self) -> str:
        _, split, _, _ = self._data
        values = _read_series(self.series)[1]
        top = values[:split].max()
        held, targets = values[split:], values[split + self.length :]
        return (
            "A yearly cycle rides on a rising trend: "
            f"{int((held > top).sum())} of the {len(held)} held-out months lie above the highest "
            f"training value ({top:g} ppmv), and {int((targets > top).sum())} of the {len(targets)} "
            "months the model is asked to predict do. So this also shows how a model copes with "
            "values beyond those it trained on."
        )


@dataclass(frozen=True)
class Nile(_SeriesTask):
    length: int = 5

    name: ClassVar[str] = "nile"
    title: ClassVar[str] = "Nile flow (yearly)"
    series: ClassVar[str] = "nile"

    def note(self) -> str:
        _, split, _, _ = self._data
        return (
            f"Only {split} years to train on ({split - self.length} windows): a model with many "
            "weights can learn them by heart. When it does, the training loss keeps falling while "
            "the validation loss rises (overfitting)."
        )


@functools.cache
def _encoded_text(source: str) -> tuple[str, np.ndarray, int]:
    """Vocabulary (sorted unique characters), ids (N,) int64, split index."""
    text = load_text(source)
    vocab = "".join(sorted(set(text)))
    lookup = {ch: i for i, ch in enumerate(vocab)}
    ids = np.fromiter((lookup[ch] for ch in text), dtype=np.int64, count=len(text))
    ids.setflags(write=False)
    return vocab, ids, _split(len(ids))


@dataclass(frozen=True)
class Text(Task):
    """Next-character prediction on a shipped text, at every step."""

    source: str = "sonnets"  # a key of TEXTS
    length: int = 64  # T, characters per example

    name: ClassVar[str] = "text"
    title: ClassVar[str] = "Next character (text)"
    loss: ClassVar[str] = "ce"
    target: ClassVar[str] = "all"
    baseline_description: ClassVar[str] = (
        "predict each character with its frequency in the training text, scored on the held-out text "
        "(nats per character)"
    )

    def __post_init__(self):
        if not isinstance(self.source, str) or self.source not in TEXTS:
            raise ValueError(
                f"task 'text': option 'source' must be one of: {', '.join(TEXTS)}; got {self.source!r}"
            )
        object.__setattr__(self, "length", _option(self.name, "length", self.length, 1, 1000, True))

    @property
    def vocab(self) -> str:
        return _encoded_text(self.source)[0]

    @property
    def input_size(self) -> int:
        return len(self.vocab)

    @property
    def output_size(self) -> int:
        return len(self.vocab)

    @property
    def n_validation(self) -> int:
        """Number of distinct validation windows."""
        _, ids, split = _encoded_text(self.source)
        return len(ids) - split - self.length

    def _windows(self, starts: np.ndarray) -> Batch:
        vocab, ids, _ = _encoded_text(self.source)
        chunk = ids[starts[None, :] + np.arange(self.length + 1)[:, None]]  # (T + 1, B)
        return Batch(x=_one_hot(chunk[:-1], len(vocab)), y=chunk[1:].copy())

    def batch(self, batch_size: int, rng: np.random.Generator) -> Batch:
        split = _encoded_text(self.source)[2]
        # the last target, at start + length, must be < split
        starts = rng.integers(0, split - self.length, size=_batch_size(batch_size))
        return self._windows(starts)

    def validation(self, size: int, seed: int = 0) -> Batch:
        split = _encoded_text(self.source)[2]
        starts = split + _pick(self.n_validation, _batch_size(size), _validation_rng(seed))
        return self._windows(starts)

    def baseline_loss(self) -> float:
        # cross-entropy of the training text's character frequencies on every held-out target,
        # the characters that validation windows predict (the first held-out one is only read)
        vocab, ids, split = _encoded_text(self.source)
        p = np.bincount(ids[:split], minlength=len(vocab)) / split
        # inf if a held-out character never occurs in training (not so in the shipped texts: a test checks)
        with np.errstate(divide="ignore"):
            return float(-np.log(p[ids[split + 1 :]]).mean())

    def description(self) -> str:
        return (
            f"Character-level language model on **{TEXTS[self.source].title}** "
            f"({len(load_text(self.source)):,} characters, {len(self.vocab)} distinct). "
            f"At each of {self.length} steps the model reads one character and predicts "
            "the next. To do better than letter frequencies it must use what came before: the "
            "letters of the word so far, and further back, how far the line has gone or whether a "
            "quote or bracket is open. Karpathy, Johnson & Fei-Fei (2015) found LSTM cells that "
            "track such things (the position in a line, an open quote, the depth of nested code): "
            "they are the cells worth looking for."
        )

    def held_out(self) -> str:
        _, ids, split = _encoded_text(self.source)
        return f"from the last {len(ids) - split:,} characters of the text, which training never sees"

    def encoding(self) -> dict:
        return {"type": "chars", "vocab": self.vocab, "source": self.source}


TASKS: dict[str, type[Task]] = {
    cls.name: cls for cls in (Adding, Copy, NextNumber, Sine, Sunspots, CO2, Nile, Text)
}


def task_names() -> list[str]:
    """The registry names, in display order."""
    return list(TASKS)


def get_task(name: str, **options) -> Task:
    """The task ``name`` made with ``options``; ValueError names the valid choices."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; choose one of: {', '.join(TASKS)}")
    cls = TASKS[name]
    valid = [f.name for f in fields(cls)]
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise ValueError(
            f"task {name!r} has no option {', '.join(map(repr, unknown))}; "
            f"its options are: {', '.join(valid) or 'none'}"
        )
    return cls(**options)
