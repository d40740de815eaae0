"""What the Step through page decides, apart from widgets: which trace it shows, and every sentence around it.

The page feeds a sequence to the hand-set LSTM (:mod:`lstm_vault.handset`) or to the session's trained model
and sends one layer's trace to the browser's stepper (:func:`lstm_vault.stepping.step_payload`). This module
holds the rest of what the page knows: how big a trained model's trace may be (:data:`MAX_TRACE_CELLS`),
which one-hot encoding names its inputs, the captions that say what is shown, and what to tell a person
whose link held a value the page cannot use. Nothing here imports streamlit.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from . import explain, predictions
from .figures.cell import MAX_LINE_UNITS
from .modelfile import imported_from
from .tasks import NextNumber

#: T x H x layers x directions of a trained model's trace at most: a trace holds about twelve arrays of that
#: size in float64 (about 200 MB at the limit), and a model file from elsewhere can be huge
MAX_TRACE_CELLS = 2_000_000
#: the models the page can step through
STEPPABLE = ("lstm", "gru", "rnn")
#: what each architecture's cell is, for a line above the stepper (an LSTM needs none: the page is about it)
ARCH_NOTES = {
    "rnn": "A vanilla RNN has no gates: each step rewrites its whole hidden state, h = tanh(W x + W h + b).",
    "gru": "A GRU has two gates, reset r and update z, and a candidate n; its hidden state h is also its "
    "memory.",
}


def unsteppable(saved) -> str | None:
    """Why the session's model (a :class:`~lstm_vault.modelfile.SavedModel`) cannot be stepped through
    here, or None when it can."""
    rnn = getattr(saved, "rnn", None)
    if rnn is None or getattr(rnn, "arch", None) not in STEPPABLE:
        return "the session's model has no NumPy recurrent part (.rnn) to show"
    return None


class InputMismatch(ValueError):
    """The user's input has another number of columns than the model reads per step; says what it expects."""


def names_task(saved) -> bool:
    """Whether the model file names a task, whose held-out example the page can feed it (an imported model
    names none: it reads the user's input)."""
    return bool((getattr(saved, "meta", None) or {}).get("task"))


def feeds(saved) -> list[str]:
    """What the page can feed the session's model, the default first: "example" (its own task's held-out
    example, when the file names a task) and "sequence" (the user's input, one column per input; not for a
    character model, ``meta["encoding"]["type"]`` "chars", which reads one-hot characters)."""
    encoding = (getattr(saved, "meta", None) or {}).get("encoding") or {}
    if not names_task(saved):
        return ["sequence"]
    return ["example"] + (["sequence"] if encoding.get("type") != "chars" else [])


def model_input(rnn, values, columns=()) -> np.ndarray:
    """The user's input as the model's x (T, 1, I): ``values`` (T,) or (T, C) with C the model's input size I;
    :class:`InputMismatch` naming what the model expects otherwise (and the input's ``columns``, if named)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[:, None] if v.ndim == 1 else v
    count, I = (v.shape[1] if v.ndim == 2 else 0), rnn.input_size
    if count != I:
        raise InputMismatch(input_mismatch(I, count, columns))
    return v.reshape(v.shape[0], 1, I)


def input_scaling(saved) -> tuple[np.ndarray, np.ndarray] | None:
    """(offset, scale), one each per input, with which the model's task fed it numbers: model value =
    (number − offset) ÷ scale. From a real-valued task's encoding: a CSV's training rows' mean and standard
    deviation per column (``input_offset``, ``input_scale``), a series' (``offset``, ``scale``) or a fixed
    divisor. None where the model reads numbers as they are: no such encoding, offset 0 and scale 1, or
    numbers that do not fit the model (a count other than its input size, not finite, a zero scale)."""
    encoding = (getattr(saved, "meta", None) or {}).get("encoding") or {}
    if encoding.get("type") != "real":
        return None
    size = saved.rnn.input_size
    offset = encoding.get("input_offset", [encoding.get("offset", 0.0)] * size)
    scale = encoding.get("input_scale", [encoding.get("scale", 1.0)] * size)
    try:
        offset, scale = (np.asarray(v, dtype=np.float64).reshape(-1) for v in (offset, scale))
    except (TypeError, ValueError):
        return None
    if offset.shape != (size,) or scale.shape != (size,):
        return None
    if not (np.all(np.isfinite(offset)) and np.all(np.isfinite(scale)) and np.all(scale != 0)):
        return None
    if np.all(offset == 0) and np.all(scale == 1):
        return None
    return offset, scale


def scaled_input(saved, x: np.ndarray) -> np.ndarray:
    """The user's numbers x (T, 1, I) as the model's task fed it numbers (:func:`input_scaling`)."""
    scaling = input_scaling(saved)
    return x if scaling is None else (x - scaling[0]) / scaling[1]


def _number(v: float) -> str:
    return f"{v:.4g}".replace("-", "−")


def _rule(offset: float, scale: float) -> str:
    """ "(x − 334.9) ÷ 13.91", "(x + 3) ÷ 4": a number's way into the model."""
    shift = f"x − {_number(offset)}" if offset >= 0 else f"x + {_number(-offset)}"
    return f"({shift}) ÷ {_number(scale)}"


