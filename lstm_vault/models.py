"""NumPy reference models with torch's semantics: :class:`LSTM`, :class:`RNN` (tanh), :class:`GRU`.

A user who knows ``torch.nn.LSTM`` knows this API: the same constructor arguments, the same
parameter names (``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``, and
``..._reverse`` for the backward direction), the same shapes of ``output`` and ``state``::

    model = LSTM(input_size=1, hidden_size=8)
    output, (h_n, c_n), trace = model.forward(x)            # x: (T, B, I)
    trace.layers[0][0].f                                    # forget gate, (T, B, H)
    grads = model.backward(trace, d_output)                 # hand-written BPTT
    grads.layers[0][0].dh                                   # dL/dh_t for every t

Sequences are loops over the step functions of :mod:`lstm_vault.cells` (equations there).
Stacked layers feed each layer's output (both directions concatenated) to the next;
the reverse direction reads the sequence from t = T-1 down to 0 and its values are stored at
their input position t, as torch's output is.

Shapes: ``output`` (T, B, D*H) (``(B, T, D*H)`` with batch_first, ``(T, D*H)`` for an
unbatched 2-D input); ``h_n`` and ``c_n`` (L*D, B, H) (``(L*D, H)`` unbatched), row ``l*D + d``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from . import bptt, cells, interventions
from .trace import Gradients, LayerGradients, LayerTrace, Trace

MAX_HIDDEN = 4096
MAX_LAYERS = 16


def _check_int(name: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")
    return int(value)


class Recurrent:
    """Shared machinery; subclasses set ``arch`` and the per-layer loops."""

    arch = ""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bidirectional: bool = False,
        batch_first: bool = False,
        seed: int = 0,
        dtype=np.float64,
    ):
        self.input_size = _check_int("input_size", input_size, 1, 1_000_000)
        self.hidden_size = _check_int("hidden_size", hidden_size, 1, MAX_HIDDEN)
        self.num_layers = _check_int("num_layers", num_layers, 1, MAX_LAYERS)
        self.bidirectional = bool(bidirectional)
        self.batch_first = bool(batch_first)
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype}")
        self.seed = seed
        # torch's initialisation: every parameter ~ U(-k, k), k = 1/sqrt(H), drawn in name order
        rng = np.random.default_rng(seed)
        k = 1.0 / np.sqrt(self.hidden_size)
        self.params: dict[str, np.ndarray] = {
            name: rng.uniform(-k, k, size=shape).astype(self.dtype)
            for name, shape in self.param_shapes().items()
        }

    # -- configuration -------------------------------------------------------------------

    @property
    def gates(self) -> tuple[str, ...]:
        return cells.GATES[self.arch]

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def gate_slice(self, gate: str) -> slice:
        """Rows of gate ``gate``'s block in ``weight_ih``, ``weight_hh`` and the biases (torch's order,
        :data:`~lstm_vault.cells.GATES`): for an LSTM ``gate_slice("f")`` is ``slice(H, 2H)``."""
        return cells.gate_rows(self.arch, gate, self.hidden_size)

    def gate_bias(self, gate: str, layer: int = 0, direction: int = 0) -> np.ndarray:
        """(H,) the total bias b_ih + b_hh inside gate ``gate`` of one layer and direction."""
        sfx = f"_l{layer}" + ("_reverse" if direction else "")
        rows = self.gate_slice(gate)
        return self.params["bias_ih" + sfx][rows] + self.params["bias_hh" + sfx][rows]

    def with_gate_biases(self, biases: Mapping[str, float]) -> Recurrent:
        """A copy whose gates have the given total biases, e.g. ``{"f": 3.0}``, in every layer and
        direction: ``bias_ih`` takes the value and ``bias_hh`` 0, so b_ih + b_hh is exactly it."""
        params = {name: p.copy() for name, p in self.params.items()}
        for gate, value in biases.items():
            rows = self.gate_slice(gate)
            for name, p in params.items():
                if name.startswith("bias_"):
                    p[rows] = value if name.startswith("bias_ih") else 0.0
        return type(self).from_params(params, dtype=self.dtype, **self.config())

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Torch's parameter names and shapes, in torch's order."""
        GH, H, shapes = cells.N_BLOCKS[self.arch] * self.hidden_size, self.hidden_size, {}
        for layer in range(self.num_layers):
            layer_in = self.input_size if layer == 0 else H * self.num_directions
            for d in range(self.num_directions):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                shapes["weight_ih" + sfx] = (GH, layer_in)
                shapes["weight_hh" + sfx] = (GH, H)
                shapes["bias_ih" + sfx] = (GH,)
                shapes["bias_hh" + sfx] = (GH,)
        return shapes

    def config(self) -> dict:
        return dict(
            input_size=self.input_size,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            batch_first=self.batch_first,
        )

    def __repr__(self) -> str:
        cfg = ", ".join(f"{k}={v}" for k, v in self.config().items())
        return f"{type(self).__name__}({cfg}, dtype={self.dtype.name})"

    def _weights(self, layer: int, d: int):
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        p = self.params
        return p["weight_ih" + sfx], p["weight_hh" + sfx], p["bias_ih" + sfx], p["bias_hh" + sfx]

    # -- weights in and out ----------------------------------------------------------------

    def load_params(self, params: Mapping[str, np.ndarray]) -> Recurrent:
        """Replace all parameters (torch names); names, shapes and finiteness are checked."""
        shapes = self.param_shapes()
        missing = sorted(set(shapes) - set(params))
        extra = sorted(set(params) - set(shapes))
        if missing or extra:
            raise ValueError(
                f"parameters do not match a {self!r}:"
                f" missing {missing or 'none'}, unexpected {extra or 'none'}"
            )
        new = {}
        for name, shape in shapes.items():
            value = np.asarray(params[name])
            if value.shape != shape:
                raise ValueError(f"parameter {name}: expected shape {shape}, got {value.shape}")
            if not np.issubdtype(value.dtype, np.number) or not np.all(np.isfinite(value)):
                raise ValueError(f"parameter {name} must hold finite numbers")
            new[name] = value.astype(self.dtype, copy=True)
        self.params = new
        return self

    @classmethod
    def from_params(cls, params: Mapping[str, np.ndarray], dtype=np.float64, **config) -> Recurrent:
        """Build a model from a config (input_size, hidden_size, ...) and torch-named parameters."""
        return cls(dtype=dtype, **config).load_params(params)

    @classmethod
    def from_torch(cls, module, dtype=np.float64) -> Recurrent:
        """Copy a ``torch.nn.LSTM`` / ``RNN`` / ``GRU`` (any layers, bidirectional, batch_first).

        Dropout between layers only acts in training mode and is not copied.
        """
        torch_name = {"lstm": "LSTM", "rnn": "RNN", "gru": "GRU"}[cls.arch]
        if type(module).__name__ != torch_name:
            raise ValueError(
                f"{cls.__name__}.from_torch expects a torch.nn.{torch_name}, got {type(module).__name__}"
            )
        if getattr(module, "proj_size", 0):
            raise ValueError("LSTMs with proj_size > 0 are not supported")
        if not module.bias:
            raise ValueError("recurrent modules with bias=False are not supported")
        if cls.arch == "rnn" and module.nonlinearity != "tanh":
            raise ValueError(f"only the tanh RNN is supported, got nonlinearity={module.nonlinearity!r}")
        model = cls(
            module.input_size,
            module.hidden_size,
            module.num_layers,
            module.bidirectional,
            module.batch_first,
            dtype=dtype,
        )
        params = {name: p.detach().cpu().double().numpy() for name, p in module.named_parameters()}
        return model.load_params(params)

    def to_torch(self, dtype=None):
        """The equivalent torch module (float64 unless this model is float32 or ``dtype`` says otherwise)."""
        import torch

        cls = {"lstm": torch.nn.LSTM, "rnn": torch.nn.RNN, "gru": torch.nn.GRU}[self.arch]
        tdtype = dtype or (torch.float32 if self.dtype == np.float32 else torch.float64)
        module = cls(**self.config()).to(tdtype)
        with torch.no_grad():
            for name, p in module.named_parameters():
                p.copy_(torch.from_numpy(np.ascontiguousarray(self.params[name])))
        return module

    # -- input checking ------------------------------------------------------------------------

    def _time_major(self, x):
        """Check x and return (x as (T, B, I) in self.dtype, unbatched)."""
        if isinstance(x, np.ndarray) and not np.issubdtype(x.dtype, np.number):
            raise ValueError(f"input must be numeric, got dtype {x.dtype}")
        x = np.array(x, dtype=self.dtype)  # a copy: the trace freezes it, the caller's array stays writable
        layout = "(B, T, I)" if self.batch_first else "(T, B, I)"
        if x.ndim not in (2, 3):
            raise ValueError(f"input must be 3-D {layout} or 2-D (T, I), got shape {x.shape}")
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"input's last dimension must be input_size={self.input_size}, got shape {x.shape}"
            )
        if x.size == 0:
            raise ValueError(f"input must have at least one step and one sequence, got shape {x.shape}")
        if not np.all(np.isfinite(x)):
            bad = np.argwhere(~np.isfinite(x))[0]
            raise ValueError(
                f"input must be finite, found {x[tuple(bad)]} at index {tuple(int(i) for i in bad)}"
            )
        unbatched = x.ndim == 2
        if unbatched:
            x = x[:, None, :]
        elif self.batch_first:
            x = x.transpose(1, 0, 2)
        return np.ascontiguousarray(x), unbatched

    def _state_rows(self, state, name: str, B: int, unbatched: bool):
        """Check one state tensor and return it as (L*D, B, H)."""
        LD, H = self.num_layers * self.num_directions, self.hidden_size
        want = (LD, H) if unbatched else (LD, B, H)
        s = np.asarray(state, dtype=self.dtype)
        if s.shape != want:
            raise ValueError(f"{name} must have shape {want}, got {s.shape}")
        if not np.all(np.isfinite(s)):
            raise ValueError(f"{name} must be finite")
        return s[:, None, :] if unbatched else s

    # -- forward ----------------------------------------------------------------------------

    def initial_state(self, B: int):
        """Zeros in torch's (L*D, B, H) layout (a tuple (h0, c0) for the LSTM)."""
        z = np.zeros((self.num_layers * self.num_directions, B, self.hidden_size), self.dtype)
        return (z, z.copy()) if self.arch == "lstm" else z

    def _split_state(self, state, B: int, unbatched: bool):
        """(h0 rows, c0 rows or None), each (L*D, B, H)."""
        if state is None:
            s = self.initial_state(B)
            return (s[0], s[1]) if self.arch == "lstm" else (s, None)
        if self.arch == "lstm":
            if not (isinstance(state, (tuple, list)) and len(state) == 2):
                raise ValueError("an LSTM's state must be a tuple (h0, c0)")
            return self._state_rows(state[0], "h0", B, unbatched), self._state_rows(
                state[1], "c0", B, unbatched
            )
        return self._state_rows(state, "h0", B, unbatched), None

    def forward(self, x, state=None, clamps=None):
        """Run the whole sequence and record every intermediate value.

        x: (T, B, I), (B, T, I) with batch_first, or (T, I) unbatched;  state: torch's initial
        state (None = zeros);  clamps: optional experiments, one list of
        :class:`~lstm_vault.trace.GateClamp` (force a gate) and :class:`~lstm_vault.trace.UnitAblation`
        (hold units' h, and c, at 0) records in any order (:mod:`lstm_vault.interventions`); the trace
        records the values used and :meth:`backward` treats every forced value as a constant.
        Returns ``output, state, trace`` with torch's shapes (see the module docstring).
        """
        xt, unbatched = self._time_major(x)
        T, B, _ = xt.shape
        h0, c0 = self._split_state(state, B, unbatched)
        table, held = interventions.tables(self, clamps, T)
        layer_in, layers, h_n, c_n = xt, [], [], []
        for layer in range(self.num_layers):
            dirs = []
            for d in range(self.num_directions):
                row = layer * self.num_directions + d
                lt = self._layer_forward(
                    layer_in,
                    h0[row],
                    None if c0 is None else c0[row],
                    self._weights(layer, d),
                    reverse=bool(d),
                    clamps=table.get((layer, d)),
                    held=held.get((layer, d)),
                )
                dirs.append(lt)
                end = 0 if d else T - 1
                h_n.append(lt.h[end])
                if lt.c is not None:
                    c_n.append(lt.c[end])
            layers.append(tuple(dirs))
            layer_in = dirs[0].h if len(dirs) == 1 else np.concatenate([dirs[0].h, dirs[1].h], axis=-1)
        trace = Trace(self.arch, tuple(layers), xt, layer_in, self.batch_first, unbatched)
        h_n = np.stack(h_n)
        state_out = (h_n, np.stack(c_n)) if self.arch == "lstm" else h_n
        return self._outside(layer_in, unbatched), self._state_outside(state_out, unbatched), trace

    def _outside(self, seq: np.ndarray, unbatched: bool) -> np.ndarray:
        """(T, B, F) -> the caller's layout."""
        if unbatched:
            return seq[:, 0].copy()
        return seq.transpose(1, 0, 2).copy() if self.batch_first else seq.copy()

    def _state_outside(self, state, unbatched: bool):
        if isinstance(state, tuple):
            return tuple(self._state_outside(s, unbatched) for s in state)
        return state[:, 0].copy() if unbatched else state

    def step(self, x_t, state=None, clamps=None, t: int = 0):
        """One timestep of a unidirectional model: x_t (B, I) or (I,) -> ``(output_t, state)``.

        Each layer runs its cell's step function (:func:`~lstm_vault.cells.lstm_step`,
        :func:`~lstm_vault.cells.gru_step`, :func:`~lstm_vault.cells.rnn_step`) once, carrying torch's
        state layout (L, B, H) in and out; no sequence code is involved, so looping ``step`` over a
        sequence and comparing with :meth:`forward` is a real check of the sequence loop.
        clamps: GateClamp / UnitAblation records as in :meth:`forward`; those whose range holds ``t``
        (this step's index in the sequence) act on it, so stepping t = 0, 1, ... equals ``forward``.
        """
        if self.bidirectional:
            raise ValueError(
                "a bidirectional model cannot be stepped: its reverse direction needs the future"
            )
        x_t = np.asarray(x_t, dtype=self.dtype)
        if x_t.ndim not in (1, 2) or x_t.shape[-1] != self.input_size:
            raise ValueError(
                f"x_t must be (B, {self.input_size}) or ({self.input_size},), got shape {x_t.shape}"
            )
        if not np.all(np.isfinite(x_t)):
            raise ValueError("x_t must be finite")
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 0:
            raise ValueError(f"t must be an integer >= 0, got {t!r}")
        unbatched = x_t.ndim == 1
        x = x_t[None] if unbatched else x_t  # (B, I)
        h0, c0 = self._split_state(state, x.shape[0], unbatched)  # (L, B, H) each
        table, held = interventions.tables(self, clamps, t + 1, at=t)
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            h, c = self._cell_step(
                x,
                h0[layer],
                None if c0 is None else c0[layer],
                self._weights(layer, 0),
                table.get((layer, 0), {}).get(t),
            )
            hold = held.get((layer, 0), {}).get(t)
            if hold is not None:
                interventions.hold(h, c, hold)
            h_n.append(h)
            c_n.append(c)
            x = h  # the layer's output is the next layer's input
        h_n = np.stack(h_n)
        state_out = (h_n, np.stack(c_n)) if self.arch == "lstm" else h_n
        return (x[0].copy() if unbatched else x.copy()), self._state_outside(state_out, unbatched)

    def _cell_step(self, x, h, c, weights, clamp=None):
        """One layer, one step: x (B, I_layer), h and c (B, H) (c None without a cell state), clamp
        ``(cols, values)`` or None -> ``h, c`` (fresh arrays)."""
        raise NotImplementedError

    # -- backward ---------------------------------------------------------------------------

    def backward(self, trace: Trace, d_output, d_state=None, log_safe: bool = False) -> Gradients:
        """Backpropagation through time, by hand (no autograd): :func:`lstm_vault.bptt.layer_backward`
        on every layer, top down, and both directions.

        d_output: dL/d(output) with the output's shape;  d_state: dL/d(final state), torch's
        layout ((dh_n, dc_n) for the LSTM), None for zeros.
        log_safe: keep every per-step gradient as a mantissa times a power of ten, so norms far outside
        float64's range (an exploding RNN) stay exact; the scales are in the result's ``*log10_scale``
        fields, and :meth:`~lstm_vault.trace.LayerGradients.log10_norm` reads them.
        Returns :class:`~lstm_vault.trace.Gradients`.
        """
        if not isinstance(trace, Trace) or trace.arch != self.arch:
            raise ValueError(f"backward needs the Trace of a forward pass of this {self.arch} model")
        T, B, _ = trace.x.shape
        D, H = self.num_directions, self.hidden_size
        dy = np.asarray(d_output, dtype=self.dtype)
        want = (T, D * H) if trace.unbatched else ((B, T, D * H) if self.batch_first else (T, B, D * H))
        if dy.shape != want:
            raise ValueError(f"d_output must have the output's shape {want}, got {dy.shape}")
        if trace.unbatched:
            dy = dy[:, None]
        elif self.batch_first:
            dy = dy.transpose(1, 0, 2)
        if d_state is None:
            dh_n, dc_n = np.zeros((self.num_layers * D, B, H), self.dtype), None
        else:
            dh_n, dc_n = self._split_state(d_state, B, trace.unbatched)
        grads, param_scales = {}, {}
        layer_grads: list = [None] * self.num_layers
        dh0 = np.zeros((self.num_layers * D, B, H), self.dtype)
        dc0, state_scale = np.zeros_like(dh0), np.zeros(self.num_layers * D)
        dy_scale = np.zeros(T)  # step t of dy is times 10**dy_scale[t]
        for layer in reversed(range(self.num_layers)):
            dx, dx_scale, dirs = None, None, []
            for d in range(D):
                row = layer * D + d
                W_ih, W_hh, _, _ = self._weights(layer, d)
                out = bptt.layer_backward(
                    trace.layers[layer][d],
                    np.ascontiguousarray(dy[..., d * H : (d + 1) * H]),
                    dh_n[row],
                    None if dc_n is None else dc_n[row],
                    W_ih,
                    W_hh,
                    out_scale=dy_scale,
                    log_safe=log_safe,
                )
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                for key, value in out.params.items():
                    grads[key + sfx], param_scales[key + sfx] = value, out.params_scale
                dh0[row], state_scale[row] = out.dh0, out.scale0
                if out.dc0 is not None:
                    dc0[row] = out.dc0
                dirs.append(LayerGradients(dh=out.dh, da=out.da, dc=out.dc, log10_scale=out.scale))
                if dx is None:
                    dx, dx_scale = out.dx, out.scale
                elif log_safe:  # the two directions' dx, each at its own scale per step
                    pairs = [bptt.add_scaled(dx[t], dx_scale[t], out.dx[t], out.scale[t]) for t in range(T)]
                    dx, dx_scale = np.stack([p[0] for p in pairs]), np.array([p[1] for p in pairs])
                else:
                    dx = dx + out.dx
            layer_grads[layer] = tuple(dirs)
            dy, dy_scale = dx, dx_scale
        grads = {name: grads[name] for name in self.params}
        d_input = self._outside(dy, trace.unbatched)
        state = (dh0, dc0) if self.arch == "lstm" else dh0
        scales = {}
        if log_safe:
            scales = dict(
                input_log10_scale=self._outside(
                    np.asarray(dy_scale, np.float64)[:, None, None], trace.unbatched
                ),
                params_log10_scale={name: param_scales[name] for name in self.params},
                state_log10_scale=state_scale,
            )
        return Gradients(
            grads, d_input, self._state_outside(state, trace.unbatched), tuple(layer_grads), **scales
        )

    # -- per-layer loops (subclasses) ------------------------------------------------------

    def _layer_forward(self, x, h0, c0, weights, reverse, clamps, held=None) -> LayerTrace:
        """One layer and direction over all T steps; clamps {t: (cols, values)}, held {t: (h_units,
        c_units)} (:func:`lstm_vault.interventions.tables`), each None for none."""
        raise NotImplementedError


