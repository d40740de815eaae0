"""Tasks drawn from a random generator, with no data behind them: adding, copy, next number, sine.

Each draws as many examples as asked from the ``numpy.random.Generator`` it is given; its validation batch
comes from a stream kept apart from the training one (:func:`base.validation_rng`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .base import Batch, Option, Task, check_batch_size, one_hot, option, register

# Sequence lengths the Train page offers, though a task accepts 10,000: a CPU run on longer sequences
# takes hours, and the page's held-out predictions must fit their trace budget (lstm_vault.results).
FORM_LENGTH = 1000


def accuracy_guide(what: str, among: str, classes: int) -> str:
    """How to read the accuracy figure of a task with ``classes`` outputs (``figures.training``)."""
    return (
        f"Each line is one model's accuracy at each {what}: the share of held-out examples where its most "
        f"likely output is the right one. The dashed line is a uniform guess among the {classes} {among} "
        f"(1/{classes})."
    )


@register
@dataclass(frozen=True)
class Adding(Task):
    """The adding problem, in the variant of Arjovsky, Shah & Bengio (2016).

    Values are uniform in ``[0, 1)``; exactly two steps are marked, one uniformly in the first half
    ``[0, T // 2)`` and one in the second ``[T // 2, T)``; the target is the sum of the two marked values,
    so predicting 1.0 costs 1/6 on average. It is a later form of experiment 4 of Hochreiter &
    Schmidhuber (1997), which drew values from ``[-1, 1]``, marked two pairs in the first half of sequences
    of random length and asked for ``0.5 + (X1 + X2) / 4``.
    """

    length: int = option(  # T, number of (value, marker) pairs
        "sequence length",
        "steps in each sequence; the first marked number can be up to this many steps back",
        100, 2, 10_000, form_high=FORM_LENGTH,
    )  # fmt: skip

    name: ClassVar[str] = "adding"
    title: ClassVar[str] = "Adding problem"
    baseline_description: ClassVar[str] = "always predict 1.0 (the mean of the target)"
    advice: ClassVar[str] = "Try more steps, a shorter sequence or another architecture."

    @property
    def input_size(self) -> int:
        return 2  # channel 0: value in U[0, 1); channel 1: marker in {0, 1}

    def batch(self, batch_size: int, rng: np.random.Generator) -> Batch:
        T, B = self.length, check_batch_size(batch_size)
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


@register
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

    length: int = option(  # T, total steps
        "sequence length",
        "all steps of an example: the symbols, a blank delay, the cue and the recall; at least "
        "2 x symbols to remember + 1",
        20, 3, 10_000, form_high=FORM_LENGTH,
    )  # fmt: skip
    n_symbols: int = option(  # K, the alphabet
        "alphabet size", "how many different symbols can be shown; more symbols, more to tell apart", 8, 2, 64
    )
    seq_len: int = option(  # S, symbols to remember
        "symbols to remember", "how many symbols the model is shown and must recall, in order", 5, 1, 50
    )

    name: ClassVar[str] = "copy"
    title: ClassVar[str] = "Copy (remember symbols across a delay)"
    loss: ClassVar[str] = "ce"
    target: ClassVar[str] = "all"
    baseline_description: ClassVar[str] = "guess uniformly among the symbols: ln(alphabet size)"
    advice: ClassVar[str] = "Try more steps, a shorter sequence or another architecture."

    def bounds(self, spec: Option) -> tuple:
        if spec.name == "length":  # the symbols, the cue and the recall, with a delay of 0 or more blanks
            return 2 * self.seq_len + 1, spec.high
        return spec.low, spec.high

    @property
    def input_size(self) -> int:
        return self.n_symbols + 2  # symbols, blank, cue

    @property
    def output_size(self) -> int:
        return self.n_symbols

    def batch(self, batch_size: int, rng: np.random.Generator) -> Batch:
        T, B, S, K = self.length, check_batch_size(batch_size), self.seq_len, self.n_symbols
        symbols = rng.integers(0, K, size=(S, B))  # (S, B)
        ids = np.full((T, B), K)  # blank everywhere, then symbols and the cue
        ids[:S] = symbols
        ids[T - S - 1] = K + 1
        y = np.zeros((T, B), dtype=np.int64)
        y[T - S :] = symbols
        mask = np.zeros((T, B), dtype=bool)
        mask[T - S :] = True
        return Batch(x=one_hot(ids, K + 2), y=y, mask=mask)

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

    def reading_guide(self) -> str:
        return accuracy_guide("recalled symbol", "symbols", self.output_size)

    def sample_lines(self, batch: Batch, predicted: np.ndarray, n: int = 3) -> list[str]:
        """The symbols shown and those the model recalled, per example: "shown 3 0 5   recalled 3 0 1"."""
        S = self.seq_len
        return [
            f"shown {' '.join(map(str, batch.y[-S:, b]))}   recalled {' '.join(map(str, predicted[-S:, b]))}"
            for b in range(min(n, batch.x.shape[1]))
        ]

    def encoding(self) -> dict:
        channels = [f"symbol {k}" for k in range(self.n_symbols)] + ["blank", "cue"]
        return {"type": "symbols", "n_symbols": self.n_symbols, "channels": channels}


@register
@dataclass(frozen=True)
class NextNumber(Task):
    """Predict the next number of an arithmetic sequence from a window (e.g. 1, 2, 3 -> 4)."""

    window: int = option(  # T, numbers shown
        "numbers shown", "how many numbers of the sequence the model reads before it predicts the next",
        3, 1, 20,
    )  # fmt: skip

    name: ClassVar[str] = "next-number"
    title: ClassVar[str] = "Next number (sliding window)"
    baseline_description: ClassVar[str] = "repeat the last number of the window"
    SCALE: ClassVar[float] = 10.0  # model value = number / SCALE
    STARTS: ClassVar[tuple[int, int]] = (0, 10)  # first number, uniform integer, inclusive
    STEPS: ClassVar[tuple[int, int]] = (-3, 3)  # common difference, uniform integer

    @property
    def length(self) -> int:
        return self.window

    def batch(self, batch_size: int, rng: np.random.Generator) -> Batch:
        B = check_batch_size(batch_size)
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


@register
@dataclass(frozen=True)
class Sine(Task):
    """Forecast the next value of a noisy sine wave with random phase and frequency."""

    length: int = option(  # T, values shown
        "sequence length", "values of the wave the model reads before it predicts the next", 50, 2, 10_000,
        form_high=FORM_LENGTH,
    )  # fmt: skip
    noise: float = option(  # standard deviation of the Gaussian noise on every value
        "noise", "standard deviation of the Gaussian noise added to every value of the wave", 0.1, 0.0, 1.0,
        step=0.05,
    )  # fmt: skip

    name: ClassVar[str] = "sine"
    title: ClassVar[str] = "Noisy sine wave"
    baseline_description: ClassVar[str] = "repeat the last value seen (persistence)"
    PERIODS: ClassVar[tuple[float, float]] = (8.0, 40.0)  # steps per cycle

    def batch(self, batch_size: int, rng: np.random.Generator) -> Batch:
        T, B = self.length, check_batch_size(batch_size)
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
