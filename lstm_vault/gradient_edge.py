"""Where does a tanh RNN's gradient turn from vanishing to exploding? The same W_hh swept over ρ.

For one setting of the "Vanishing gradients" page (input x, hidden size H, seed) the fresh RNN of
:func:`lstm_vault.vanishing.compare_gradients` is rescaled to every spectral radius of ``radii`` and its
gradient of L = u · h_{T-1} measured, log-safe, as there. With tanh the edge is not at ρ = 1: each step
back also multiplies by tanh' ≤ 1, and the measured factor per step crosses 1 roughly where the mean-field
factor ρ · rms(tanh') does. Only the RNN is run (the LSTM does not depend on ρ).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .models import RNN
from .trace import _freeze
from .vanishing import (
    check_hidden_size,
    check_seed,
    check_sequence,
    largest_singular_value,
    loss_weights,
    rescale_recurrent,
    run_one,
    spectral_radius,
)

#: the spectral radii of :func:`edge_sweep` (the page's slider goes from 0 to 4 in steps of 0.05)
EDGE_RADII = tuple(round(0.5 + 0.05 * k, 2) for k in range(71))  # 0.5, 0.55, ..., 4.0
#: T · H² above which a sweep (len(EDGE_RADII) runs of the RNN) is slow enough to wait for a click
SWEEP_BUDGET = 4_000_000


def sweep_is_quick(T: int, hidden_size: int) -> bool:
    """Whether :func:`edge_sweep` over T steps and H units is quick enough to run without being asked."""
    return T * hidden_size * hidden_size <= SWEEP_BUDGET


@dataclass(frozen=True)
class EdgeSweep:
    """The RNN of one setting (input, H, seed) at every spectral radius of ``radii``: where is the edge?

    radii:            (N,) ρ of W_hh, the same fresh W_hh rescaled
    log10_measured:   (N,) log10 of the measured factor per step back, the (T-1)-th root of the ratio at t = 0
    predicted:        (N,) ρ · rms tanh', the mean-field factor per step (from each run's own tanh')
    singular_over_radius: σ_max / ρ of that W_hh (rescaling changes both alike)
    """

    radii: np.ndarray
    log10_measured: np.ndarray
    predicted: np.ndarray
    singular_over_radius: float

    def __post_init__(self):
        _freeze(self)

    @staticmethod
    def _edges(radii: np.ndarray, above_one: np.ndarray, below_one: np.ndarray) -> tuple:
        """(largest ρ up to which every factor is below 1, smallest ρ from which every one is above 1)."""
        first_not_below = int(np.argmin(below_one)) if not below_one.all() else len(radii)
        below = float(radii[first_not_below - 1]) if first_not_below > 0 else None
        last_not_above = len(radii) - 1 - int(np.argmin(above_one[::-1])) if not above_one.all() else -1
        above = float(radii[last_not_above + 1]) if last_not_above + 1 < len(radii) else None
        return below, above

    def measured_edges(self) -> tuple[float | None, float | None]:
        """(ρ up to which the gradient shrank per step at every ρ, ρ from which it grew at every ρ).

        None where there is no such ρ in ``radii``.
        """
        m = np.nan_to_num(self.log10_measured, nan=-np.inf)
        return self._edges(self.radii, m > 0, m < 0)

    def predicted_edges(self) -> tuple[float | None, float | None]:
        """The same edges for the mean-field factor ρ · rms tanh'."""
        return self._edges(self.radii, self.predicted > 1, self.predicted < 1)


def edge_sweep(x, hidden_size: int = 16, seed: int = 0, radii=EDGE_RADII) -> EdgeSweep:
    """The RNN of :func:`compare_gradients` (fresh, same seed) at every ρ in ``radii``, loss u · h_{T-1}."""
    x = check_sequence(x)
    H, seed = check_hidden_size(hidden_size), check_seed(seed)
    radii = np.asarray(radii, dtype=np.float64)
    u = loss_weights(H, seed)
    rnn = RNN(x.shape[1], H, seed=seed)  # the fresh RNN of compare_gradients, rescaled the same way
    W0 = rnn.params["weight_hh_l0"]
    rho0 = spectral_radius(W0)
    measured, predicted = np.empty(len(radii)), np.empty(len(radii))
    for n, rho in enumerate(radii):
        rescale_recurrent(rnn, W0, rho0, float(rho))
        grads, lt = run_one(rnn, x, u)
        measured[n] = grads.log10_step_factor
        slopes = 1.0 - lt.h[1:, 0] ** 2  # tanh'(a_t) at the steps passed back through, (T-1, H)
        rms = np.sqrt((slopes**2).mean(axis=1))  # (T-1,) over units
        with np.errstate(divide="ignore"):
            predicted[n] = rho * 10.0 ** np.log10(rms).mean()
    sigma_over_rho = largest_singular_value(W0) / rho0 if rho0 > 0 else 1.0
    return EdgeSweep(radii, measured, predicted, sigma_over_rho)
