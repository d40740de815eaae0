r"""One timestep of each recurrent cell, forward and backward side by side.

Shape letters, fixed once for the whole library:
    T  time steps          B  batch size          I  input size
    H  hidden size         G  gate blocks per cell (LSTM 4, GRU 3, RNN 1)
    L  layers              D  directions (1, or 2 when bidirectional)

Every cell uses torch's parameter layout, so weights move between this module and
``torch.nn.LSTM`` / ``torch.nn.GRU`` / ``torch.nn.RNN`` without any reordering:
``W_ih`` is ``(G*H, I)``, ``W_hh`` is ``(G*H, H)``, ``b_ih`` and ``b_hh`` are ``(G*H,)``,
and the gate blocks are stacked in the order of :data:`LSTM_GATES` / :data:`GRU_GATES`.

LSTM (``lstm_*``), gate order ``i, f, g, o`` exactly as torch packs them::

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh          pre-activations, (B, 4H)
    i_t = σ(a_i)        input gate: how much of the candidate to write
    f_t = σ(a_f)        forget gate: how much of the old cell state to keep
    g_t = tanh(a_g)     candidate values ("what could be written")
    o_t = σ(a_o)        output gate: how much of the cell to show
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t                        cell state (the conveyor belt)
    h_t = o_t ⊙ tanh(c_t)                                  hidden state

GRU (``gru_*``), gate order ``r, z, n``::

    r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)         reset gate
    z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)         update gate
    hn_t = W_hn h_{t-1} + b_hn
    n_t = tanh(W_in x_t + b_in + r_t ⊙ hn_t)               candidate
    h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}

Vanilla RNN (``rnn_*``)::

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
    h_t = tanh(a_t)

The input projection ``xw_t = W_ih x_t + b_ih (+ b_hh where it folds in)`` does not depend
on the state, so sequence code computes it for all T in one matrix product before the
time loop and hands each step its row; :func:`lstm_step`, :func:`gru_step` and
:func:`rnn_step` do that for a single step, for stepping by hand.

A *clamp* forces some gate activations to fixed values at one step (an experiment: "what
if the forget gate were 1 here?"). It is ``(cols, values)``: column indices into the
packed ``(B, G*H)`` activation and the values to write there. A clamped activation is a
constant, so the backward step gives its pre-activation zero gradient.
"""

from __future__ import annotations

import numpy as np

LSTM_GATES = ("i", "f", "g", "o")
GRU_GATES = ("r", "z", "n")
RNN_GATES = ()
GATES = {"lstm": LSTM_GATES, "gru": GRU_GATES, "rnn": RNN_GATES}
#: number of stacked blocks G in W_ih / W_hh for each architecture
N_BLOCKS = {"lstm": 4, "gru": 3, "rnn": 1}


def gate_rows(arch: str, gate: str, H: int) -> slice:
    """The rows (or last-axis columns) of ``gate``'s block in a packed ``(G*H, ...)`` weight or ``(..., G*H)``
    activation, in torch's order: the one place the ``[k*H : (k+1)*H]`` arithmetic lives."""
    gates = GATES[arch]
    if gate not in gates:
        raise ValueError(f"a {arch} has gates {gates}, not {gate!r}")
    k = gates.index(gate)
    return slice(k * H, (k + 1) * H)


def sigmoid(a: np.ndarray) -> np.ndarray:
    """σ(a) = 1 / (1 + e^{-a}), written as (1 + tanh(a/2)) / 2 so that no exponential can overflow."""
    s = np.tanh(a * 0.5)
    s *= 0.5
    s += 0.5
    return s


# ----------------------------------------------------------------------------- LSTM


def lstm_cell_forward(xw, h_prev, c_prev, W_hh, clamp=None):
    """One LSTM step given the input projection.

    xw: (B, 4H) = W_ih x_t + b_ih + b_hh;  h_prev, c_prev: (B, H);  W_hh: (4H, H).
    Returns ``h (B, H), c (B, H), cache`` with ``cache = (a, act)``: the pre-activations
    ``a`` and activations ``act = [i, f, g, o]``, both ``(B, 4H)``.
    """
    H = h_prev.shape[-1]
    a = h_prev @ W_hh.T
    a += xw
    act = sigmoid(a)  # i, f, o are sigmoids; the g block is overwritten with tanh below
    act[:, 2 * H : 3 * H] = np.tanh(a[:, 2 * H : 3 * H])
    if clamp is not None:
        act[:, clamp[0]] = clamp[1]
    i, f, g, o = act[:, :H], act[:, H : 2 * H], act[:, 2 * H : 3 * H], act[:, 3 * H :]
    c = f * c_prev
    c += i * g
    h = o * np.tanh(c)
    return h, c, (a, act)


