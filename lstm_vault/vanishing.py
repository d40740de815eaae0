r"""Why a vanilla RNN's gradient vanishes (or explodes) over time and an LSTM's cell state can carry it.

The experiment behind the "Vanishing gradients" page: one input sequence ``x`` (T, I) runs through a
tanh :class:`~lstm_vault.RNN` and an :class:`~lstm_vault.LSTM` of the same hidden size H, with a loss at
the last step only,

    L = u · h_{T-1},        u a fixed random unit vector (H,), drawn from the seed.

Why this loss: dL/dh_{T-1} = u has norm exactly 1 for both models, so ||dL/dh_t|| *is* the fraction of
the last step's gradient that reaches step t (L = ½||h_{T-1}||² would start from ||h_{T-1}||, run-dependent).

With the loss at T-1 only, backpropagation through time is a linear recursion in the carried gradient::

    RNN:   dL/dh_{t-1} = W_hhᵀ (tanh'(a_t) ⊙ dL/dh_t),   tanh'(a_t) = 1 - h_t²
    LSTM:  dL/dc_{t-1} = f_t ⊙ dL/dc_t + (the path through h_{t-1})
           so along the cell state alone dL/dc_t ∝ Π_{k=t+1}^{T-1} f_k

One RNN step can stretch the gradient by at most σ_max(W_hh) (largest singular value) times max tanh' ≤ 1,
so σ_max < 1 makes it shrink at every step (Pascanu, Mikolov & Bengio 2013's sufficient condition for
vanishing, with γ = 1 for tanh). The spectral radius ρ (largest |eigenvalue|) only sets the long-run rate of
a *linear* RNN; W_hh is not symmetric, σ_max > ρ, and single steps can grow while ρ < 1.

A mean-field decomposition, not a forecast: for a random W_hh each step scales the *squared* norm by
about ρ² · mean(tanh'²), so the norm by ρ · rms(tanh'), rms over units. ``log10_predicted`` multiplies
that over the steps, with tanh' read from the run's own activations, so it explains the measurement
rather than predicting it independently; it assumes a random W_hh and says nothing for a trained one.
The plain mean of tanh' would predict decay where the gradient explodes (saturated units have tanh' near
0, the others near 1). A small error per step compounds over T steps. Measured on the sine preset
(T = 100, seeds 0-9, ρ in {0.5, 0.8, 1, 1.2, 1.5, 2, 3, 4}; ``tests/test_vanishing.py`` repeats a part),
the rule's factor per step against the measured one is off by, median / largest:
H = 16: 3 % / 16 % for ρ ≤ 1, 17 % / 98 % for ρ > 1;  H = 32: 1 % / 16 % and 7 % / 36 %;
H = 64: 1 % / 6 % and 8 % / 19 %;  H = 4: 5 % / 93 % and 26 % / 880 %.
Above ρ = 1 it mostly overstates the growth (82-96 % of those runs).

Log-safe: the gradients come from the library's one backward pass, :meth:`~lstm_vault.Recurrent.backward`
with ``log_safe=True`` (:mod:`lstm_vault.bptt`), so every norm is a base-10 logarithm, known however large
or small it gets. :func:`path_gradients` works for any model (LSTM, GRU, RNN; stacked, bidirectional);
:func:`compare_gradients` compares one-layer, one-direction models, whose ρ(W_hh) and Π f are single numbers.
The RNN's side and the LSTM's side are computed apart (:func:`rnn_side`, :func:`lstm_side`), so a caller can
keep one while the other changes (the page's ρ slider moves only the RNN).

Shapes: T steps (t = 0 .. T-1, loss at T-1), I input features, H hidden units. The page's sentences
about a run are in :mod:`lstm_vault.gradient_readings` and :mod:`lstm_vault.gradient_notes`; the trained
models it can compare are chosen in :mod:`lstm_vault.gradient_models`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .gradient_paths import PathGradients, log10_safe, path_gradients
from .models import LSTM, RNN, Recurrent
from .trace import GateClamp, _freeze

#: the longest sequence and the largest hidden size compared, checked here so that any caller gets the
#: same message (the page's controls stop there too)
COMPARISON_MAX_T = 5000
COMPARISON_MAX_HIDDEN = 256
#: the RNN is run a second time with W_hh × (1 + PERTURBATION): where that moves the gradient at t = 0 by
#: more than REPRODUCIBLE_DECADES (a factor 10**0.01, 2.3 %), rounding differences between machines (BLAS
#: kernels, thread counts, about 1e-16 per operation) move it too: the run is chaotic
PERTURBATION = 1e-14
REPRODUCIBLE_DECADES = 0.01


# ----------------------------------------------------------------------------- models


def spectral_radius(W: np.ndarray) -> float:
    """ρ(W) = max |eigenvalue| of a square matrix."""
    return float(np.max(np.abs(np.linalg.eigvals(np.asarray(W, dtype=np.float64)))))


def largest_singular_value(W: np.ndarray) -> float:
    """σ_max(W) = max ||W v|| over unit vectors v (the spectral norm); σ_max >= ρ, equal for symmetric W."""
    return float(np.linalg.norm(np.asarray(W, dtype=np.float64), ord=2))


def build_models(
    input_size: int, hidden_size: int, seed: int, target_radius: float, forget_bias: float
) -> tuple[RNN, LSTM, float]:
    """A tanh RNN whose W_hh has spectral radius ``target_radius`` and an LSTM of the same size.

    Both start from torch's initialisation with ``seed``. The RNN's W_hh is multiplied by
    k = target_radius / ρ(W_hh). The LSTM keeps torch's weight scale, with its forget-gate bias
    b_if + b_hf set to ``forget_bias``: its long-range path runs through the forget gates, and scaling
    its W_hh as well would mix a second effect (a stronger h -> gates -> c feedback) into the comparison.
    So the RNN gets whatever radius the user picks, the LSTM a stock initialisation. Returns ``rnn, lstm, k``.
    """
    rnn, k = _fresh_rnn(input_size, hidden_size, seed, target_radius)
    return rnn, LSTM(input_size, hidden_size, seed=seed, forget_bias=forget_bias), k


def _fresh_rnn(input_size: int, hidden_size: int, seed: int, target_radius: float) -> tuple[RNN, float]:
    rnn = RNN(input_size, hidden_size, seed=seed)
    W0 = rnn.params["weight_hh_l0"]
    return rnn, rescale_recurrent(rnn, W0, spectral_radius(W0), target_radius)


def rescale_recurrent(rnn: RNN, W0: np.ndarray, rho0: float, target_radius: float) -> float:
    """Set the RNN's W_hh to W0 · k, k = target_radius / rho0 (rho0 = ρ(W0)), and return k.

    Only a degenerate W0 has ρ = 0 (e.g. H = 1 with w = 0): then W_hh = target_radius · identity, k = 1.
    """
    if rho0 > 0:
        k = target_radius / rho0
        rnn.params["weight_hh_l0"] = W0 * k
    else:
        k = 1.0
        rnn.params["weight_hh_l0"] = target_radius * np.eye(W0.shape[0])
    return float(k)


def loss_weights(hidden_size: int, seed: int) -> np.ndarray:
    """u (H,): the fixed random unit vector of L = u · h_{T-1} (its own random stream, not the weights')."""
    u = np.random.default_rng([seed, 2]).standard_normal(hidden_size)
    return u / np.linalg.norm(u)


# ----------------------------------------------------------------------------- checks


def check_sequence(x) -> np.ndarray:
    """``x`` as a (T, I) float64 array, or ValueError with a message for people."""
    try:
        x = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"the input sequence must hold numbers: {e}") from None
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] < 1:
        raise ValueError(f"the input sequence must be (T,) or (T, I), got shape {x.shape}")
    if not 1 <= x.shape[0] <= COMPARISON_MAX_T:
        raise ValueError(f"the sequence length must be in [1, {COMPARISON_MAX_T}], got {x.shape[0]}")
    if not np.all(np.isfinite(x)):
        raise ValueError("the input sequence holds NaN or infinite values")
    return x