def _order(T: int, reverse: bool) -> range:
    return range(T - 1, -1, -1) if reverse else range(T)


class LSTM(Recurrent):
    """Long short-term memory, torch's ``nn.LSTM`` in NumPy; equations in :mod:`lstm_vault.cells`.

    forget_bias: None keeps torch's initialisation; a number sets the forget-gate slice of
    every ``bias_ih`` to it and that of ``bias_hh`` to 0 (so b_if + b_hf = forget_bias), the
    classic trick that makes a fresh LSTM remember by default.
    """

    arch = "lstm"

    def __init__(self, *args, forget_bias: float | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if forget_bias is not None:
            rows = self.gate_slice("f")
            for name, p in self.params.items():
                if name.startswith("bias_"):
                    p[rows] = forget_bias if name.startswith("bias_ih") else 0.0

    def _layer_forward(self, x, h0, c0, weights, reverse, clamps, held=None):
        W_ih, W_hh, b_ih, b_hh = weights
        T, B, _ = x.shape
        H = self.hidden_size
        xw = x @ W_ih.T  # (T, B, 4H): every input projection in one product
        xw += b_ih + b_hh
        A = np.empty((T, B, 4 * H), self.dtype)
        ACT, C, Hs = np.empty_like(A), np.empty((T, B, H), self.dtype), np.empty((T, B, H), self.dtype)
        h, c, clamps, held = h0, c0, clamps or {}, held or {}
        for t in _order(T, reverse):
            h, c, (a, act) = cells.lstm_cell_forward(xw[t], h, c, W_hh, clamps.get(t))
            if t in held:
                interventions.hold(h, c, held[t])
            A[t], ACT[t], C[t], Hs[t] = a, act, c, h
        return LayerTrace("lstm", reverse, x, h0, c0, A, ACT, Hs, c=C, clamps=clamps, ablations=held)

    def _cell_step(self, x, h, c, weights, clamp=None):
        h, c, _ = cells.lstm_step(x, h, c, *weights, clamp=clamp)
        return h, c


class RNN(Recurrent):
    """Vanilla (Elman) tanh RNN, torch's ``nn.RNN(nonlinearity="tanh")`` in NumPy.

    h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh). Its gradient through time is a product of
    Jacobians diag(1 - h_t²) W_hh, which shrinks or grows geometrically with the distance.
    """

    arch = "rnn"

    def _layer_forward(self, x, h0, c0, weights, reverse, clamps, held=None):
        if clamps:
            raise ValueError("a vanilla RNN has no gates to clamp")
        W_ih, W_hh, b_ih, b_hh = weights
        T, B, _ = x.shape
        xw = x @ W_ih.T
        xw += b_ih + b_hh
        A, Hs = np.empty((T, B, self.hidden_size), self.dtype), np.empty((T, B, self.hidden_size), self.dtype)
        h, held = h0, held or {}
        for t in _order(T, reverse):
            h, a = cells.rnn_cell_forward(xw[t], h, W_hh)
            if t in held:
                interventions.hold(h, None, held[t])
            A[t], Hs[t] = a, h
        return LayerTrace("rnn", reverse, x, h0, None, A, Hs, Hs, ablations=held)

    def _cell_step(self, x, h, c, weights, clamp=None):
        if clamp is not None:
            raise ValueError("a vanilla RNN has no gates to clamp")
        return cells.rnn_step(x, h, *weights)[0], None


class GRU(Recurrent):
    """Gated recurrent unit, torch's ``nn.GRU`` in NumPy; equations in :mod:`lstm_vault.cells`."""

    arch = "gru"

    def _layer_forward(self, x, h0, c0, weights, reverse, clamps, held=None):
        W_ih, W_hh, b_ih, b_hh = weights
        T, B, _ = x.shape
        H = self.hidden_size
        xw = x @ W_ih.T
        xw += b_ih  # b_hn sits inside r ⊙ (W_hn h + b_hn), so b_hh cannot fold in here
        A = np.empty((T, B, 3 * H), self.dtype)
        ACT, HN, Hs = np.empty_like(A), np.empty((T, B, H), self.dtype), np.empty((T, B, H), self.dtype)
        h, clamps, held = h0, clamps or {}, held or {}
        for t in _order(T, reverse):
            h, (a, act, hn) = cells.gru_cell_forward(xw[t], h, W_hh, b_hh, clamps.get(t))
            if t in held:
                interventions.hold(h, None, held[t])
            A[t], ACT[t], HN[t], Hs[t] = a, act, hn, h
        return LayerTrace("gru", reverse, x, h0, None, A, ACT, Hs, hn=HN, clamps=clamps, ablations=held)

    def _cell_step(self, x, h, c, weights, clamp=None):
        return cells.gru_step(x, h, *weights, clamp=clamp)[0], None


ARCHS = {"lstm": LSTM, "rnn": RNN, "gru": GRU}


def make_model(arch: str, *args, **kwargs) -> Recurrent:
    """``make_model("lstm", 1, 8)`` == ``LSTM(1, 8)``; arch is "lstm", "rnn" or "gru"."""
    if arch not in ARCHS:
        raise ValueError(f"arch must be one of {sorted(ARCHS)}, got {arch!r}")
    return ARCHS[arch](*args, **kwargs)
