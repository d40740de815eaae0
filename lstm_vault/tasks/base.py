"""What every task shares: the ``Batch``, the ``Task`` base, its declared options, and the registry by name.

A task's options are the fields of its frozen dataclass, each declared once with :func:`option`: its label,
its help, its bounds and its default. The task checks its values against that declaration, and the Train
page builds its widgets from the same declaration (``Task.option_specs()``), so the page never repeats a
bound or a label.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import ClassVar

import numpy as np

HELD_OUT = 0.15  # the last 15 % of every finite data set is validation only

# validation(size, seed) draws from this stream mixed with the seed, so validation batches
# never coincide with training batches made from np.random.default_rng(seed).
_VALIDATION_STREAM = 0x5EED_7A11
_SPEC = "lstm_vault.option"  # the key of an option's declaration in its dataclass field's metadata


@dataclass(frozen=True)
class Batch:
    """One batch of examples; shapes in the package docstring."""

    x: np.ndarray  # (T, B, I) float32
    # "last": (B, O) float32 (mse) or (B,) int64 (ce);
    # "all": (T, B, O) float32 (mse) or (T, B) int64 (ce)
    y: np.ndarray
    mask: np.ndarray | None = None  # (T, B) bool, "all" only; None = every step counts


# ------------------------------------------------------------------------------------------
# options, declared once


@dataclass(frozen=True)
class Option:
    """One option of a task: what its value means, for people, and which values the task accepts.

    A number option has ``low`` and ``high`` (inclusive; an integer option when ``default`` is an int); a
    named choice has ``choices``, ``(name, title)`` pairs. Some bounds depend on the other options or on
    the data (the copy task's length on the symbols to remember): the task narrows them in ``bounds``.
    """

    name: str  # the dataclass field, the keyword of get_task and the name in a link
    label: str  # "sequence length"
    help: str  # one clause: what the value changes
    default: int | float | str
    low: float | None = None
    high: float | None = None
    # the most the Train page offers, where a CPU run (and the traced predictions) cannot afford ``high``
    form_high: float | None = None
    step: float = 1  # the widget's step
    choices: tuple[tuple[str, str], ...] = ()  # (name, title) of each allowed value

    @property
    def integer(self) -> bool:
        return isinstance(self.default, int) and not self.choices

    @property
    def offered(self) -> tuple[float, float]:
        """(low, high) of the Train page's widget for this number option."""
        return self.low, self.high if self.form_high is None else min(self.high, self.form_high)

    @property
    def help_text(self) -> str:
        """The widget's help: what the value changes and, for a number, the range offered."""
        if self.choices:
            return self.help
        low, high = (f"{v:,}" if self.integer else f"{v:g}" for v in self.offered)
        return f"{self.help} ({low} to {high})"

    def title(self, value) -> str:
        """A value as people read it: a choice's title, a number as it is."""
        return dict(self.choices).get(value, str(value))

    def check(self, task: str, value, low: float | None = None, high: float | None = None):
        """``value`` as this option's type, within ``[low, high]`` (the declared bounds when None)."""
        if self.choices:
            if not isinstance(value, str) or value not in dict(self.choices):
                raise OptionError(task, self, f"one of: {', '.join(n for n, _ in self.choices)}", value)
            return value
        low = self.low if low is None else low
        high = self.high if high is None else high
        kinds = (int, np.integer) if self.integer else (int, float, np.integer, np.floating)
        ok = not isinstance(value, bool) and isinstance(value, kinds) and low <= value <= high
        if not ok:
            kind = "an integer" if self.integer else "a number"
            raise OptionError(task, self, f"{kind} in [{low}, {high}]", value)
        return int(value) if self.integer else float(value)

    def parse(self, text: str):
        """A link's text as the value this option's widget takes from it, as Streamlit's number input does
        (an integer option drops the fraction); ValueError when the widget would ignore it."""
        if self.choices:
            if text not in dict(self.choices):
                raise ValueError(text)
            return text
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(text)
        value = int(value) if self.integer else value
        low, high = self.offered
        if not low <= value <= high:
            raise ValueError(text)
        return value


class OptionError(ValueError):
    """A task option out of its bounds. ``str()`` names the option as code does (for the CLI);
    ``sentence`` by its label, for a page."""

    def __init__(self, task: str, option: Option, rule: str, value):
        self.task, self.option, self.rule, self.value = task, option, rule, value
        super().__init__(f"task {task!r}: option {option.name!r} must be {rule}, got {value!r}")

    @property
    def sentence(self) -> str:
        return f"{self.option.label.capitalize()} must be {self.rule}, got {self.value!r}"


def option(label: str, help: str, default, low=None, high=None, **more):
    """A task's dataclass field, declared with its :class:`Option` (the field's name fills in ``name``)."""
    choices = more.pop("choices", None)
    if isinstance(choices, Mapping):
        more["choices"] = tuple(choices.items())
    spec = Option("", label, help, default, low, high, **more)
    return field(default=default, metadata={_SPEC: spec})


# ------------------------------------------------------------------------------------------
# the task base


def validation_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([_VALIDATION_STREAM, int(seed)])


def check_batch_size(size) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"batch size must be a positive integer, got {size!r}")
    return int(size)


