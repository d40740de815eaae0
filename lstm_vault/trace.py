"""Frozen records of a forward pass (:class:`Trace`) and a backward pass (:class:`Gradients`).

Shape letters as in :mod:`lstm_vault.cells`. Every per-step array is ``(T, B, H)`` (or
``(T, B, G*H)`` when packed) and indexed by *input position* t, also for the reverse
direction of a bidirectional model and for ``batch_first`` models, exactly like torch's
``output``. Arrays are read-only: the app caches traces and indexes into them when a slider
moves, so nothing may change them afterwards.

Named gate views (``trace.layers[l][d].f`` is the forget gate, ``.a_f`` its pre-activation)
come from the packed arrays through :data:`lstm_vault.cells.GATES`, the one place that
fixes the gate order.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .cells import GATES, gate_rows


def _freeze(obj) -> None:
    """Make every array field of a frozen record read-only (records are cached and shared)."""
    for fld in fields(obj):
        value = getattr(obj, fld.name)
        if isinstance(value, np.ndarray):
            value.flags.writeable = False


@dataclass(frozen=True)
class GateClamp:
    """Force one gate to ``value`` for steps ``start <= t < stop`` (an experiment on the model).

    gate: a gate name of the architecture (LSTM ``i f g o``, GRU ``r z n``);
    units: hidden units to clamp (None = all); layer, direction: where.
    """

    gate: str
    value: float
    start: int = 0
    stop: int | None = None  # None = to the end of the sequence
    layer: int = 0
    direction: int = 0
    units: tuple[int, ...] | None = None


@dataclass(frozen=True)
class UnitAblation:
    """Silence hidden units: hold their state at 0 for steps ``start <= t < stop`` (an experiment).

    units: one unit index or a tuple of them (None = every unit);  layer, direction: where;
    what: the states held, None = the unit's whole state (h and c for the LSTM, h for the GRU and RNN);
    ``("h",)`` on an LSTM silences only the unit's output while its cell keeps running underneath.
    ``("c",)`` alone is refused: h_t = o_t ⊙ tanh(c_t) would be 0 as well, which is ``("h", "c")``.

    Forward, the cell computes step t as usual and the held entries of h_t (and c_t) are then set to 0:
    the trace records the zeros, which the output, the layer above and step t±1 read. Backward, a held
    value is a constant, exactly as a clamped gate is: no gradient passes through it into the cell's
    own computation (``LayerGradients.dh`` and ``.dc`` are 0 there). Pass these records in
    :meth:`~lstm_vault.models.Recurrent.forward`'s ``clamps`` list, beside :class:`GateClamp`.
    """

    units: int | tuple[int, ...] | None
    start: int = 0
    stop: int | None = None  # None = to the end of the sequence
    layer: int = 0
    direction: int = 0
    what: tuple[str, ...] | None = None

    def __post_init__(self):
        units = self.units
        if units is not None:
            units = (units,) if _is_int(units) else tuple(units)
            if not units or not all(_is_int(u) for u in units):
                raise ValueError(f"units must be a unit index, a tuple of them or None, got {self.units!r}")
            object.__setattr__(self, "units", tuple(int(u) for u in units))
        for name in ("start", "layer", "direction"):
            value = getattr(self, name)
            if not _is_int(value) or value < 0:
                raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
        if self.stop is not None and (not _is_int(self.stop) or self.stop < self.start):
            raise ValueError(f"stop must be None or an integer >= start={self.start}, got {self.stop!r}")
        if self.what is not None:
            what = (self.what,) if isinstance(self.what, str) else tuple(self.what)
            if not what or not set(what) <= {"h", "c"}:
                raise ValueError(f"what must name states among 'h' and 'c', got {self.what!r}")
            if "h" not in what:
                raise ValueError(
                    "holding c alone at 0 makes h = o·tanh(0) = 0 as well: ablate what=('h', 'c')"
                )
            object.__setattr__(self, "what", tuple(sorted(set(what), key="hc".index)))


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


@dataclass(frozen=True)
class LayerTrace:
    """Everything one layer and direction computed, for every step.

    arch: "lstm" | "gru" | "rnn";  reverse: True for the backward direction (it ran t = T-1 .. 0)
    x:   (T, B, I_l)   this layer's input (the model input, or the layer below's output)
    h0:  (B, H)        initial hidden state;  c0: (B, H) initial cell state (LSTM only)
    a:   (T, B, G*H)   pre-activations, gate blocks in GATES order (RNN: (T, B, H))
    act: (T, B, G*H)   gate activations (LSTM [i, f, g, o], GRU [r, z, n]; RNN: same as h)
    h:   (T, B, H)     hidden state h_t
    c:   (T, B, H)     cell state c_t (LSTM only, else None)
    hn:  (T, B, H)     W_hn h_{t-1} + b_hn (GRU only, else None)
    clamps: {t: (cols, values)} the gate clamps applied, as handed to the cell functions
    ablations: {t: (h_units, c_units)} the units whose h_t and c_t an ablation held at 0 (int arrays;
        c_units empty without a cell state); h and c above hold those zeros
    """

    arch: str
    reverse: bool
    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray | None
    a: np.ndarray
    act: np.ndarray
    h: np.ndarray
    c: np.ndarray | None = None
    hn: np.ndarray | None = None
    clamps: dict | None = None
    ablations: dict | None = None

    def __post_init__(self):
        _freeze(self)

    @property
    def gates(self) -> tuple[str, ...]:
        return GATES[self.arch]

    @property
    def hidden_size(self) -> int:
        return self.h.shape[-1]

    def __getattr__(self, name: str) -> np.ndarray:
        # Named views of the packed arrays: i, f, g, o / r, z, n and a_i, a_f, ... (dataclass
        # fields are found before __getattr__ is ever called).
        gates = GATES.get(self.__dict__.get("arch"), ())
        key = name[2:] if name.startswith("a_") else name
        if key in gates:
            packed = self.__dict__["a" if name.startswith("a_") else "act"]
            return packed[..., gate_rows(self.__dict__["arch"], key, self.__dict__["h"].shape[-1])]
        raise AttributeError(f"{type(self).__name__} of a {self.__dict__.get('arch')} has no {name!r}")

    def h_prev(self) -> np.ndarray:
        """(T, B, H): h_{t-1} as this direction saw it (h0 first; the reverse direction's comes from t+1)."""
        return _shifted(self.h, self.h0, self.reverse)

    def c_prev(self) -> np.ndarray:
        """(T, B, H): c_{t-1} as this direction saw it (LSTM only)."""
        return _shifted(self.c, self.c0, self.reverse)

    def h_prev_at(self, t: int) -> np.ndarray:
        """(B, H): h_{t-1} as this direction saw it at step t, without building the whole shifted array."""
        return _previous(self.h, self.h0, self.reverse, t)

    def c_prev_at(self, t: int) -> np.ndarray:
        """(B, H): c_{t-1} as this direction saw it at step t (LSTM only)."""
        return _previous(self.c, self.c0, self.reverse, t)


def _previous(seq: np.ndarray, first: np.ndarray, reverse: bool, t: int) -> np.ndarray:
    if reverse:
        return seq[t + 1] if t + 1 < len(seq) else first
    return seq[t - 1] if t > 0 else first


def _shifted(seq: np.ndarray, first: np.ndarray, reverse: bool) -> np.ndarray:
    if reverse:
        return np.concatenate([seq[1:], first[None]], axis=0)
    return np.concatenate([first[None], seq[:-1]], axis=0)


@dataclass(frozen=True)
class Trace:
    """A whole forward pass.

    layers[l][d]: :class:`LayerTrace` of layer l, direction d (0 forward, 1 reverse)
    x:      (T, B, I)      the input, time-major, in the model's dtype
    output: (T, B, D*H)    the top layer's h (forward and reverse halves concatenated)
    batch_first, unbatched: how the caller shaped x (to shape gradients back the same way)
    """

    arch: str
    layers: tuple
    x: np.ndarray
    output: np.ndarray
    batch_first: bool = False
    unbatched: bool = False

    def __post_init__(self):
        _freeze(self)

    @property
    def T(self) -> int:
        return self.x.shape[0]

    @property
    def B(self) -> int:
        return self.x.shape[1]

    def __getitem__(self, key):
        """``trace[l, d]`` is ``trace.layers[l][d]``; ``trace[0]`` is layer 0, forward direction."""
        layer, direction = key if isinstance(key, tuple) else (key, 0)
        return self.layers[layer][direction]


@dataclass(frozen=True)
class LayerGradients:
    """Gradients of one layer and direction, per step, indexed like the trace.

    dh: (T, B, H)   total dL/dh_t: through the output at t, the layer above and step t±1
    dc: (T, B, H)   total dL/dc_t (LSTM only): through h_t and c_{t+1} = f_{t+1} ⊙ c_t + ...
    (where a :class:`UnitAblation` held h_t or c_t, dh or dc is 0: what reaches the value the cell
    computed, which the ablation replaced by a constant)
    da: (T, B, G*H) dL/d(pre-activation) at each step
    log10_scale: (T,) each step's arrays are to be multiplied by 10**log10_scale[t]: all 0 for a plain
        backward pass, a running power of ten for ``backward(..., log_safe=True)``
    """

    dh: np.ndarray
    da: np.ndarray
    dc: np.ndarray | None = None
    log10_scale: np.ndarray | None = None

    def __post_init__(self):
        _freeze(self)

    def log10_norm(self, name: str = "dh", batch: int | None = None) -> np.ndarray:
        """(T,) log10 of the norm of ``dh``, ``dc`` or ``da`` at every step, over units (and over the batch,
        or of one ``batch`` row); exact however far outside float64's range the gradient is (-inf: 0)."""
        values = getattr(self, name)
        if values is None:
            raise ValueError(f"this layer has no {name} (a {name} exists for the LSTM only)")
        values = values if batch is None else values[:, batch : batch + 1]
        values = values.reshape(len(values), -1).astype(np.float64)
        top = np.abs(values).max(axis=1)  # divided out first, so squaring 1e-200 cannot underflow
        safe_top = np.where(top > 0, top, 1.0)
        norms = top * np.sqrt(np.einsum("tk,tk->t", values / safe_top[:, None], values / safe_top[:, None]))
        with np.errstate(divide="ignore"):
            logs = np.log10(norms)
        return logs if self.log10_scale is None else logs + self.log10_scale


@dataclass(frozen=True)
class Gradients:
    """A whole backward pass.

    params: {torch parameter name: gradient with that parameter's shape}
    input:  dL/dx with x's shape (batch_first / unbatched as the caller gave it)
    state:  gradient of the initial state in torch's layout ((h0, c0) for LSTM, h0 otherwise),
            each (L*D, B, H), or (L*D, H) for unbatched input
    layers[l][d]: :class:`LayerGradients`
    With ``log_safe=True`` the arrays are mantissas: ``input`` times 10**input_log10_scale (shaped to
    broadcast against it: (T, 1), (T, 1, 1) or (1, T, 1) with batch_first),
    ``params[name]`` times 10**params_log10_scale[name], state row r times 10**state_log10_scale[r];
    these are None for a plain pass.
    """

    params: dict
    input: np.ndarray
    state: object
    layers: tuple
    input_log10_scale: np.ndarray | None = None
    params_log10_scale: dict | None = None
    state_log10_scale: np.ndarray | None = None

    def __getitem__(self, key):
        layer, direction = key if isinstance(key, tuple) else (key, 0)
        return self.layers[layer][direction]

    def log10_abs_input(self) -> np.ndarray:
        """log10 |dL/dx| elementwise, in the input's layout (-inf where exactly 0)."""
        with np.errstate(divide="ignore"):
            logs = np.log10(np.abs(self.input))
        return logs if self.input_log10_scale is None else logs + self.input_log10_scale