def scaling_note(saved, columns=()) -> str:
    """What :func:`scaled_input` did, in a sentence: "The model reads each of your numbers x as its task
    fed it: (x − 334.9) ÷ 13.91, its training data's mean and standard deviation; its predictions are
    turned back into your units." ("" where it reads numbers as they are)."""
    scaling = input_scaling(saved)
    if scaling is None:
        return ""
    offset, scale = scaling
    back = "its predictions are turned back into your units"
    if np.all(offset == 0) and np.all(scale == scale[0]):
        divisor = _number(scale[0])
        return f"The model reads each of your numbers divided by {divisor}, as its task fed it; {back}."
    names = list(columns) if len(columns) == len(offset) else [f"input {k + 1}" for k in range(len(offset))]
    if len(offset) == 1:
        rule = _rule(offset[0], scale[0])
        return (
            f"The model reads each of your numbers x as its task fed it: {rule}, its training data's mean "
            f"and standard deviation; {back}."
        )
    rules = "; ".join(f"{name!r}: {_rule(o, c)}" for name, o, c in zip(names, offset, scale))
    return (
        "The model reads each column as its task fed it, (x − mean) ÷ standard deviation with its training "
        f"rows' values, in order: {rules}; {back}."
    )


def own_standardising_warning(saved) -> str:
    """Why the "Standardise" box misleads a model that scales its inputs itself (:func:`input_scaling`)."""
    return (
        "**Standardise** is ticked: your numbers are scaled with their own mean and standard deviation, "
        "not with those the model was trained with, so it reads other numbers than its task would give it. "
        "Untick it to feed your numbers as they are: the page then scales them the model's way."
    )


def input_mismatch(I: int, count: int, columns=()) -> str:
    """ "This model reads 3 numbers per step; the input has 1 column ('wind'). ...": what to pick instead."""
    reads = f"{I} number{'s' if I != 1 else ''} per step"
    names = f" ({', '.join(map(repr, columns))})" if columns else ""
    has = f"{count} column{'s' if count != 1 else ''}{names}"
    pick = f"{I} column{'s' if I != 1 else ''}"
    return (
        f"This model reads {reads}; the input has {has}. Pick {pick} of a CSV file under **Input**, in the "
        "order the model was trained on."
    )


def layer_trace(rnn, x, layer: int = 0, direction: int = 0, clamps=None):
    """The trace of one layer and direction of ``rnn`` reading x (T, 1, I), with ``clamps`` (GateClamp /
    UnitAblation records) if any; ValueError when the whole trace would pass :data:`MAX_TRACE_CELLS`."""
    directions = 2 if rnn.bidirectional else 1
    size = x.shape[0] * rnn.hidden_size * rnn.num_layers * directions
    if size > MAX_TRACE_CELLS:
        raise ValueError(
            f"{x.shape[0]:,} steps through its {rnn.hidden_size:,} hidden units are too big to trace here "
            f"(T x H x layers x directions = {size:,}; at most {MAX_TRACE_CELLS:,})"
        )
    return rnn.forward(x, clamps=clamps)[2].layers[layer][direction]


def input_encoding(saved, layer: int, task_example: bool) -> dict | None:
    """The task's encoding that names one-hot inputs (characters, symbols) in the headers, when the shown
    layer reads the task's own input: layer 0 fed a task example. A deeper layer reads hidden states."""
    if not task_example or layer != 0:
        return None
    return (getattr(saved, "meta", None) or {}).get("encoding")


