"""Check :meth:`Recurrent.backward` against central finite differences (as min-char-rnn does).

The loss is a random projection of everything the forward pass returns (fixed by a seed)::

    L = Σ R_y ⊙ output + Σ R_h ⊙ h_n (+ Σ R_c ⊙ c_n for the LSTM)

so its gradient with respect to ``output`` is exactly ``R_y``, which ``backward`` turns into
gradients of every parameter, the input and the initial state. Each of those is compared
entry by entry with ``(L(θ + ε) - L(θ - ε)) / 2ε``. The error of a tensor is
``max|analytic - numeric| / max|numeric|``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GradcheckReport:
    """errors: {name: relative error} for every parameter, "input", "h0" (and "c0")."""

    errors: dict
    eps: float
    checked: int  # number of entries compared

    @property
    def max_error(self) -> float:
        return max(self.errors.values())

    @property
    def worst(self) -> str:
        return max(self.errors, key=self.errors.get)

    def __str__(self) -> str:
        width = max(len(k) for k in self.errors)
        lines = [f"{name:<{width}}  relative error {err:.2e}" for name, err in self.errors.items()]
        lines.append(
            f"max relative error {self.max_error:.2e} ({self.worst});"
            f" {self.checked} entries, eps={self.eps:g}"
        )
        return "\n".join(lines)


def _rel_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    scale = np.max(np.abs(numeric))
    diff = np.max(np.abs(analytic - numeric))
    return float(diff / scale) if scale > 0 else float(diff)


def gradcheck(
    model, x, state=None, clamps=None, eps: float = 1e-6, seed: int = 0, max_entries: int | None = None
):
    """Compare ``model.backward`` with central differences; returns a :class:`GradcheckReport`.

    model: a float64 LSTM / RNN / GRU;  x: its input;  state: initial state (None = zeros, still
    checked);  max_entries: check at most this many random entries per tensor (None = all).
    """
    if model.dtype != np.float64:
        raise ValueError("gradcheck needs a float64 model: float32 finite differences are too coarse")
    x = np.array(x, dtype=np.float64)
    if state is None:
        unbatched = x.ndim == 2
        B = 1 if unbatched else x.shape[0 if model.batch_first else 1]
        state = model.initial_state(B)
        if unbatched:
            state = tuple(s[:, 0] for s in state) if isinstance(state, tuple) else state[:, 0]
    states = [np.array(s, dtype=np.float64) for s in (state if isinstance(state, tuple) else (state,))]
    rng = np.random.default_rng(seed)
    out, s_out, trace = model.forward(x, _pack(states), clamps)
    s_out = s_out if isinstance(s_out, tuple) else (s_out,)
    r_y = rng.standard_normal(out.shape)
    r_s = [rng.standard_normal(s.shape) for s in s_out]

    def loss() -> float:
        y, s, _ = model.forward(x, _pack(states), clamps)
        s = s if isinstance(s, tuple) else (s,)
        return float(np.sum(r_y * y) + sum(np.sum(r * v) for r, v in zip(r_s, s)))

    grads = model.backward(trace, r_y, _pack(r_s))
    g_state = grads.state if isinstance(grads.state, tuple) else (grads.state,)
    targets = [(name, model.params[name], grads.params[name]) for name in model.params]
    targets.append(("input", x, grads.input))
    targets += [(name, s, g) for name, s, g in zip(("h0", "c0"), states, g_state)]
    errors, checked = {}, 0
    for name, value, analytic in targets:
        flat = value.reshape(-1)  # a view: perturbing it perturbs what loss() reads
        idx = np.arange(flat.size)
        if max_entries is not None and flat.size > max_entries:
            idx = rng.choice(flat.size, size=max_entries, replace=False)
        numeric = np.empty(idx.size)
        for n, j in enumerate(idx):
            old = flat[j]
            flat[j] = old + eps
            up = loss()
            flat[j] = old - eps
            down = loss()
            flat[j] = old
            numeric[n] = (up - down) / (2 * eps)
        errors[name] = _rel_error(analytic.reshape(-1)[idx], numeric)
        checked += idx.size
    return GradcheckReport(errors, eps, checked)


def _pack(states):
    return tuple(states) if len(states) == 2 else states[0]