def one_hot(ids: np.ndarray, n: int) -> np.ndarray:
    """ids (...) int -> (..., n) float32."""
    return np.eye(n, dtype=np.float32)[ids]


@dataclass(frozen=True)
class Task:
    """Base of every task. Subclasses are frozen dataclasses whose fields are their options (``option``), and
    for a task built from data the user brings, the fields that name that data (no ``option``: no widget)."""

    name: ClassVar[str] = ""  # registry name
    title: ClassVar[str] = ""  # human title for the UI
    loss: ClassVar[str] = "mse"  # "mse" or "ce"
    # "last": read-out at the final step; "all": every step, weighted by the mask
    target: ClassVar[str] = "last"
    baseline_description: ClassVar[str] = ""  # the trivial predictor, in words
    # what to try when a run does not beat the baseline
    advice: ClassVar[str] = "Try more steps or another architecture."

    def __post_init__(self):
        specs, failed = self.option_specs(), []
        for spec in specs:  # the type and the declared bounds
            try:
                object.__setattr__(self, spec.name, spec.check(self.name, getattr(self, spec.name)))
            except OptionError as error:
                failed.append(error)
        if len(failed) == 1:  # the others are fine: name the bounds this task really has, if narrower
            spec = failed[0].option
            spec.check(self.name, getattr(self, spec.name), *self.bounds(spec))
        if failed:
            raise failed[0]
        for spec in specs:  # bounds that read the other options or the data
            bounds = self.bounds(spec)
            if bounds != (spec.low, spec.high):
                object.__setattr__(self, spec.name, spec.check(self.name, getattr(self, spec.name), *bounds))

    @classmethod
    def option_specs(cls) -> tuple[Option, ...]:
        """Every option of the task, in field order."""
        return tuple(replace(f.metadata[_SPEC], name=f.name) for f in fields(cls) if _SPEC in f.metadata)

    @classmethod
    def field_text(cls, name: str, value) -> str | None:
        """A field that is not an option (the data a task reads) as people read it; None: not shown."""
        return f"{name.replace('_', ' ')} {value}"

    def bounds(self, spec: Option) -> tuple:
        """(low, high) of an option for this task's other options and data; the declared ones by default."""
        return spec.low, spec.high

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
        return self.batch(size, validation_rng(seed))

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

    def reading_guide(self) -> str:
        """How to read the Train page's figure of this task's predictions (``figures.training``)."""
        return (
            "Each dot is one held-out example: the true answer across, the model's answer up. A model that "
            "learned the task puts its dots on the dashed diagonal; one that only learned the average draws "
            f"a flat band at the mean. The baseline here: {self.baseline_description}."
        )

    def sample_lines(self, batch: Batch, predicted: np.ndarray, n: int = 3) -> list[str]:
        """A few held-out examples as text, given the most likely output ``predicted`` (T, B); none here."""
        return []

    def encoding(self) -> dict:
        """JSON-serialisable input/output encoding, stored in model files."""
        return {"type": "real", "offset": 0.0, "scale": 1.0}

    def options(self) -> dict:
        """The options this task was made with; ``get_task(name, **options)`` rebuilds it."""
        return asdict(self)

    def options_text(self) -> str:
        """The options as people read them: "sequence length 20, alphabet size 8"."""
        return options_text(self.name, self.options())


# ------------------------------------------------------------------------------------------
# the registry

TASKS: dict[str, type[Task]] = {}  # filled by @register, in the order the modules define the tasks


def register(cls: type[Task]) -> type[Task]:
    TASKS[cls.name] = cls
    return cls


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


def options_text(name: str, options: Mapping) -> str:
    """Options as people read them, by their labels, for a task that may be unknown here (a model file's):
    ``("copy", {"n_symbols": 8})`` -> "alphabet size 8"; an option unknown here keeps its name."""
    cls = TASKS.get(name, Task)
    specs = {spec.name: spec for spec in cls.option_specs()} if name in TASKS else {}
    parts = []
    for key, value in options.items():
        spec = specs.get(key)
        parts.append(f"{spec.label} {spec.title(value)}" if spec else cls.field_text(key, value))
    return ", ".join(part for part in parts if part is not None)