def lstm_cell_backward(dh, dc_next, act, c, c_prev, W_hh, dact_buf, clamp_cols=None):
    """Backward through one LSTM step (the chain rule of :func:`lstm_cell_forward`, line by line).

    dh: (B, H) total dL/dh_t (from the output at t, the layer above and h_{t+1});
    dc_next: (B, H) dL/dc_t arriving from step t+1 through c_{t+1} = f_{t+1} ⊙ c_t + ...;
    act: (B, 4H) = [i, f, g, o];  c, c_prev: (B, H);  dact_buf: (B, 4H) scratch space.
    Returns ``da (B, 4H), dc (B, H), dh_prev (B, H), dc_prev (B, H)`` where ``dc`` is the
    total dL/dc_t and ``da`` the gradient of the pre-activations.
    """
    H = c.shape[-1]
    i, f, g, o = act[:, :H], act[:, H : 2 * H], act[:, 2 * H : 3 * H], act[:, 3 * H :]
    tc = np.tanh(c)
    dc = dh * o * (1.0 - tc * tc)  # through h_t = o ⊙ tanh(c_t)
    dc += dc_next  # through c_{t+1}
    dact = dact_buf
    np.multiply(dc, g, out=dact[:, :H])  # dL/di = dc ⊙ g
    np.multiply(dc, c_prev, out=dact[:, H : 2 * H])  # dL/df = dc ⊙ c_{t-1}
    np.multiply(dc, i, out=dact[:, 2 * H : 3 * H])  # dL/dg = dc ⊙ i
    np.multiply(dh, tc, out=dact[:, 3 * H :])  # dL/do = dh ⊙ tanh(c_t)
    # σ'(a) = σ(1 - σ) for i, f, o;  tanh'(a) = 1 - g² for g
    deriv = act * (1.0 - act)
    deriv[:, 2 * H : 3 * H] = 1.0 - g * g
    da = dact * deriv
    if clamp_cols is not None:
        da[:, clamp_cols] = 0.0
    dh_prev = da @ W_hh
    dc_prev = dc * f  # c_t = f ⊙ c_{t-1} + ...
    return da, dc, dh_prev, dc_prev


def lstm_step(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh, clamp=None):
    """One LSTM step from raw input: x_t (B, I), state (B, H) each -> ``h, c, cache``."""
    xw = x_t @ W_ih.T + b_ih + b_hh
    return lstm_cell_forward(xw, h_prev, c_prev, W_hh, clamp)


# ----------------------------------------------------------------------------- GRU


def gru_cell_forward(xw, h_prev, W_hh, b_hh, clamp=None):
    """One GRU step given the input projection.

    xw: (B, 3H) = W_ih x_t + b_ih;  h_prev: (B, H);  W_hh: (3H, H);  b_hh: (3H,).
    Returns ``h (B, H), cache`` with ``cache = (a, act, hn)``: pre-activations
    ``a = [a_r, a_z, a_n]``, activations ``act = [r, z, n]`` (both (B, 3H)) and
    ``hn = W_hn h_{t-1} + b_hn`` (B, H), which the reset gate scales.
    """
    H = h_prev.shape[-1]
    hw = h_prev @ W_hh.T
    hw += b_hh
    a = xw + hw
    act = sigmoid(a)  # r and z; the n block is replaced below
    if clamp is not None:
        act[:, clamp[0]] = clamp[1]
    r = act[:, :H]
    hn = hw[:, 2 * H :]
    a[:, 2 * H :] = xw[:, 2 * H :] + r * hn
    act[:, 2 * H :] = np.tanh(a[:, 2 * H :])
    if clamp is not None:
        act[:, clamp[0]] = clamp[1]
    z, n = act[:, H : 2 * H], act[:, 2 * H :]
    h = n - z * n
    h += z * h_prev
    return h, (a, act, hn)


def gru_cell_backward(dh, act, hn, h_prev, W_hh, clamp_cols=None):
    """Backward through one GRU step.

    dh: (B, H) total dL/dh_t;  act: (B, 3H) = [r, z, n];  hn, h_prev: (B, H).
    Returns ``da (B, 3H)`` (gradient of the pre-activations [a_r, a_z, a_n], which is also
    the gradient of W_ih x_t + b_ih), ``dhw (B, 3H)`` (gradient of W_hh h_{t-1} + b_hh) and
    ``dh_prev (B, H)``.
    """
    H = h_prev.shape[-1]
    r, z, n = act[:, :H], act[:, H : 2 * H], act[:, 2 * H :]
    da = np.empty_like(act)
    dn = dh * (1.0 - z)  # h = (1 - z) n + z h_prev
    np.multiply(dn, 1.0 - n * n, out=da[:, 2 * H :])  # a_n -> n = tanh(a_n)
    if clamp_cols is not None:  # a clamped n passes no gradient on to r either
        da[:, clamp_cols] = 0.0
    np.multiply(da[:, 2 * H :] * hn * r, 1.0 - r, out=da[:, :H])  # a_n = ... + r ⊙ hn
    np.multiply(dh * (h_prev - n) * z, 1.0 - z, out=da[:, H : 2 * H])
    if clamp_cols is not None:
        da[:, clamp_cols] = 0.0
    dhw = da.copy()
    dhw[:, 2 * H :] *= r  # d(hn) = da_n ⊙ r
    dh_prev = dhw @ W_hh
    dh_prev += dh * z
    return da, dhw, dh_prev


def gru_step(x_t, h_prev, W_ih, W_hh, b_ih, b_hh, clamp=None):
    """One GRU step from raw input: x_t (B, I), h_prev (B, H) -> ``h, cache``."""
    return gru_cell_forward(x_t @ W_ih.T + b_ih, h_prev, W_hh, b_hh, clamp)


# ----------------------------------------------------------------------------- vanilla RNN


def rnn_cell_forward(xw, h_prev, W_hh):
    """One tanh-RNN step: xw (B, H) = W_ih x_t + b_ih + b_hh, h_prev (B, H) -> ``h, a``."""
    a = h_prev @ W_hh.T
    a += xw
    return np.tanh(a), a


def rnn_cell_backward(dh, h, W_hh):
    """Backward through one RNN step: dh (B, H) total dL/dh_t -> ``da (B, H), dh_prev (B, H)``.

    da = dh ⊙ (1 - h_t²);  dh_prev = da W_hh. Repeated over steps this is the product of
    Jacobians diag(1 - h_t²) W_hh that makes the vanilla RNN's gradient vanish or explode.
    """
    da = dh * (1.0 - h * h)
    return da, da @ W_hh


def rnn_step(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    """One RNN step from raw input: x_t (B, I), h_prev (B, H) -> ``h, a``."""
    return rnn_cell_forward(x_t @ W_ih.T + b_ih + b_hh, h_prev, W_hh)
