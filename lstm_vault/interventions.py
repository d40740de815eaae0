"""Experiments on a model: gate clamps and unit ablations, as per-step tables the loops read.

Two records (:mod:`lstm_vault.trace`) describe what to force:

* :class:`~lstm_vault.trace.GateClamp`: a gate's activation set to a value (f = 1, i = 0, ...);
  a clamped activation is a constant, so its pre-activation gets zero gradient
  (:mod:`lstm_vault.cells` applies it inside the step, forward and backward);
* :class:`~lstm_vault.trace.UnitAblation`: a unit's h_t (and c_t for the LSTM) held at 0 after the
  step computed it; a held value is a constant too, so no gradient reaches the cell's own
  computation of it. :func:`hold` is the forward half, :func:`cut` the backward half, side by side.

Both are passed to :meth:`~lstm_vault.models.Recurrent.forward` in one ``clamps`` list, in any order;
:func:`tables` checks them against the model and turns them into per-layer, per-step tables keyed by
input position t (also for a reverse direction, which meets them in the order it runs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .formatting import fmt
from .trace import GateClamp, Trace, UnitAblation


def tables(model, records, T: int, at: int | None = None) -> tuple[dict, dict]:
    """``(clamp_table, held_table)`` from a sequence of GateClamp and UnitAblation records.

    T: the sequence length;  at: fill in step ``at`` only (for stepping one step at a time), None = all.

    clamp_table: {(layer, direction): {t: (cols, values)}}, cols into the packed (B, G*H) activations;
    held_table:  {(layer, direction): {t: (h_units, c_units)}}, int arrays (c_units empty without a cell).
    """
    clamp_table: dict = {}
    held_table: dict = {}
    for rec in records or ():
        if isinstance(rec, GateClamp):
            _add_clamp(model, rec, T, at, clamp_table)
        elif isinstance(rec, UnitAblation):
            _add_ablation(model, rec, _steps(rec, T, at), held_table)
        else:
            raise ValueError(f"clamps must be GateClamp or UnitAblation records, got {type(rec).__name__}")
    return clamp_table, held_table


def _where(model, rec, kind: str) -> None:
    if not (0 <= rec.layer < model.num_layers and 0 <= rec.direction < model.num_directions):
        raise ValueError(f"{kind} on layer {rec.layer}, direction {rec.direction} does not exist")


def _units(model, units, kind: str) -> np.ndarray:
    H = model.hidden_size
    if units is None:
        return np.arange(H)
    listed = [units] if _is_int(units) else list(units)
    if not listed or not all(_is_int(u) for u in listed):
        raise ValueError(f"{kind} units must be a unit index, a tuple of them or None, got {units!r}")
    out = np.unique(np.asarray(listed, dtype=int))
    if out.min() < 0 or out.max() >= H:
        raise ValueError(f"{kind} units must be in [0, {H - 1}], got {listed}")
    return out


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def gate_range(arch: str, gate: str) -> tuple[float, float]:
    """The values gate ``gate`` can take: [0, 1] for a sigmoid gate, [-1, 1] for the tanh candidate
    (LSTM g, GRU n); a clamp outside it would force a value the cell can never produce."""
    return (-1.0, 1.0) if (arch, gate) in (("lstm", "g"), ("gru", "n")) else (0.0, 1.0)


def _steps(rec, T: int, at: int | None) -> range:
    stop = T if rec.stop is None else min(rec.stop, T)
    steps = range(max(rec.start, 0), stop)
    if at is None:
        return steps
    return range(at, at + 1) if at in steps else range(0)


def _add_clamp(model, cl: GateClamp, T: int, at: int | None, table: dict) -> None:
    if not model.gates:
        raise ValueError(f"a vanilla RNN has no gates to clamp (got a clamp on {cl.gate!r})")
    if cl.gate not in model.gates:
        raise ValueError(f"a {model.arch} has gates {model.gates}, cannot clamp {cl.gate!r}")
    _where(model, cl, "clamp")
    low, high = gate_range(model.arch, cl.gate)
    value = cl.value
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not low <= value <= high:
        raise ValueError(f"a clamp of {cl.gate!r} must be a number in [{low:g}, {high:g}], got {value!r}")
    if not _is_int(cl.start) or cl.start < 0:
        raise ValueError(f"a clamp's start must be an integer >= 0, got {cl.start!r}")
    if cl.stop is not None and (not _is_int(cl.stop) or cl.stop < cl.start):
        raise ValueError(f"a clamp's stop must be None or an integer >= start={cl.start}, got {cl.stop!r}")
    cols = model.gates.index(cl.gate) * model.hidden_size + _units(model, cl.units, "clamp")
    per_t = table.setdefault((cl.layer, cl.direction), {})
    for t in _steps(cl, T, at):
        old_cols, old_vals = per_t.get(t, (np.zeros(0, int), np.zeros(0)))
        per_t[t] = (
            np.concatenate([old_cols, cols]),
            np.concatenate([old_vals, np.full(cols.size, cl.value, dtype=model.dtype)]),
        )


def _add_ablation(model, ab: UnitAblation, steps: range, table: dict) -> None:
    _where(model, ab, "ablation")
    has_cell = model.arch == "lstm"
    what = ab.what if ab.what is not None else (("h", "c") if has_cell else ("h",))
    if "c" in what and not has_cell:
        raise ValueError(f"a {model.arch} has no cell state c to ablate: use what=('h',) or None")
    units = _units(model, ab.units, "ablation")
    c_units = units if "c" in what else np.zeros(0, int)
    per_t = table.setdefault((ab.layer, ab.direction), {})
    for t in steps:
        if t in per_t:  # several records on one step: the union of their units
            old_h, old_c = per_t[t]
            per_t[t] = (np.union1d(old_h, units), np.union1d(old_c, c_units))
        else:
            per_t[t] = (units, c_units)


def hold(h: np.ndarray, c: np.ndarray | None, held) -> None:
    """Forward: set the held units of this step's freshly computed h (B, H) and c (B, H) to 0, in place."""
    h_units, c_units = held
    h[:, h_units] = 0.0
    if c is not None and c_units.size:
        c[:, c_units] = 0.0


def cut(dh: np.ndarray, dc_next: np.ndarray, held) -> tuple[np.ndarray, np.ndarray]:
    """Backward: a held h_t (c_t) is a constant, so dL/dh_t (dL/dc_t from step t±1) stops there.

    dh: (B, H) total gradient at the h_t the step computed; dc_next: (B, H) the gradient arriving at c_t
    from the next step. Returns copies with the held units zeroed (the caller's arrays are untouched).
    """
    h_units, c_units = held
    dh = dh.copy()
    dh[:, h_units] = 0.0
    if c_units.size:
        dc_next = dc_next.copy()
        dc_next[:, c_units] = 0.0
    return dh, dc_next


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
    from . import evaluation  # the tasks package is not needed to run a model

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


def _moved(name: str, diff: np.ndarray) -> str:
    k = int(diff.argmax())
    return (
        f"its {name} by up to {fmt(float(diff[k]), 3)} (at t = {k})"
        if diff[k] > 0
        else f"its {name} not at all"
    )


def reading(cmp: Comparison, eff: Effect) -> str:
    """The experiment's result in sentences, every number from ``cmp`` and ``eff``: how far the unit's cell
    and output moved, the prediction at the last step, and the held-out loss both ways."""
    from .evaluation import LOSS_NAMES, distinct

    parts = [_moved("cell state c", eff.dc)] if eff.dc is not None else []
    parts.append(_moved("hidden state h", eff.dh))
    text = f"Against the run without: unit {eff.unit} moves {' and '.join(parts)}."
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
