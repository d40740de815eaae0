"""Tasks by name: generators of training and held-out batches, plus loaders for ``assets/``.

Like TensorFlow Playground's dataset registry, every task is looked up by name
(``get_task("adding", length=50)``) and rebuilt from ``task.options()``.

Shape letters (shared with the rest of the package): ``T`` time, ``B`` batch, ``I`` input size,
``O`` output size. Every array is time-major.

- ``Batch.x``: ``(T, B, I)`` float32.
- ``Batch.y``: target ``"last"``: ``(B, O)`` float32 (``mse``) or ``(B,)`` int64 (``ce``);
  target ``"all"``: ``(T, B, O)`` float32 (``mse``) or ``(T, B)`` int64 (``ce``).
- ``Batch.mask``: target ``"all"`` only: ``(T, B)`` bool, the steps that count in the loss; ``None`` = all.

Randomness comes only from the ``numpy.random.Generator`` passed to ``batch`` or the ``seed`` passed to
``validation``. This module imports only numpy and the standard library.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import ClassVar

import numpy as np

# validation(size, seed) draws from this stream, mixed with the seed, so that validation
# batches never coincide with training batches made from np.random.default_rng(seed).
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
    def input_size(self) -> int:  # I
        raise NotImplementedError

    @property
    def output_size(self) -> int:  # O: 1 for regression, number of classes for ce
        raise NotImplementedError

    @property
    def length(self) -> int:  # T
        raise NotImplementedError

    def batch(self, batch_size: int, rng: np.random.Generator) -> Batch:
        """Training examples drawn with ``rng``."""
        raise NotImplementedError

    def validation(self, size: int, seed: int = 0) -> Batch:
        """Held-out examples: a seed stream separate from training (synthetic tasks)."""
        return self.batch(size, _validation_rng(seed))

    def baseline_loss(self) -> float:
        """Expected loss of the trivial predictor in ``baseline_description``."""
        raise NotImplementedError

    def description(self) -> str:
        """A short markdown paragraph for the UI."""
        raise NotImplementedError

    def encoding(self) -> dict:
        """JSON-serialisable input/output encoding, stored in model files."""
        return {"type": "real", "scale": 1.0}

    def options(self) -> dict:
        """The options this task was made with: ``get_task(self.name, **self.options())`` rebuilds it."""
        return asdict(self)


def _option(task: str, option: str, value, low: float, high: float, integer: bool):
    """``value`` as an int (``integer``) or float in ``[low, high]``; else a ValueError naming the range."""
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    ok = (
        not isinstance(value, bool)
        and isinstance(value, kinds)
        and low <= value <= high
    )
    if not ok:
        kind = "an integer" if integer else "a number"
        raise ValueError(
            f"task {task!r}: option {option!r} must be {kind} in [{low}, {high}], "
            f"got {value!r}"
        )
    return int(value) if integer else float(value)


# --------------------------------------------------------------------------------------------
# adding


@dataclass(frozen=True)
class Adding(Task):
    """The adding problem (Hochreiter & Schmidhuber 1997, experiment 4)."""

    length: int = 100  # T, number of (value, marker) pairs

    name: ClassVar[str] = "adding"
    title: ClassVar[str] = "Adding problem"
    baseline_description: ClassVar[str] = "always predict 1.0 (the mean of the target)"

    def __post_init__(self):
        object.__setattr__(
            self, "length", _option(self.name, "length", self.length, 2, 10_000, True)
        )

    @property
    def input_size(self) -> int:
        return 2  # channel 0: value in U[0, 1); channel 1: marker in {0, 1}

    @property
    def output_size(self) -> int:
        return 1

    def batch(self, batch_size: int, rng: np.random.Generator) -> Batch:
        T, B = self.length, int(batch_size)
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
        return (
            f"Each sequence has {self.length} steps. Channel 0 carries a random number "
            "in [0, 1); channel 1 marks exactly two steps, one in the first half and one "
            "in the second. At the end the model must output the **sum of the two marked "
            f"numbers**. The first marked number can be up to {self.length - 1} steps in "
            "the past, so the model has to store it in its cell and ignore every "
            "unmarked number in between."
        )


TASKS: dict[str, type[Task]] = {
    "adding": Adding,
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
            f"task {name!r} has no option {', '.join(map(repr, unknown))}; its options are: {', '.join(valid) or 'none'}"
        )
    return cls(**options)
