"""An experiment on a model: run it without and with gate clamps and unit ablations, and say what changed.

The records (:class:`~lstm_vault.trace.GateClamp`, :class:`~lstm_vault.trace.UnitAblation`) and how the
loops apply them live in :mod:`lstm_vault.interventions`; this module is what a page needs around them:
the experiments a student picks by name (:data:`PRESETS`: freeze, hide or wipe a memory, force any gate,
silence a unit) and their records (:func:`make_records`); :func:`compare`, which runs a model, or a trained
model with its read-out and its task's held-out loss, both ways; and the numbers and sentences of the result
(:func:`describe`, :func:`effect`, :func:`reading`). Imports neither torch nor streamlit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import evaluation
from .evaluation import LOSS_NAMES, distinct
from .trace import GateClamp, Trace, UnitAblation

# ------------------------------------------------------------------------------------------------
# the experiments a student picks by name


#: kind -> (architectures, the gates it forces as (gate, value) pairs, its name in the UI)
PRESETS = {
    "freeze": (("lstm",), (("f", 1.0), ("i", 0.0)), "freeze the memory (f = 1, i = 0)"),
    "hide": (("lstm",), (("o", 0.0),), "hide the memory (o = 0)"),
    "wipe": (("lstm",), (("f", 0.0),), "wipe the memory (f = 0)"),
    "keep": (("gru",), (("z", 1.0),), "keep h as it is (z = 1)"),
    "gate": (("lstm", "gru"), (), "force a gate to a value"),
    "silence": (("lstm", "gru", "rnn"), (), "silence the unit (hold it at 0)"),
}


def kinds(arch: str) -> list[str]:
    """The experiments :data:`PRESETS` offers a model of ``arch``, in the order a menu lists them."""
    return [kind for kind, (archs, _, _) in PRESETS.items() if arch in archs]


def make_records(
    arch: str,
    kind: str,
    units,
    start: int = 0,
    stop: int | None = None,
    layer: int = 0,
    direction: int = 0,
    gate: str | None = None,
    value: float | None = None,
    what=None,
) -> list:
    """The records of experiment ``kind`` (:data:`PRESETS`) on ``units`` over steps ``start <= t < stop``:
    a preset's gate clamps, ``GateClamp(gate, value)`` for "gate", ``UnitAblation(what=what)`` for
    "silence". ValueError for a kind the architecture does not have."""
    if kind not in kinds(arch):
        raise ValueError(f"a {arch} has the experiments {kinds(arch)}, not {kind!r}")
    units = None if units is None else tuple(int(u) for u in units)
    where = dict(start=start, stop=stop, layer=layer, direction=direction)
    if kind == "silence":
        return [UnitAblation(units, what=what, **where)]
    pairs = ((gate, value),) if kind == "gate" else PRESETS[kind][1]
    return [GateClamp(g, float(v), units=units, **where) for g, v in pairs]


# ------------------------------------------------------------------------------------------------
# an experiment on one model: with and without the records, and what changed


@dataclass(frozen=True)
class Comparison:
    """One model run on one input without and with interventions; for a trained model also its task's
    held-out loss both ways (:func:`compare`).

    clamps: the records, a tuple;  x: (T, B, I) the input, time-major
    plain, clamped: :class:`~lstm_vault.trace.Trace` of the run without and with them
    y, y_clamped: (T, B, O) the read-out's prediction (None for a bare recurrent model or O = 0)
    loss, loss_clamped: the held-out loss without and with (None when there is none: ``no_loss`` says why)
    examples: how many held-out examples the losses average over (0 without losses)
    loss_kind: the task's loss, "mse" or "ce" ("" without a task)
    no_loss: why there is no held-out loss ("" when there is one)
    """

    clamps: tuple
    x: np.ndarray
    plain: Trace
    clamped: Trace
    y: np.ndarray | None = None
    y_clamped: np.ndarray | None = None
    loss: float | None = None
    loss_clamped: float | None = None
    examples: int = 0
    loss_kind: str = ""
    no_loss: str = ""


def _readout(saved, output: np.ndarray) -> np.ndarray | None:
    """The read-out of a trained model on its recurrent output (T, B, D*H) -> (T, B, O), as ``predict``."""
    if not saved.has_readout:
        return None
    return output @ saved.readout_weight.T + saved.readout_bias


def compare(model, x, clamps) -> Comparison:
    """Run ``model`` on ``x`` (T, B, I) or (T, I) without and with ``clamps`` (GateClamp / UnitAblation
    records); ValueError names a record that does not fit the model.

    model: a NumPy LSTM / GRU / RNN, or a trained model (:class:`~lstm_vault.modelfile.SavedModel`): then the
    predictions come through its read-out, and the held-out loss both ways is its task's own loss
    (:func:`lstm_vault.evaluation.task_loss`) on the held-out batch the Train page scores it on
    (:func:`lstm_vault.evaluation.held_out_batch`); the records act on the steps of those sequences.
    """
    saved = model if hasattr(model, "rnn") else None
    rnn = model.rnn if saved is not None else model
    records = tuple(clamps or ())
    plain = rnn.forward(x)[2]
    clamped = rnn.forward(x, clamps=list(records))[2]
    xt = plain.x
    if saved is None:
        return Comparison(records, xt, plain, clamped)
    y, y_c = _readout(saved, plain.output), _readout(saved, clamped.output)
    losses = _held_out_losses(saved, records)
    if isinstance(losses, str):
        return Comparison(records, xt, plain, clamped, y, y_c, no_loss=losses)
    return Comparison(records, xt, plain, clamped, y, y_c, *losses)


def _held_out_losses(saved, records: tuple):
    """(loss, loss_clamped, examples, loss kind) on the task's held-out batch, or why there is none."""
    if not saved.has_readout:
        return "the model has no read-out, so it predicts nothing to score"
    try:
        task = saved.task()
    except (ValueError, TypeError, OSError) as error:  # unknown task, bad options, missing asset
        return f"the file's task cannot be rebuilt here ({error})"
    if task is None:
        return "the model file does not say which task it was trained on"
    if task.input_size != saved.rnn.input_size or task.output_size != saved.readout_weight.shape[0]:
        return f"the model does not fit task {task.name!r}'s inputs and outputs"
    try:
        batch = evaluation.held_out_batch(task, [saved])
    except ValueError as error:
        return str(error)
    losses = []
    for recs in ((), records):
        output = saved.rnn.forward(batch.x, clamps=list(recs))[0]
        losses.append(evaluation.task_loss(task, _readout(saved, output), batch))
    return losses[0], losses[1], int(batch.x.shape[1]), task.loss


