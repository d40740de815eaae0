"""One model's gradient along time: how much of a loss at the last step reaches every earlier step.

L = u · y_{T-1}, with y the model's output (the top layer's h, both directions side by side) and u a fixed
vector. :func:`path_gradients` runs the library's one backward pass, :meth:`~lstm_vault.Recurrent.backward`
with ``log_safe=True`` (:mod:`lstm_vault.bptt`), for any model: LSTM, GRU or RNN, any number of layers,
one or two directions. The carried gradient is renormalised at every step there, so each norm here is a
base-10 logarithm, exact however far outside float64's range (1e-308 to 1e308) the gradient goes.
:mod:`lstm_vault.vanishing` builds the RNN-against-LSTM comparison on it.

Shapes: T steps (t = 0 .. T-1), I input features, H hidden units, D directions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .models import Recurrent
from .trace import Trace, _freeze


def log10_safe(a) -> np.ndarray:
    """log10 of non-negative values, -inf for exact zeros (no divide-by-zero warning)."""
    with np.errstate(divide="ignore"):
        return np.log10(a)


@dataclass(frozen=True)
class PathGradients:
    """One model's gradients of L = u · y_{T-1}, every magnitude as a base-10 logarithm.

    arch:     "rnn" | "lstm" | "gru"
    log10_dh: (T,)    log10 ||dL/dh_t|| (-inf where exactly 0); over every layer and direction's h_t
    log10_dc: (T,)    log10 ||dL/dc_t|| (LSTM only, else None), over every layer and direction
    log10_dx: (T, I)  log10 |dL/dx_t| per input feature (-inf where exactly 0)
    sign_dx:  (T, I)  sign of dL/dx_t (-1, 0, +1)
    """

    arch: str
    log10_dh: np.ndarray
    log10_dx: np.ndarray
    sign_dx: np.ndarray
    log10_dc: np.ndarray | None = None

    def __post_init__(self):
        _freeze(self)

    @property
    def T(self) -> int:
        return self.log10_dh.shape[0]

    @property
    def log10_ratio(self) -> float:
        """log10 (||dL/dh_0|| / ||dL/dh_{T-1}||): how much of the last step's gradient reaches t = 0."""
        return float(self.log10_dh[0] - self.log10_dh[-1])

    @property
    def log10_step_factor(self) -> float:
        """log10 of the average factor per step back, the (T-1)-th root of the ratio (nan for T = 1)."""
        if self.T < 2:
            return math.nan
        return self.log10_ratio / (self.T - 1)

    @property
    def log10_step_factors(self) -> np.ndarray:
        """(T-1,) log10 ||dL/dh_t|| / ||dL/dh_{t+1}||: what the step back from t+1 to t did (> 0: grew).

        nan where both norms are exactly 0.
        """
        with np.errstate(invalid="ignore"):
            return self.log10_dh[:-1] - self.log10_dh[1:]

    def top_input_steps(self, k: int) -> tuple[int, ...]:
        """The ``k`` steps t with the largest |dL/dx_t| (largest over the input features), largest first."""
        return tuple(int(t) for t in np.argsort(-self.log10_dx.max(axis=1), kind="stable")[:k])

    def dx(self) -> np.ndarray:
        """(T, I) dL/dx_t as plain floats; magnitudes beyond float64 become ±inf or 0 (use log10_dx)."""
        with np.errstate(over="ignore", under="ignore"):
            return self.sign_dx * np.power(10.0, self.log10_dx)


def _log10_root_sum_squares(logs: list[np.ndarray]) -> np.ndarray:
    """log10 sqrt(Σ_i 10**(2 logs[i])) elementwise, without leaving log space (one array: itself)."""
    if len(logs) == 1:
        return logs[0]
    stack = np.stack(logs)
    top = stack.max(axis=0)
    safe_top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(under="ignore"):
        return safe_top + 0.5 * log10_safe(np.power(10.0, 2.0 * (stack - safe_top)).sum(axis=0))


def path_gradients(model: Recurrent, trace: Trace, u: np.ndarray) -> PathGradients:
    """The gradients of L = u · y_{T-1} at every step, for any model: LSTM, GRU or RNN, any layers, one or
    two directions. ``trace``: the model's forward pass over one unbatched sequence (T, I); y_{T-1}: its
    output at the last step (the top layer's h, both directions side by side), u: (D*H,).

    One call of :meth:`~lstm_vault.Recurrent.backward` with ``log_safe=True``: the library's own BPTT loop,
    its carried gradient renormalised at every step, so the norms stay exact far outside float64's range.
    For a stacked or bidirectional model ||dL/dh_t|| is taken over every layer and direction's h_t.
    """
    if not isinstance(trace, Trace) or not trace.unbatched:
        raise ValueError("path_gradients needs the trace of one unbatched sequence (T, I)")
    d_output = np.zeros((trace.T, model.num_directions * model.hidden_size))
    d_output[-1] = u
    grads = model.backward(trace, d_output, log_safe=True)
    layers = [lg for layer in grads.layers for lg in layer]
    log_dc = _log10_root_sum_squares([lg.log10_norm("dc") for lg in layers]) if model.arch == "lstm" else None
    return PathGradients(
        arch=model.arch,
        log10_dh=_log10_root_sum_squares([lg.log10_norm("dh") for lg in layers]),
        log10_dx=grads.log10_abs_input(),
        sign_dx=np.sign(grads.input),
        log10_dc=log_dc,
    )
