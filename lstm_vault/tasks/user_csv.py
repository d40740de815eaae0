"""Your own data: windows of the columns of an uploaded CSV, predicting a target column some rows ahead.

The task is built from a parsed table (:class:`lstm_vault.userdata.CSVTable`) and treated like any other:
``get_task("csv", **task.options())`` rebuilds it, so ``train_config``, ``training`` and ``evaluation`` need
nothing special. Its options name the data by the file's SHA-256 (``data``); the table itself lives in
:data:`_TABLES` only while something holds it (a browser session, a running job, a finished run), so a model
file reopens here with its held-out data while that session has the CSV, and otherwise says which CSV, columns
and window it expects (:class:`MissingData`).

Like the shipped series (:class:`.windowed.SeriesTask`), the rows are split in time: training windows and
what they predict lie in the first 85 % of the rows, validation windows in the last 15 %
(:data:`.base.HELD_OUT`), never shuffled across. Each column is standardised with the mean and standard
deviation of the training rows only. The baseline is persistence: the target's value in the window's last row.

Shapes: ``x`` (T, B, I), I the input columns in the order chosen; ``y`` (B, 1), the target standardised.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..userdata import CSVTable
from .base import Batch, Option, option, register
from .data import split_index
from .synthetic import FORM_LENGTH
from .windowed import Windowed

MAX_INPUTS = 64  # input columns a task reads (a model file may name no more)
_DIGEST = re.compile(r"[0-9a-f]{64}")

#: digest -> table, for as long as something else holds the table (a session, a job, a finished run)
_TABLES: weakref.WeakValueDictionary[str, CSVTable] = weakref.WeakValueDictionary()


class MissingData(ValueError):
    """The task's CSV is not loaded in this process; the message says what the task expects."""


def add_table(table: CSVTable) -> str:
    """Make ``table`` findable by its digest while something holds it; returns the digest."""
    _TABLES[table.digest] = table
    return table.digest


def csv_task(table: CSVTable, inputs, target: str, length: int = 24, ahead: int = 1, file: str = ""):
    """The task that trains on ``table``'s columns ``inputs`` (in order) to predict ``target`` ``ahead`` rows
    after each window of ``length`` rows. ValueError (OptionError for a bound) names what does not fit."""
    add_table(table)
    return UserCSV(length=length, ahead=ahead, data=table.digest, inputs=tuple(inputs), target_column=target,
                   file=file)  # fmt: skip


def in_units(encoding: dict, x: np.ndarray) -> np.ndarray:
    """A model's inputs ``x`` (..., I) in the data's units, from a model file's ``encoding``: each column by
    its own ``input_offset`` and ``input_scale`` (this task's), else a series' ``offset`` and ``scale``."""
    x = np.asarray(x, dtype=np.float64)
    offset = np.asarray(encoding.get("input_offset", encoding.get("offset", 0.0)), dtype=np.float64)
    scale = np.asarray(encoding.get("input_scale", encoding.get("scale", 1.0)), dtype=np.float64)
    return offset + scale * x


_MARKDOWN = re.compile(r"([\\`*_\[\]<>~$|])")  # what makes a link, an image, emphasis, code, HTML, maths


def plain(text) -> str:
    """A name from the user's file (or a model file) as text that markdown shows as it is: no link, image,
    emphasis or HTML made of it, since pages show these sentences through markdown."""
    return _MARKDOWN.sub(r"\\\1", str(text))


def quoted(text) -> str:
    """A column's name in a sentence: 'name', markdown-safe."""
    return f"'{plain(text)}'"


def _names(value, what: str) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{what} must be a list of column names, got {value!r:.80}")
    return tuple(value)


def min_rows(ahead: int) -> int:
    """The fewest rows that hold out a window of 1 row and its target and still leave one to train on."""
    n = 2
    while n - split_index(n) < 1 + ahead or split_index(n) < 1 + ahead:
        n += 1
    return n


