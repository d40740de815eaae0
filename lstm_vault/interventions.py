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
An experiment on a whole model, without and with them, is :mod:`lstm_vault.experiment`.
"""

from __future__ import annotations

import numpy as np

from .trace import GateClamp, UnitAblation


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
    if not (_is_int(rec.layer) and _is_int(rec.direction)):
        raise ValueError(
            f"{kind} layer and direction must be integers, got {rec.layer!r} and {rec.direction!r}"
        )
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
