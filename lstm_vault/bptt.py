r"""Backpropagation through time for one layer and direction: one loop for the LSTM, the GRU and the RNN.

The loop walks the steps against the direction the layer read them, adds the gradient arriving from
outside at step t (the loss on the output, or the layer above) to the one carried back from step t±1,
and hands the sum to the cell's backward step (:mod:`lstm_vault.cells`)::

    dh_t = dh_out_t + dh_next                       total dL/dh_t
    dh_t, dc_next = cut(dh_t, dc_next)              only where a UnitAblation held h_t (c_t) at 0
    da_t, (dh_next, dc_next) = cell_backward(dh_t, dc_next, step t's cache)

A clamped gate is a constant (the cell's backward step gives it zero gradient); a held unit is a
constant too (:func:`lstm_vault.interventions.cut` stops the gradient before it enters the step).

Log-safe mode (``log_safe=True``): plain float64 overflows past 1e308 and underflows below 1e-308,
which an exploding RNN passes within a few hundred steps. Every per-step array is then stored as a
*mantissa* times ``10**log10_scale[t]``: after each step the carried gradients (``dh_next`` and, for the
LSTM, ``dc_next``) are divided by their joint norm n, and log10 n is added to the running scale. The
gradient arriving from outside may carry a scale of its own per step (the layer above's ``dx``); the
two are brought to the larger scale before they are added. Without ``log_safe`` every scale is 0 and
the arrays are the gradients themselves (the same loop, no renormalisation).

Shapes: T steps, B batch, H hidden, G gate blocks (LSTM 4, GRU 3, RNN 1), I_l the layer's input size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import cells, interventions


@dataclass
class LayerBackward:
    """What the backward pass of one layer and direction produced (arrays times ``10**scale``).

    da:  (T, B, G*H)  dL/d(pre-activation) at each step;  dhw: the same for W_hh h + b_hh (GRU: differs)
    dh:  (T, B, H)    total dL/dh_t;  dc: (T, B, H) total dL/dc_t (LSTM) or None
    dx:  (T, B, I_l)  dL/d(layer input) at each step
    scale: (T,)       log10 of the factor every step-t array above is to be multiplied by (0: plain)
    dh0, dc0: (B, H)  gradient of the initial state (dc0 None without a cell), times 10**scale0
    params: {"weight_ih", "weight_hh", "bias_ih", "bias_hh"} summed over steps, times 10**params_scale
    """

    da: np.ndarray
    dhw: np.ndarray
    dh: np.ndarray
    dc: np.ndarray | None
    dx: np.ndarray
    scale: np.ndarray
    dh0: np.ndarray
    dc0: np.ndarray | None
    scale0: float
    params: dict
    params_scale: float


def add_scaled(a: np.ndarray, sa: float, b: np.ndarray, sb: float) -> tuple[np.ndarray, float]:
    """a·10**sa + b·10**sb as ``(mantissa, scale)`` with the larger scale (an all-zero array has no
    scale of its own: it never drags the other below float64's range)."""
    if not a.any():
        sa = -math.inf
    if not b.any():
        sb = -math.inf
    if sb == -math.inf or (sa >= sb and sa != -math.inf):
        if sb == -math.inf:
            return a.copy(), sa
        with np.errstate(under="ignore"):
            return a + b * 10.0 ** (sb - sa), sa
    if sa == -math.inf:
        return b.copy(), sb
    with np.errstate(under="ignore"):
        return b + a * 10.0 ** (sa - sb), sb


def _joint_norm(*arrays) -> float:
    return math.sqrt(sum(float(np.vdot(a, a)) for a in arrays if a is not None))


def layer_backward(
    lt, dh_out, dh_n, dc_n, W_ih, W_hh, out_scale=None, state_scale: float = 0.0, log_safe: bool = False
) -> LayerBackward:
    """BPTT through one layer trace ``lt`` (:class:`~lstm_vault.trace.LayerTrace`).

    dh_out: (T, B, H) gradient arriving at each h_t from outside (times ``10**out_scale[t]``, 0 if None);
    dh_n, dc_n: (B, H) gradient of the final state (times ``10**state_scale``; dc_n None for zeros);
    W_ih (G*H, I_l), W_hh (G*H, H): the layer's weights.
    """
    arch, dtype = lt.arch, lt.h.dtype
    T, B, H = lt.h.shape
    DA = np.empty_like(lt.act)
    DHW = np.empty_like(lt.act) if arch == "gru" else DA
    DH = np.empty_like(lt.h)
    DC = np.empty_like(lt.h) if arch == "lstm" else None
    scale = np.zeros(T)
    out_scale = np.zeros(T) if out_scale is None else np.asarray(out_scale, dtype=np.float64)
    clamps, held = lt.clamps or {}, lt.ablations or {}
    c_prev_all = lt.c_prev() if arch == "lstm" else None
    h_prev_all = lt.h_prev()
    dact_buf = np.empty((B, 4 * H), dtype) if arch == "lstm" else None
    dh_next = np.asarray(dh_n, dtype=dtype)
    dc_next = np.zeros((B, H), dtype) if dc_n is None else np.asarray(dc_n, dtype=dtype)
    carried = float(state_scale)  # scale of the carried (dh_next, dc_next)
    for t in range(T) if lt.reverse else range(T - 1, -1, -1):
        if log_safe:
            dh, m = add_scaled(dh_out[t], out_scale[t], dh_next, carried)
            if m == -math.inf:  # nothing reaches h_t: dh is 0 at any scale, keep dc_next's
                m = carried if math.isfinite(carried) else 0.0
            if carried == -math.inf:
                dc_next = np.zeros_like(dc_next)
            elif m != carried:  # dc_next was at the carried scale: bring it to m with dh
                with np.errstate(under="ignore"):
                    dc_next = dc_next * 10.0 ** (carried - m)
        else:
            dh, m = dh_out[t] + dh_next, 0.0  # dL/dh_t: output at t (or layer above) + step after
        if t in held:  # held values are constants: nothing flows into the step's own h_t (c_t)
            dh, dc_next = interventions.cut(dh, dc_next, held[t])
        cl = clamps.get(t)
        cols = None if cl is None else cl[0]
        if arch == "lstm":
            da, dc, dh_next, dc_next = cells.lstm_cell_backward(
                dh, dc_next, lt.act[t], lt.c[t], c_prev_all[t], W_hh, dact_buf, cols
            )
            DC[t] = dc
        elif arch == "gru":
            da, DHW[t], dh_next = cells.gru_cell_backward(dh, lt.act[t], lt.hn[t], h_prev_all[t], W_hh, cols)
        else:
            da, dh_next = cells.rnn_cell_backward(dh, lt.h[t], W_hh)
        DA[t], DH[t], scale[t] = da, dh, m
        carried = m
        if log_safe:
            n = _joint_norm(dh_next, dc_next if arch == "lstm" else None)
            if n > 0:
                dh_next = dh_next / n
                if arch == "lstm":
                    dc_next = dc_next / n
                carried = m + math.log10(n)
            else:  # every unit saturated exactly: nothing reaches further back
                carried = -math.inf
    dx = DA @ W_ih  # (T, B, I_l), step t times 10**scale[t]
    # the sums over t need one common scale: the largest, smaller steps enter as 10**(scale - top)
    top = float(scale.max()) if T else 0.0
    if log_safe and np.any(scale != top):
        with np.errstate(under="ignore"):
            w = np.power(10.0, scale - top).astype(dtype)[:, None, None]
        da_w, dhw_w = DA * w, (DHW * w if DHW is not DA else None)
    else:
        da_w, dhw_w = DA, (DHW if DHW is not DA else None)
    params = _param_grads(da_w, lt.x, h_prev_all, dhw_w)
    return LayerBackward(
        da=DA,
        dhw=DHW,
        dh=DH,
        dc=DC,
        dx=dx,
        scale=scale,
        dh0=dh_next,
        dc0=dc_next if arch == "lstm" else None,
        scale0=carried if math.isfinite(carried) else 0.0,
        params=params,
        params_scale=top,
    )


def _param_grads(da: np.ndarray, x: np.ndarray, h_prev: np.ndarray, dhw=None) -> dict:
    """Gradients of W_ih, W_hh, b_ih, b_hh from all steps' pre-activation gradients at once.

    da: (T, B, G*H) gradient of W_ih x_t + b_ih;  dhw: that of W_hh h_{t-1} + b_hh (defaults to da);
    x: (T, B, I);  h_prev: (T, B, H).  Sums over t and b are single matrix products.
    """
    dhw = da if dhw is None else dhw
    GH = da.shape[-1]
    da2, dhw2 = da.reshape(-1, GH), dhw.reshape(-1, GH)
    return {
        "weight_ih": da2.T @ x.reshape(-1, x.shape[-1]),
        "weight_hh": dhw2.T @ h_prev.reshape(-1, h_prev.shape[-1]),
        "bias_ih": da2.sum(axis=0),
        "bias_hh": dhw2.sum(axis=0),
    }
