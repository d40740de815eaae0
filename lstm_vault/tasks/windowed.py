"""Tasks that read windows of the shipped data: a series' next value, a text's next character.

Both cut windows of ``length`` consecutive items from one finite sequence (:class:`Windowed`): a training
window and what it predicts lie entirely in the first 85 %, a validation window and what it predicts entirely
in the last 15 %, so the two never share an item. A series window predicts the one value after it (target
``"last"``); a text window predicts, at every step, the character after that step (target ``"all"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .base import Batch, Option, Task, check_batch_size, one_hot, option, register, validation_rng
from .data import (
    SERIES,
    TEXTS,
    dominant_period,
    encoded_text,
    load_text,
    pick_windows,
    read_series,
    split_index,
    standardised,
)
from .synthetic import FORM_LENGTH, accuracy_guide


@dataclass(frozen=True)
class Windowed(Task):
    """Windows of ``length`` items of a finite sequence (``_sequence``), each with the item(s) it predicts."""

    held_out_items: ClassVar[str] = ""  # "values of the series": what the held-out tail is made of

    @property
    def ahead(self) -> int:
        """How many items after its window the item a window predicts lies (1: the next one)."""
        return 1

    def _sequence(self) -> tuple[np.ndarray, int]:
        """The whole sequence (N,) and the index of its first held-out item."""
        raise NotImplementedError

    def _batch_of(self, chunk: np.ndarray) -> Batch:
        """Windows and what follows each, ``chunk`` (T + ahead, B, ...), as a batch."""
        raise NotImplementedError

    @property
    def n_validation(self) -> int:
        """Number of distinct validation windows."""
        sequence, split = self._sequence()
        return len(sequence) - split - self.length - self.ahead + 1

    def _windows(self, starts: np.ndarray) -> Batch:
        sequence = self._sequence()[0]
        span = np.arange(self.length + self.ahead)[:, None]
        return self._batch_of(sequence[starts[None, :] + span])  # (T + ahead, B, ...)

    def batch(self, batch_size: int, rng: np.random.Generator) -> Batch:
        split = self._sequence()[1]
        # the last item predicted, at start + length + ahead - 1, must be < split
        starts = rng.integers(0, split - self.length - self.ahead + 1, size=check_batch_size(batch_size))
        return self._windows(starts)

    def validation(self, size: int, seed: int = 0) -> Batch:
        split = self._sequence()[1]
        starts = split + pick_windows(self.n_validation, check_batch_size(size), validation_rng(seed))
        return self._windows(starts)

    def held_out(self) -> str:
        sequence, split = self._sequence()
        return f"from the last {len(sequence) - split:,} {self.held_out_items}, which training never sees"


# ------------------------------------------------------------------------------------------
# series


def series_length(default: int):
    return option(
        "sequence length", "past values the model reads before it predicts the next", default, 1, 10_000,
        form_high=FORM_LENGTH,
    )  # fmt: skip


@dataclass(frozen=True)
class SeriesTask(Windowed):
    """Forecast the next value of a shipped series from a window of ``length`` values.

    Values are standardised with the mean and standard deviation of the training part.
    """

    length: int = series_length(24)  # T, values shown

    series: ClassVar[str] = ""  # a key of SERIES
    baseline_description: ClassVar[str] = "repeat the last value seen (persistence), on the validation data"
    held_out_items: ClassVar[str] = "values of the series"

    def bounds(self, spec: Option) -> tuple:
        if spec.name == "length":  # leave at least half the held-out tail as targets
            n = len(read_series(self.series)[1])
            return spec.low, (n - split_index(n)) // 2
        return spec.low, spec.high

    @property
    def _data(self) -> tuple[np.ndarray, int, float, float]:
        """Standardised values (N,), the split index, the training mean and std."""
        return standardised(self.series)

    def _sequence(self) -> tuple[np.ndarray, int]:
        return self._data[:2]

    def _batch_of(self, chunk: np.ndarray) -> Batch:
        return Batch(x=chunk[:-1, :, None].astype(np.float32), y=chunk[-1][:, None].astype(np.float32))

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

    def reading_guide(self) -> str:
        return (
            "The black line is the held-out part of the series: the value after each validation window, "
            "in time order; each coloured line is a model's one-step-ahead prediction. Persistence (repeat "
            "the last value) is the baseline to beat."
        )

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


@register
@dataclass(frozen=True)
class Sunspots(SeriesTask):
    length: int = series_length(36)

    name: ClassVar[str] = "sunspots"
    title: ClassVar[str] = "Sunspots (monthly)"
    series: ClassVar[str] = "sunspots"

    def note(self) -> str:
        _, split, _, _ = self._data
        period = dominant_period(read_series(self.series)[1][:split])
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


@register
@dataclass(frozen=True)
class CO2(SeriesTask):
    length: int = series_length(24)

    name: ClassVar[str] = "co2"
    title: ClassVar[str] = "CO2 at Mauna Loa (monthly)"
    series: ClassVar[str] = "co2"

    def note(self) -> str:
        _, split, _, _ = self._data
        values = read_series(self.series)[1]
        top = values[:split].max()
        held, targets = values[split:], values[split + self.length :]
        return (
            "A yearly cycle rides on a rising trend: "
            f"{int((held > top).sum())} of the {len(held)} held-out months lie above the highest "
            f"training value ({top:g} ppmv), and {int((targets > top).sum())} of the {len(targets)} "
            "months the model is asked to predict do. So this also shows how a model copes with "
            "values beyond those it trained on."
        )


@register
@dataclass(frozen=True)
class Nile(SeriesTask):
    length: int = series_length(5)

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


# ------------------------------------------------------------------------------------------
# text


@register
@dataclass(frozen=True)
class Text(Windowed):
    """Next-character prediction on a shipped text, at every step."""

    source: str = option(  # a key of TEXTS
        "text", "the text whose next character the model learns to predict", "sonnets",
        choices={name: source.title for name, source in TEXTS.items()},
    )  # fmt: skip
    length: int = option("sequence length", "characters the model reads in each example", 64, 1, 1000)  # T

    name: ClassVar[str] = "text"
    title: ClassVar[str] = "Next character (text)"
    loss: ClassVar[str] = "ce"
    target: ClassVar[str] = "all"
    baseline_description: ClassVar[str] = (
        "predict each character with its frequency in the training text, scored on the held-out text "
        "(nats per character)"
    )
    held_out_items: ClassVar[str] = "characters of the text"

    @property
    def vocab(self) -> str:
        return encoded_text(self.source)[0]

    @property
    def input_size(self) -> int:
        return len(self.vocab)

    @property
    def output_size(self) -> int:
        return len(self.vocab)

    def _sequence(self) -> tuple[np.ndarray, int]:
        return encoded_text(self.source)[1:]

    def _batch_of(self, chunk: np.ndarray) -> Batch:
        return Batch(x=one_hot(chunk[:-1], len(self.vocab)), y=chunk[1:].copy())

    def baseline_loss(self) -> float:
        # cross-entropy of the training text's character frequencies on every held-out target,
        # the characters that validation windows predict (the first held-out one is only read)
        vocab, ids, split = encoded_text(self.source)
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

    def reading_guide(self) -> str:
        return accuracy_guide("step", "characters", self.output_size)

    def sample_lines(self, batch: Batch, predicted: np.ndarray, n: int = 3) -> list[str]:
        """The first held-out example's text and the model's guess of each next character."""
        true = "".join(self.vocab[i] for i in batch.y[:, 0])
        guess = "".join(self.vocab[i] for i in predicted[:, 0])
        return [f"text:      {true!r}", f"predicted: {guess!r}"]

    def encoding(self) -> dict:
        return {"type": "chars", "vocab": self.vocab, "source": self.source}
