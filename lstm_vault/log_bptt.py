"""Backpropagation through time for L = u · h_{T-1}, with every norm kept as a base-10 logarithm.

The library's :meth:`~lstm_vault.Recurrent.backward` works in plain float64, which overflows past 1e308
(an exploding RNN at T = 500) and underflows below 1e-308. Here the same step functions
(:func:`~lstm_vault.cells.rnn_cell_backward`, :func:`~lstm_vault.cells.lstm_cell_backward`) are driven
with the carried gradient stored as a unit vector times 10**log10_scale, renormalised after every step,
so every norm is known as a base-10 logarithm however large or small it gets. The tests
(``tests/test_vanishing.py``) check these norms against ``backward``'s ``dh`` and ``dc`` wherever
float64 can hold them. Used by :mod:`lstm_vault.vanishing`.

Shapes: T steps (t = 0 .. T-1, loss at T-1), I input features, H hidden units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import cells
from .models import Recurrent
from .trace import _freeze


def _log10(a) -> np.ndarray:
    """log10 of non-negative values, -inf for exact zeros (no divide-by-zero warning)."""
    with np.errstate(divide="ignore"):
        return np.log10(a)


@dataclass(frozen=True)
class PathGradients:
    """One model's gradients of L = u · h_{T-1}, every magnitude as a base-10 logarithm.

    arch:     "rnn" | "lstm"
    log10_dh: (T,)    log10 ||dL/dh_t|| (0 at t = T-1 by the choice of loss; -inf where exactly 0)
    log10_dc: (T,)    log10 ||dL/dc_t|| (LSTM only, else None)
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


def log_safe_bptt(model: Recurrent, trace, u: np.ndarray) -> PathGradients:
    """Backpropagate L = u · h_{T-1} through one unbatched RNN or LSTM trace, norms as log10.

    The loop is :meth:`~lstm_vault.Recurrent.backward`'s, step by step, except that after each step the
    carried gradients (``dh_next``, and ``dc_next`` for the LSTM) are divided by their joint norm n and
    log10 n is added to ``log_scale``: the true gradient is always (carried vector) × 10**log_scale.
    """
    lt = trace.layers[0][0]
    W_ih, W_hh = model.params["weight_ih_l0"], model.params["weight_hh_l0"]
    T, H = lt.h.shape[0], lt.h.shape[-1]
    lstm = lt.arch == "lstm"
    log_dh, log_dc = np.empty(T), np.empty(T) if lstm else None
    dx_unit, log_scale_at = np.empty((T, W_ih.shape[1])), np.empty(T)
    dh_next = u[None].astype(np.float64)  # (1, H): dL/dh_{T-1} = u, the loss's own gradient
    dc_next = np.zeros((1, H))  # nothing reaches c_{T-1} from a later step
    c_prev_all = lt.c_prev() if lstm else None
    dact_buf = np.empty((1, 4 * H)) if lstm else None
    log_scale = 0.0
    for t in range(T - 1, -1, -1):
        dh = dh_next  # total dL/dh_t / 10**log_scale (no loss at t < T-1, so nothing else to add)
        log_dh[t] = log_scale + _log10(np.linalg.norm(dh))
        if lstm:
            da, dc, dh_next, dc_next = cells.lstm_cell_backward(
                dh, dc_next, lt.act[t], lt.c[t], c_prev_all[t], W_hh, dact_buf
            )
            log_dc[t] = log_scale + _log10(np.linalg.norm(dc))
            n = math.hypot(np.linalg.norm(dh_next), np.linalg.norm(dc_next))
        else:
            da, dh_next = cells.rnn_cell_backward(dh, lt.h[t], W_hh)
            n = float(np.linalg.norm(dh_next))
        dx_unit[t] = (da @ W_ih)[0]  # dL/dx_t = da_t W_ih, in units of 10**log_scale
        log_scale_at[t] = log_scale
        if n > 0:  # exactly 0 only when every unit saturated exactly: the gradient stays 0 from here on
            dh_next = dh_next / n
            if lstm:
                dc_next = dc_next / n
            log_scale += math.log10(n)
    return PathGradients(
        arch=lt.arch,
        log10_dh=log_dh,
        log10_dc=log_dc,
        log10_dx=_log10(np.abs(dx_unit)) + log_scale_at[:, None],
        sign_dx=np.sign(dx_unit),
    )