def check_number(name: str, value, low: float, high: float) -> float:
    """``value`` as a float in [low, high], or ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number in [{low}, {high}], got {value!r}")
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")
    return float(value)


def check_hidden_size(hidden_size) -> int:
    H = int(check_number("hidden size", hidden_size, 1, COMPARISON_MAX_HIDDEN))
    if hidden_size != H:
        raise ValueError(f"hidden size must be an integer, got {hidden_size!r}")
    return H


def check_seed(seed) -> int:
    return int(check_number("seed", seed, 0, 2**32 - 1))


def trained_copy(model: Recurrent | None, arch: str, I: int) -> Recurrent | None:
    """A trained model for one side, checked and copied to float64 (None stays None): an ``arch`` model
    ("rnn": a tanh RNN, "lstm": an LSTM) of one layer and one direction that reads I features per step."""
    if model is None:
        return None
    if model.arch != arch:
        raise ValueError(f"{arch} must be {'a tanh RNN' if arch == 'rnn' else 'an LSTM'}, got a {model.arch}")
    if model.num_layers != 1 or model.bidirectional:
        raise ValueError(
            f"the gradient comparison needs a one-layer, one-direction model, got {model.num_layers} layer(s)"
            + (", bidirectional" if model.bidirectional else "")
        )
    if model.input_size != I:
        raise ValueError(
            f"the trained {arch.upper()} reads {model.input_size} input feature(s) per step, "
            f"the sequence has {I}"
        )
    return type(model).from_params(
        model.params, dtype=np.float64, input_size=model.input_size, hidden_size=model.hidden_size
    )


# ----------------------------------------------------------------------------- each side


def run_one(model: Recurrent, x: np.ndarray, u: np.ndarray):
    """(PathGradients, the layer trace) of one one-layer model reading x."""
    trace = model.forward(x)[2]
    return path_gradients(model, trace, u), trace.layers[0][0]


def _suffix_sums(logs: np.ndarray) -> np.ndarray:
    """(T, ...) -> (T, ...): out[t] = Σ_{k=t+1}^{T-1} logs[k] (0 at t = T-1), a product's log10."""
    out = np.zeros_like(logs)
    out[:-1] = np.cumsum(logs[:0:-1], axis=0)[::-1]
    return out