def trained_caption(saved) -> str:
    """The sidebar's line about the session's model: "LSTM, H = 32, trained on text.", or for an imported
    one "LSTM, H = 5, I = 3, imported from a torch state dict (module 'rnn'); it names no task."."""
    rnn, meta = saved.rnn, getattr(saved, "meta", None) or {}
    imported = imported_from(meta)
    task_name = meta.get("task") or "an unnamed task"
    origin = f"imported from {imported}" if imported else f"trained on {task_name}"
    task = "" if names_task(saved) or not imported else "; it names no task, so it reads your input"
    return f"{rnn.arch.upper()}, H = {rnn.hidden_size}, I = {rnn.input_size}, {origin}{task}."


def trained_label(rnn, saved=None) -> str:
    """The session's model in the caption above the stepper: "trained LSTM (H = 32)", "imported LSTM ..."."""
    imported = bool(((getattr(saved, "meta", None) or {}).get("source") or {}).get("format"))
    return f"{'imported' if imported else 'trained'} {rnn.arch.upper()} (H = {rnn.hidden_size})"


def view_caption(input_label: str, model_label: str) -> str:
    """The line above the stepper (markdown): what is fed to what."""
    return f"**Input:** {input_label} · **Model:** {model_label}"


def unlinked_note(
    trained: bool, source: str, linked: bool, model: str = "the session's trained model"
) -> str | None:
    """Why a copied link would not reproduce this view (None when it would): the trained model, an uploaded
    file or a typed list too long for an address. ``source`` is the sequence input's ("preset", "typed",
    "csv"), ``linked`` whether its link parameters carry it; ``model`` names the model shown."""
    what = (
        model
        if trained
        else "an uploaded file"
        if source == "csv"
        else "a long typed list"
        if not linked
        else None
    )
    if what is None:
        return None
    return (
        f"This view uses {what}, which the page's address cannot carry: a copied link opens the hand-set "
        "LSTM on the default input."
    )


def readings_caption(lt, unit: int, input_label: str) -> str:
    """The line under the readings, the same at every step: the unit over the whole sequence
    (:func:`lstm_vault.explain.summary`) and the input."""
    return f"{explain.summary(lt, unit)} Input: {input_label}."


def timeline_caption(H: int) -> str:
    """The caption of :func:`lstm_vault.figures.cell.timeline` for H units: lines up to
    :data:`~lstm_vault.figures.cell.MAX_LINE_UNITS`, heatmaps above."""
    how = (
        "One line per unit."
        if H <= MAX_LINE_UNITS
        else "Each heatmap row is one unit: gates go from dark (0) to yellow (1); in the signed rows red is "
        "positive, blue negative."
    )
    return (
        "Gates run from 0 (shut) to 1 (open); candidate, cell and hidden state are signed. "
        f"The black line is step t. {how}"
    )


def unit_link_warning(text: str, H: int, shown: int) -> str | None:
    """What to tell a person whose link asked for unit ``text`` of a model with H units (None when it is
    one of them, "3" or "3.0"); ``shown`` is the unit the page shows instead."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value.is_integer() and 0 <= value < H:
        return None
    return (
        f"link parameter unit={text!r} is not a unit of this model (a whole number from 0 to {H - 1}); "
        f"showing unit {shown}"
    )


def step_link_warning(text: str, T: int, shown: int) -> str | None:
    """What to tell a person whose link asked for step ``text`` of a T-step sequence (None when it is one
    of them); ``shown`` is the step the stepper opens at instead."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if 0 <= value < T:
        return None
    return (
        f"link parameter t={text!r} is not a step of this sequence (a whole number from 0 to {T - 1}); "
        f"opening at t = {shown}"
    )


# ------------------------------------------------------------------------------ predictions beside the cell