def steps_text(start: int, stop: int | None, T: int) -> str:
    """Steps ``start <= t < stop`` of a T-step sequence as a reader says them: "steps 3 to 9", "step 4",
    "every step"."""
    last = T - 1 if stop is None else min(stop, T) - 1
    if start <= 0 and last >= T - 1:
        return "every step"
    if last < start:
        return "no step of this sequence"
    return f"step {start}" if last == start else f"steps {start} to {last}"


def units_text(units, H: int) -> str:
    """ "unit 3", "units 1, 4", "every unit"."""
    if units is None or len(set(units)) == H:
        return "every unit"
    units = sorted(set(units))
    return f"unit {units[0]}" if len(units) == 1 else "units " + ", ".join(map(str, units))


def describe(records, T: int, H: int, arch: str = "lstm") -> str:
    """What the records do to a T-step, H-unit model of ``arch``, in words: "f held at 1 and i held at 0 for
    unit 3, steps 5 to 19"."""
    groups: dict = {}  # records over the same units and steps read as one clause
    for rec in records:
        key = (rec.units, rec.start, rec.stop, rec.layer, rec.direction)
        if isinstance(rec, GateClamp):
            what = f"{rec.gate} held at {rec.value:g}"
        else:
            both = arch == "lstm" and rec.what in (None, ("h", "c"))
            what = "h and c held at 0" if both else "h held at 0"
            what = f"silenced ({what})"
        groups.setdefault(key, []).append(what)
    clauses = []
    for (units, start, stop, layer, direction), whats in groups.items():
        where = f"{units_text(units, H)}, {steps_text(start, stop, T)}"
        if layer or direction:
            where += f", layer {layer}" + (", reverse direction" if direction else "")
        clauses.append(f"{' and '.join(whats)} for {where}")
    return "; ".join(clauses)


PREDICTION = "prediction"
TOP_CHOICE = "probability of the top choice without"