def _perturbed(rnn: Recurrent) -> Recurrent:
    """The same RNN with W_hh × (1 + PERTURBATION): a change the size of rounding differences."""
    params = dict(rnn.params, weight_hh_l0=rnn.params["weight_hh_l0"] * (1.0 + PERTURBATION))
    return RNN.from_params(params, dtype=np.float64, input_size=rnn.input_size, hidden_size=rnn.hidden_size)


@dataclass(frozen=True)
class RNNSide:
    """The RNN's half of a comparison (fields as in :class:`VanishingResult`)."""

    grads: PathGradients
    spectral_radius: float
    largest_singular_value: float
    weight_factor: float
    tanh_slope: np.ndarray
    tanh_slope_rms: np.ndarray
    log10_predicted: np.ndarray
    log10_ratio_perturbed: float
    trained: bool

    def __post_init__(self):
        _freeze(self)


@dataclass(frozen=True)
class LSTMSide:
    """The LSTM's half of a comparison (fields as in :class:`VanishingResult`)."""

    grads: PathGradients
    forget_bias: float | None
    forget_mean: np.ndarray
    log10_forget_product: np.ndarray
    log10_forget_product_mean: np.ndarray
    log10_ratio_zero_bias: float | None

    def __post_init__(self):
        _freeze(self)

    @property
    def trained(self) -> bool:
        return self.forget_bias is None


def rnn_side(x, hidden_size: int, seed: int, spectral_radius_target: float, rnn: Recurrent | None = None):
    """The RNN's gradients of L = u · h_{T-1}, its tanh slopes and the mean-field line, for ``x``.

    A fresh RNN (seed, W_hh rescaled to ``spectral_radius_target``) unless ``rnn`` (trained, of
    ``hidden_size`` units) is given. Also runs the same RNN with W_hh × (1 + PERTURBATION) (the chaos check).
    """
    x = check_sequence(x)
    H, seed = check_hidden_size(hidden_size), check_seed(seed)
    rho = check_number("spectral radius", spectral_radius_target, 0.0, 100.0)
    trained = trained_copy(rnn, "rnn", x.shape[1])
    if trained is None:
        model, k = _fresh_rnn(x.shape[1], H, seed, rho)
    else:
        model, k = trained, 1.0
    u = loss_weights(H, seed)
    grads, lt = run_one(model, x, u)
    h = lt.h[:, 0]  # (T, H)
    slopes = 1.0 - h * h  # tanh'(a_t)
    slope_rms = np.sqrt((slopes * slopes).mean(axis=1))
    W_hh = model.params["weight_hh_l0"]
    rho_run = spectral_radius(W_hh)
    return RNNSide(
        grads=grads,
        spectral_radius=rho_run,
        largest_singular_value=largest_singular_value(W_hh),
        weight_factor=k,
        tanh_slope=slopes.mean(axis=1),
        tanh_slope_rms=slope_rms,
        # step t-1 <- t multiplies by about ρ · rms tanh'(a_t)
        log10_predicted=_suffix_sums(log10_safe(rho_run * slope_rms)),
        log10_ratio_perturbed=run_one(_perturbed(model), x, u)[0].log10_ratio,
        trained=trained is not None,
    )