def model_prediction(saved, x, example_seed: int | None = None, scaled: bool = False):
    """The read-out of ``saved`` (a SavedModel) on x (T, 1, I) at every step
    (:class:`lstm_vault.predictions.Predictions`), None for a model without a read-out. With
    ``example_seed`` x is the task's held-out example of that seed, scored as in training against its
    targets; an input of the user's, every step counted, is read in the data's units when the page
    ``scaled`` it the model's way (:func:`scaled_input`), else in the model's own units (fed as it is)."""
    if not saved.has_readout:
        return None
    if example_seed is not None:
        x, y, mask = predictions.example_with_target(saved, example_seed)
        return predictions.predict_steps(saved, x, target=y, mask=mask, example=True)
    if scaled:
        return predictions.predict_steps(saved, x)
    as_fed = replace(saved, meta={k: v for k, v in saved.meta.items() if k != "encoding"})
    return predictions.predict_steps(as_fed, x)


def readout_shares(saved, prediction, lt, layer: int, direction: int, unit: int):
    """What the shown unit adds to the drawn output at each step, (T,), when the shown layer is the one
    the read-out reads (the last); None otherwise."""
    if prediction is None or layer != saved.rnn.num_layers - 1:
        return None
    return predictions.contributions(saved, prediction, lt.h[:, 0, unit], unit, direction)


def window_width(saved) -> int | None:
    """The window of a next-number model (numbers read before it predicts), None for any other model."""
    if saved.meta.get("task") != "next-number":
        return None
    return int(saved.meta.get("task_options", {}).get("window", NextNumber.window))


def window_input(saved, numbers, start: int, width: int):
    """The window of ``width`` numbers from ``start`` as the model reads it (x (width, 1, 1) in its units),
    its prediction at every step scored at the last against the number after the window (when the input
    has one), and a label "numbers 1, 2, 3"."""
    numbers = np.asarray(numbers, dtype=np.float64).reshape(-1)
    offset, scale, _ = predictions.real_scale(saved.meta.get("encoding"))
    window = numbers[start : start + width]
    x = ((window - offset) / scale).reshape(-1, 1, 1)
    after = start + width
    target = None if after >= len(numbers) else np.array([(numbers[after] - offset) / scale])
    p = predictions.predict_steps(saved, x, target=target, example=True)
    return x, p, "numbers " + ", ".join(f"{v:g}" for v in window)


def window_options(numbers, width: int) -> list[str]:
    """The windows offered, by their numbers: ["1, 2, 3", "2, 3, 4", ...]."""
    numbers = np.asarray(numbers, dtype=np.float64).reshape(-1)
    return [", ".join(f"{v:g}" for v in numbers[k : k + width]) for k in range(len(numbers) - width + 1)]


def window_table_columns(rows) -> dict[str, list[str]]:
    """:func:`lstm_vault.predictions.window_table` as the page's table: window, prediction, true next."""
    return {
        "window": [", ".join(f"{v:g}" for v in r.window) for r in rows],
        "predicted next": [f"{r.prediction:.2f}" for r in rows],
        "true next": ["—" if r.true_next is None else f"{r.true_next:g}" for r in rows],
    }


def window_caption(saved, width: int) -> str:
    """The line above the next-number table: how the windows are read, with the model's scale."""
    offset, scale, _ = predictions.real_scale(saved.meta.get("encoding"))
    shift = f"less {offset:g}, " if offset else ""
    return (
        f"The model was trained on windows of {width} numbers, each read from a zero state. Here each window "
        f"of {width} of the input is read the same way ({shift}divided by {scale:g} on the way in, as in "
        f"training, so the cell's x\u209c is a number / {scale:g}), and its read-out gives the next number."
    )


#: windows listed in the next-number table at most
MAX_WINDOW_ROWS = 20


def standardised_windows_warning(saved) -> str:
    """Why standardised numbers mislead a next-number model: it divides the numbers themselves."""
    _, scale, _ = predictions.real_scale(saved.meta.get("encoding"))
    return (
        f"The next-number model reads the numbers themselves, divided by {scale:g} as in training: untick "
        "Standardise to see its predictions for your numbers."
    )


def input_names(saved, columns, user_input: bool, width: int) -> tuple[str, ...] | None:
    """The names of a several-column input's columns, in order, for the timeline: the user's CSV columns
    (``columns``) when the page feeds the user's input, else the columns a model trained on a CSV reads (its
    file's ``encoding["columns"]``); None for a single input or when the names do not fit ``width``."""
    if not user_input:
        columns = ((getattr(saved, "meta", None) or {}).get("encoding") or {}).get("columns")
    names = tuple(str(name) for name in (columns or ()))
    return names if width > 1 and len(names) == width else None