def longest_window(rows: int, ahead: int = 1) -> int:
    """The longest window for ``rows`` rows: at least half the held-out targets remain, as for the series."""
    return max(1, (rows - split_index(rows) - ahead + 1) // 2)


@register
@dataclass(frozen=True)
class UserCSV(Windowed):
    """Predict a column of the user's CSV ``ahead`` rows after a window of ``length`` rows of its columns."""

    length: int = option(
        "window length", "rows the model reads before it predicts", 24, 1, 10_000, form_high=FORM_LENGTH
    )  # T
    ahead: int = option("rows ahead", "how far after the window the predicted row lies (1: the next row)", 1,
                        1, 1000)  # fmt: skip
    # the data, not options: no widget, but in options() so that get_task rebuilds the task
    data: str = ""  # the file's SHA-256 (CSVTable.digest)
    inputs: tuple = ()  # the input columns, in the order the model reads them
    target_column: str = ""  # the column whose value ``ahead`` rows after the window is predicted
    file: str = ""  # the file's name, for sentences

    name: ClassVar[str] = "csv"
    title: ClassVar[str] = "Your own data (CSV)"
    baseline_description: ClassVar[str] = (
        "repeat the target's last value in the window (persistence), on the held-out rows"
    )
    held_out_items: ClassVar[str] = "rows of your file"

    def __post_init__(self):
        inputs = _names(self.inputs, "inputs")
        object.__setattr__(self, "inputs", inputs)
        if not isinstance(self.target_column, str) or not isinstance(self.file, str):
            raise ValueError("the target column and the file name must be text")
        if not isinstance(self.data, str) or not _DIGEST.fullmatch(self.data):
            raise MissingData("no CSV yet: upload a CSV file to train on")
        if not inputs or len(inputs) > MAX_INPUTS or len(set(inputs)) < len(inputs):
            raise ValueError(f"pick from 1 to {MAX_INPUTS} different input columns, got {len(inputs)}")
        if not self.target_column:
            raise ValueError("pick the column to predict")
        table = _TABLES.get(self.data)
        if table is None:
            raise MissingData(self.expects() + ". That CSV is not loaded here: upload it on the Train page")
        used = inputs + ((self.target_column,) if self.target_column not in inputs else ())
        values = table.columns(used)  # (N, C): ValueError names a bad row or column
        ahead = self.ahead if isinstance(self.ahead, int) and not isinstance(self.ahead, bool) else 1
        n, least = table.rows, min_rows(ahead)
        if n < least:
            raise ValueError(
                f"the file has {n} data row(s): at least {least} are needed to hold out the last rows for "
                f"validation and still train on a window of 1 row, {ahead} row(s) ahead"
            )
        split = split_index(n)
        mean, std = values[:split].mean(axis=0), values[:split].std(axis=0)
        for name, spread, level in zip(used, std, mean):
            if not spread > 0:
                raise ValueError(
                    f"column {name!r} is constant in the training rows (every value {level:g}): it has "
                    "nothing to learn from; pick another column"
                )
        z = (values - mean) / std
        z.setflags(write=False)
        for key, value in (("_table", table), ("_z", z), ("_split", split), ("_mean", mean), ("_std", std)):
            object.__setattr__(self, key, value)
        super().__post_init__()  # the options' bounds, with the data's (``bounds``)

    def expects(self) -> str:
        """What the task reads, from its options alone (so a model file can say it without the CSV)."""
        names = ", ".join(map(quoted, self.inputs))
        where = f" of {plain(self.file)}" if self.file else ""
        return (
            f"The model reads {len(self.inputs)} column(s){where} per row, in this order: {names}; "
            f"windows of {self.length} rows; it predicts {quoted(self.target_column)} {self.ahead} row(s) "
            "after each window"
        )

    def bounds(self, spec: Option) -> tuple:
        n = self._table.rows
        if spec.name == "length":  # leave at least half the held-out targets, as the series tasks do
            return spec.low, longest_window(n, self.ahead)
        if spec.name == "ahead":
            return spec.low, max(1, n - self._split - 1)
        return spec.low, spec.high

    @classmethod
    def field_text(cls, name: str, value) -> str | None:
        if name == "inputs" and isinstance(value, (list, tuple)):
            return "inputs " + ", ".join(map(quoted, value))
        if name == "target_column":
            return f"target {quoted(value)}"
        if name == "file":
            return f"file {plain(value)}" if value else None
        return None  # the digest

    @property
    def input_size(self) -> int:
        return len(self.inputs)

    @property
    def target_index(self) -> int:
        """The target's column in ``_z``."""
        return (
            self.inputs.index(self.target_column) if self.target_column in self.inputs else len(self.inputs)
        )

    def _sequence(self) -> tuple[np.ndarray, int]:
        return self._z, self._split

    def _batch_of(self, chunk: np.ndarray) -> Batch:
        # chunk (T + ahead, B, C): the window's inputs, then the target ``ahead`` rows after its last row
        x = chunk[: self.length, :, : len(self.inputs)]
        y = chunk[-1, :, self.target_index][:, None]
        return Batch(x=x.astype(np.float32), y=y.astype(np.float32))

    def baseline_loss(self) -> float:
        z = self._z[:, self.target_index]
        targets = np.arange(self._split + self.length + self.ahead - 1, len(z))  # every validation target
        return float(np.mean((z[targets] - z[targets - self.ahead]) ** 2))

    def held_out_rows(self) -> tuple[int, int]:
        """(first, last) row index of the held-out part."""
        return self._split, self._table.rows - 1

    def description(self) -> str:
        table, n, split = self._table, self._table.rows, self._split
        axis = (
            f"Rows are in time order by **{plain(table.time_name)}** ({plain(table.when(0))} to "
            f"{plain(table.when(n - 1))}), "
            "the time axis, not an input. "
            if table.time_name
            else "Rows are read in the file's order, taken as time order. "
        )
        return (
            f"**{plain(self.file) or 'Your CSV'}** ({n:,} rows). {self.expects()}. {axis}Each column is "
            "standardised with the mean and standard deviation of the training rows. It trains on the first "
            f"{split:,} rows and is validated on the last {n - split:,} ({100 * (n - split) / n:.0f} %; from "
            f"{plain(table.when(split))}), which it never sees in training."
        )

    def reading_guide(self) -> str:
        return (
            f"The black line is the held-out part of {quoted(self.target_column)}: the value {self.ahead} "
            "row(s) after each validation window, in time order; each coloured line is a model's prediction, "
            "in the column's own units. Persistence (repeat the last value) is the baseline to beat."
        )

    def encoding(self) -> dict:
        t = self.target_index
        return {
            "type": "real",
            "offset": float(self._mean[t]),
            "scale": float(self._std[t]),
            "series": "csv",
            "unit": "",
            "columns": list(self.inputs),
            "target": self.target_column,
            "window": self.length,
            "ahead": self.ahead,
            "input_offset": [float(v) for v in self._mean[: len(self.inputs)]],
            "input_scale": [float(v) for v in self._std[: len(self.inputs)]],
            "time": self._table.time_name,
        }