def lstm_side(
    x,
    hidden_size: int,
    seed: int,
    forget_bias: float,
    lstm: Recurrent | None = None,
    zero_bias_log10_ratio: float | None = None,
):
    """The LSTM's gradients of L = u · h_{T-1} and its forget gates' running products, for ``x``.

    A fresh LSTM (seed, forget-gate bias ``forget_bias``) unless ``lstm`` (trained, of ``hidden_size``
    units) is given; for a fresh one also the same LSTM's ratio at t = 0 with forget-gate bias 0
    (``zero_bias_log10_ratio``, when the caller has it already from the same x, size and seed).
    """
    x = check_sequence(x)
    H, seed = check_hidden_size(hidden_size), check_seed(seed)
    fb = check_number("forget-gate bias", forget_bias, -50.0, 50.0)
    trained = trained_copy(lstm, "lstm", x.shape[1])
    model = trained if trained is not None else LSTM(x.shape[1], H, seed=seed, forget_bias=fb)
    u = loss_weights(H, seed)
    grads, lt = run_one(model, x, u)
    f = lt.f[:, 0]  # (T, H)
    zero_bias = None  # what the same fresh LSTM keeps with no push towards f = 1
    if trained is None:
        if fb == 0:
            zero_bias = grads.log10_ratio
        elif zero_bias_log10_ratio is not None:
            zero_bias = float(zero_bias_log10_ratio)
        else:
            unbiased = LSTM(x.shape[1], H, seed=seed, forget_bias=0.0)
            zero_bias = run_one(unbiased, x, u)[0].log10_ratio
    prod = _suffix_sums(log10_safe(f))  # log10 Π_{k=t+1}^{T-1} f_k
    return LSTMSide(
        grads=grads,
        forget_bias=None if trained is not None else fb,
        forget_mean=f.mean(axis=1),
        log10_forget_product=prod,
        log10_forget_product_mean=_log10_unit_mean(prod),
        log10_ratio_zero_bias=zero_bias,
    )


def _log10_unit_mean(logs: np.ndarray) -> np.ndarray:
    """(T, H) log10 values -> (T,) log10 of their mean over units, by log-sum-exp (no underflow)."""
    top = logs.max(axis=1)
    safe_top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(under="ignore"):
        return safe_top + log10_safe(np.power(10.0, logs - safe_top[:, None]).mean(axis=1))


#: the experiment of :func:`forget_clamp`: every forget gate of the (one-layer) LSTM held at 1, at every step
FORGET_CLAMP = GateClamp("f", 1.0)


@dataclass(frozen=True)
class ForgetClamp:
    """The LSTM of a comparison run again with every forget gate clamped to 1 (:data:`FORGET_CLAMP`).

    log10_forget_product: (T,) log10 of the mean over units of Π_{k=t+1}^{T-1} f_k, read from the clamped
                          run's own forget gates: 0 at every t (the product is exactly 1)
    log10_dc:             (T,) log10 ||dL/dc_t|| from the library's backward pass of the clamped run
                          (:meth:`~lstm_vault.Recurrent.backward`, log-safe), L = u · h_{T-1} as ever
    mean_abs_c_last:      mean over units of |c_{T-1}| in the clamped run
    tanh_slope_last:      mean over units of tanh'(c_{T-1}) = 1 - tanh²(c_{T-1}): the loss reaches c_{T-1}
                          only through h_{T-1} = o ⊙ tanh(c_{T-1}), times o ⊙ tanh'(c_{T-1})
    """

    log10_forget_product: np.ndarray
    log10_dc: np.ndarray
    mean_abs_c_last: float
    tanh_slope_last: float

    def __post_init__(self):
        _freeze(self)

    @property
    def T(self) -> int:
        return len(self.log10_dc)


