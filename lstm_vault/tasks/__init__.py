"""Tasks by name: generators of training and held-out batches, plus loaders for ``assets/``.

Like TensorFlow Playground's dataset registry, every task is looked up by name
(``get_task("adding", length=50)``) and rebuilt from its options
(``get_task(task.name, **task.options())``). Each option is declared once, on its task's dataclass field
(:func:`base.option`): label, help, bounds and default, read both by the task's checks and by the Train page.

- :mod:`.base`: ``Batch``, ``Task``, ``Option``, the registry (``TASKS``, ``get_task``, ``task_names``);
- :mod:`.synthetic`: adding, copy, next number, sine: drawn from a random generator;
- :mod:`.data`: the shipped series and texts, split in time;
- :mod:`.windowed`: sunspots, CO2, Nile and text: windows of that data;
- :mod:`.user_csv`: the user's own CSV (columns in, a column to predict), built from a parsed table.

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
first 85 %, ``validation`` only the last 15 %. This package imports only numpy and the
standard library. The parsers of user input (typed numbers, an uploaded CSV) live in
:mod:`lstm_vault.userdata`.
"""

from .base import HELD_OUT, TASKS, Batch, Option, OptionError, Task, get_task, options_text, task_names
from .data import ASSETS, SERIES, TEXTS, dominant_period, load_series, load_text, windows
from .synthetic import FORM_LENGTH, Adding, Copy, NextNumber, Sine  # registered in this order ...
from .user_csv import MissingData, UserCSV, add_table, csv_task  # ... and the user's own data last
from .windowed import CO2, Nile, SeriesTask, Sunspots, Text, Windowed  # ... then these

__all__ = [
    "ASSETS",
    "CO2",
    "FORM_LENGTH",
    "HELD_OUT",
    "MissingData",
    "SERIES",
    "TASKS",
    "TEXTS",
    "Adding",
    "Batch",
    "Copy",
    "NextNumber",
    "Nile",
    "Option",
    "OptionError",
    "SeriesTask",
    "Sine",
    "Sunspots",
    "Task",
    "Text",
    "UserCSV",
    "Windowed",
    "add_table",
    "csv_task",
    "dominant_period",
    "get_task",
    "load_series",
    "load_text",
    "options_text",
    "task_names",
    "windows",
]