def prediction_series(cmp: Comparison, row: int = 0) -> tuple[str, np.ndarray, np.ndarray] | None:
    """(what it is, without (T,), with (T,)): the prediction of batch row ``row`` at every step, None for a
    model without a read-out. One output (a regression): its value. Several (logits over classes or
    characters): the probability, without and with, of the class the run without ranks first at each step."""
    if cmp.y is None or cmp.y.shape[-1] == 0:
        return None
    y, y_c = (
        cmp.y[:, row] if cmp.y.ndim == 3 else cmp.y,
        cmp.y_clamped[:, row] if cmp.y.ndim == 3 else cmp.y_clamped,
    )
    if y.shape[-1] == 1 and cmp.loss_kind != "ce":
        return PREDICTION, y[:, 0].copy(), y_c[:, 0].copy()
    top = y.argmax(axis=-1)[:, None]
    p, p_c = _softmax(y), _softmax(y_c)
    return (
        TOP_CHOICE,
        np.take_along_axis(p, top, -1)[:, 0],
        np.take_along_axis(p_c, top, -1)[:, 0],
    )


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class Effect:
    """What an experiment changed for one unit (batch row 0), the numbers behind :func:`reading`.

    dc, dh: (T,) |with - without| of the unit's cell state (None without one) and hidden state
    prediction: :func:`prediction_series` or None
    """

    unit: int
    dc: np.ndarray | None
    dh: np.ndarray
    prediction: tuple | None


def effect(cmp: Comparison, unit: int, layer: int = 0, direction: int = 0) -> Effect:
    """The change in ``unit`` of one layer and direction, and in the prediction (batch row 0)."""
    a, b = cmp.plain.layers[layer][direction], cmp.clamped.layers[layer][direction]
    dc = None if a.c is None else np.abs(b.c[:, 0, unit] - a.c[:, 0, unit])
    return Effect(unit, dc, np.abs(b.h[:, 0, unit] - a.h[:, 0, unit]), prediction_series(cmp))


def _moved(name: str, diff: np.ndarray) -> str | None:
    """ "its cell state c by up to 0.368 (at t = 20)", None when it did not move at all."""
    k = int(diff.argmax())
    return f"its {name} by up to {distinct(float(diff[k]))[0]} (at t = {k})" if diff[k] > 0 else None


def reading(cmp: Comparison, eff: Effect) -> str:
    """The experiment's result in sentences, every number from ``cmp`` and ``eff``: how far the unit's cell
    and output moved, the prediction at the last step, and the held-out loss both ways."""
    moved = [_moved("cell state c", eff.dc)] if eff.dc is not None else []
    moved = [m for m in (*moved, _moved("hidden state h", eff.dh)) if m]
    if moved:
        text = f"Against the run without: unit {eff.unit} moves {' and '.join(moved)}."
    else:
        states = "c and h are" if eff.dc is not None else "h is"
        text = f"Against the run without: unit {eff.unit}'s {states} exactly the same at every step."
    if eff.prediction is not None:
        what, y, y_c = eff.prediction
        before, after = distinct(float(y[-1]), float(y_c[-1])) if y[-1] != y_c[-1] else (None, None)
        same = distinct(float(y[-1]))[0]
        if what == PREDICTION:
            text += (
                f" The prediction at the last step goes from {before} to {after}."
                if before
                else f" The prediction at the last step stays {same}."
            )
        else:
            text += (
                f" At the last step the model's top choice (without) gets probability {before} without and"
                f" {after} with."
                if before
                else f" At the last step the model's top choice keeps probability {same}."
            )
    if cmp.loss is None:
        return text + (f" No held-out loss: {cmp.no_loss}." if cmp.no_loss else "")
    name, n = LOSS_NAMES[cmp.loss_kind], cmp.examples
    if cmp.loss_clamped == cmp.loss:
        return text + f" The held-out loss ({name}, {n} examples) does not change: {distinct(cmp.loss)[0]}."
    before, after = distinct(cmp.loss, cmp.loss_clamped)
    change = cmp.loss_clamped / cmp.loss if cmp.loss > 0 else math.inf
    how = (
        f"{change:.3g} times as high"
        if change >= 2
        else f"{100 * abs(change - 1):.3g} % {'higher' if change > 1 else 'lower'}"
    )
    return (
        text + f" The held-out loss ({name}, {n} examples) goes from {before} without to {after} with: {how}."
    )