def forget_clamp(x, hidden_size: int, seed: int, lstm: Recurrent | None = None):
    """:class:`ForgetClamp` of the LSTM :func:`lstm_side` runs (fresh of ``seed``, or ``lstm``), with f = 1.

    The forget-gate bias is not an argument: it enters only f, which the clamp replaces.

    With f_t = 1 the cell path hands dL/dc_t back to c_{t-1} unchanged; whatever ||dL/dc_t|| still does
    comes through h: c_t makes h_t = o_t ⊙ tanh(c_t), which feeds the next step's gates (at T-1, the loss).
    """
    x = check_sequence(x)
    H, seed = check_hidden_size(hidden_size), check_seed(seed)
    trained = trained_copy(lstm, "lstm", x.shape[1])
    model = trained if trained is not None else LSTM(x.shape[1], H, seed=seed)
    trace = model.forward(x, clamps=[FORGET_CLAMP])[2]
    grads = path_gradients(model, trace, loss_weights(H, seed))
    lt = trace.layers[0][0]
    f, c_last = lt.f[:, 0], lt.c[-1, 0]  # (T, H) as the clamped steps computed them; (H,)
    return ForgetClamp(
        log10_forget_product=_log10_unit_mean(_suffix_sums(log10_safe(f))),
        log10_dc=grads.log10_dc,
        mean_abs_c_last=float(np.abs(c_last).mean()),
        tanh_slope_last=float((1.0 - np.tanh(c_last) ** 2).mean()),
    )


# ----------------------------------------------------------------------------- the experiment


@dataclass(frozen=True)
class VanishingResult:
    """Everything the page shows about one run (arrays read-only; see the module docstring).

    x:                      (T, I)  the input sequence
    hidden_size:            H
    seed:                   seed of both models' weights and of u
    loss_weights:           (H,)    u, the unit vector of L = u · h_{T-1}
    spectral_radius:        ρ(W_hh) of the RNN as run (largest |eigenvalue|)
    largest_singular_value: σ_max(W_hh) of the RNN as run (the most one step can stretch a vector)
    weight_factor:          k: a freshly built RNN's W_hh was multiplied by k (a trained one is used as-is)
    forget_bias:            the LSTM's b_if + b_hf if set here, None for a trained model's own biases
    rnn, lstm:              :class:`PathGradients`
    rnn_tanh_slope:         (T,)    mean over units of tanh'(a_t) = 1 - h_t² (RNN)
    rnn_tanh_slope_rms:     (T,)    root mean square over units of tanh'(a_t)
    log10_predicted:        (T,)    log10 Π_{k=t+1}^{T-1} ρ · rms(1 - h_k²): the mean-field decomposition
    forget_mean:            (T,)    mean over units of the LSTM's forget gate f_t
    log10_forget_product:   (T, H)  log10 Π_{k=t+1}^{T-1} f_k per unit (0 at t = T-1: the empty product)
    log10_forget_product_mean: (T,) log10 of the mean over units of that product
    log10_ratio_perturbed:  the RNN's log10 ratio at t = 0 again, with W_hh × (1 + PERTURBATION)
    lstm_log10_ratio_zero_bias: the LSTM's log10 ratio at t = 0 with forget-gate bias 0 (fresh LSTM only)
    trained:                the sides that came from a trained model: (), ("rnn",), ("lstm",), ("rnn", "lstm")
    """

    x: np.ndarray
    hidden_size: int
    seed: int
    loss_weights: np.ndarray
    spectral_radius: float
    largest_singular_value: float
    weight_factor: float
    forget_bias: float | None
    rnn: PathGradients
    lstm: PathGradients
    rnn_tanh_slope: np.ndarray
    rnn_tanh_slope_rms: np.ndarray
    log10_predicted: np.ndarray
    forget_mean: np.ndarray
    log10_forget_product: np.ndarray
    log10_forget_product_mean: np.ndarray
    log10_ratio_perturbed: float
    lstm_log10_ratio_zero_bias: float | None = None
    trained: tuple[str, ...] = ()

    def __post_init__(self):
        _freeze(self)

    @classmethod
    def of_sides(cls, x, hidden_size: int, seed: int, rnn: RNNSide, lstm: LSTMSide) -> VanishingResult:
        """One result from the two halves (computed for the same x, hidden size and seed)."""
        x = check_sequence(x)
        return cls(
            x=x,
            hidden_size=hidden_size,
            seed=seed,
            loss_weights=loss_weights(hidden_size, seed),
            spectral_radius=rnn.spectral_radius,
            largest_singular_value=rnn.largest_singular_value,
            weight_factor=rnn.weight_factor,
            forget_bias=lstm.forget_bias,
            rnn=rnn.grads,
            lstm=lstm.grads,
            rnn_tanh_slope=rnn.tanh_slope,
            rnn_tanh_slope_rms=rnn.tanh_slope_rms,
            log10_predicted=rnn.log10_predicted,
            forget_mean=lstm.forget_mean,
            log10_forget_product=lstm.log10_forget_product,
            log10_forget_product_mean=lstm.log10_forget_product_mean,
            log10_ratio_perturbed=rnn.log10_ratio_perturbed,
            lstm_log10_ratio_zero_bias=lstm.log10_ratio_zero_bias,
            trained=tuple(arch for arch, side in (("rnn", rnn), ("lstm", lstm)) if side.trained),
        )

    @property
    def T(self) -> int:
        return self.x.shape[0]

    @property
    def mean_tanh_slope(self) -> float:
        """mean(1 - h_t²) averaged over t = 1 .. T-1, the steps the RNN's gradient passes back through."""
        return float(self.rnn_tanh_slope[1:].mean()) if self.T > 1 else math.nan

    @property
    def rms_tanh_slope(self) -> float:
        """Geometric mean over t = 1 .. T-1 of rms(1 - h_t²), the typical tanh' of the prediction."""
        with np.errstate(divide="ignore"):
            return float(10.0 ** log10_safe(self.rnn_tanh_slope_rms[1:]).mean()) if self.T > 1 else math.nan

    @property
    def predicted_step_factor(self) -> float:
        """ρ × rms tanh': the mean-field factor per step back (< 1 shrinks, > 1 grows)."""
        return self.spectral_radius * self.rms_tanh_slope

    @property
    def prediction_applies(self) -> bool:
        """The mean-field rule assumes a random W_hh: not for a trained RNN."""
        return "rnn" not in self.trained

    @property
    def rnn_reproducible(self) -> bool:
        """False where a change of PERTURBATION in W_hh moves the RNN's ratio at t = 0 (a chaotic run)."""
        a, b = self.rnn.log10_ratio, self.log10_ratio_perturbed
        return a == b or abs(a - b) <= REPRODUCIBLE_DECADES

    @property
    def log10_lstm_over_rnn(self) -> float:
        """log10 of (LSTM's gradient at t = 0) / (RNN's gradient at t = 0); both start from 1 at T-1."""
        return self.lstm.log10_ratio - self.rnn.log10_ratio


def compared_hidden_size(
    hidden_size: int, rnn: Recurrent | None = None, lstm: Recurrent | None = None
) -> int:
    """The hidden size of a comparison: a trained model's (both, if both are trained, must agree), else
    ``hidden_size``."""
    if rnn is not None and lstm is not None and rnn.hidden_size != lstm.hidden_size:
        raise ValueError(
            f"the trained RNN has {rnn.hidden_size} hidden units and the trained LSTM {lstm.hidden_size}: "
            "the comparison needs the same hidden size"
        )
    return next((m.hidden_size for m in (rnn, lstm) if m is not None), hidden_size)


def compare_gradients(
    x,
    hidden_size: int = 16,
    seed: int = 0,
    spectral_radius_target: float = 1.0,
    forget_bias: float = 3.0,
    rnn: Recurrent | None = None,
    lstm: Recurrent | None = None,
) -> VanishingResult:
    """Run ``x`` through a tanh RNN and an LSTM, loss u · h_{T-1}, and measure the gradient at every step.

    x: (T,) or (T, I);  hidden_size H, seed, spectral_radius_target (ρ of the RNN's W_hh) and
    forget_bias (the LSTM's) build fresh models with :func:`build_models`.
    rnn / lstm: a trained one-layer model to use as-is for that side instead (its sizes win; a fresh
    other side is built to match). Both may be trained: then they must have the same hidden size.
    Raises ValueError with a readable message for bad values.
    """
    x = check_sequence(x)
    for arch, model in (("rnn", rnn), ("lstm", lstm)):
        trained_copy(model, arch, x.shape[1])  # its own message first (a wrong architecture, layers, inputs)
    H = compared_hidden_size(hidden_size, rnn, lstm)
    seed = check_seed(seed)
    return VanishingResult.of_sides(
        x,
        check_hidden_size(H),
        seed,
        rnn_side(x, H, seed, spectral_radius_target, rnn),
        lstm_side(x, H, seed, forget_bias, lstm),
    )
