r"""Why a vanilla RNN's gradient vanishes (or explodes) over time and an LSTM's cell state carries it.

The experiment behind the "Vanishing gradients" page: one input sequence ``x`` (T, I) runs through a
tanh :class:`~lstm_vault.RNN` and an :class:`~lstm_vault.LSTM` of the same hidden size H, with a loss at
the last step only,

    L = u · h_{T-1},        u a fixed random unit vector (H,), drawn from the seed.

Why this loss: dL/dh_{T-1} = u has norm exactly 1 for both models, so ||dL/dh_t|| *is* the fraction of
the last step's gradient that reaches step t. With L = ½||h_{T-1}||² the start would be ||h_{T-1}||,
which depends on the run (it is 0 for an all-zero input and zero biases) and blurs the decay we want to see.

With the loss at T-1 only, backpropagation through time is a linear recursion in the carried gradient::

    RNN:   dL/dh_{t-1} = W_hhᵀ (tanh'(a_t) ⊙ dL/dh_t),   tanh'(a_t) = 1 - h_t²
           so ||dL/dh_t|| ≈ Π_{k=t+1}^{T-1} ρ(W_hh) · rms(1 - h_k²)        (ρ: spectral radius)
    LSTM:  dL/dc_{t-1} = f_t ⊙ dL/dc_t + (the path through h_{t-1})
           so along the cell state alone dL/dc_t ∝ Π_{k=t+1}^{T-1} f_k

Why the root mean square of tanh' over units and not its plain mean: for a random W_hh each step scales
the *squared* norm by about ρ² · mean(tanh'²) (mean-field theory of random networks), so the norm by
ρ · rms(tanh'). The two agree while h stays small (ρ < 1); once units saturate (ρ > 1) tanh' is near 0
for some units and near 1 for others, the plain mean predicts decay and the gradient in fact explodes.
For H >= 16 the rms prediction of the average factor per step is within about 10% of the measured one;
for H <= 4 it is rougher (few units, W_hh far from a "typical" random matrix).

Log-safe: the library's :meth:`~lstm_vault.Recurrent.backward` works in plain float64, which overflows
past 1e308 (an exploding RNN at T = 500) and underflows below 1e-308. Here the same step functions
(:func:`~lstm_vault.cells.rnn_cell_backward`, :func:`~lstm_vault.cells.lstm_cell_backward`) are driven
with the carried gradient stored as a unit vector times 10**log10_scale, renormalised after every
step, so every norm is known as a base-10 logarithm however large or small it gets. The tests check
these norms against ``backward``'s ``dh`` and ``dc`` wherever float64 can hold them.

Shapes: T steps (t = 0 .. T-1, loss at T-1), I input features, H hidden units. The page's sentences
about a run are in :mod:`lstm_vault.gradient_readings`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import cells
from .explain import GRADIENT_EQUATIONS
from .models import LSTM, RNN, Recurrent
from .trace import _freeze

#: limits of the page's sliders, checked here so that any caller gets the same message
MAX_T = 5000
MAX_HIDDEN = 256
#: norms outside [10**DISPLAY_FLOOR, 10**DISPLAY_CEIL] are drawn at the limit (a log axis cannot show 0)
DISPLAY_FLOOR = -300
DISPLAY_CEIL = 300


#: the page's equations, kept with the others in explain.py
EQUATIONS = GRADIENT_EQUATIONS


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

    def dx(self) -> np.ndarray:
        """(T, I) dL/dx_t as plain floats; magnitudes beyond float64 become ±inf or 0 (use log10_dx)."""
        with np.errstate(over="ignore", under="ignore"):
            return self.sign_dx * np.power(10.0, self.log10_dx)


@dataclass(frozen=True)
class VanishingResult:
    """Everything the page shows about one run (arrays read-only; see the module docstring).

    x:                      (T, I)  the input sequence
    hidden_size:            H
    seed:                   seed of both models' weights and of u
    loss_weights:           (H,)    u, the unit vector of L = u · h_{T-1}
    spectral_radius:        ρ(W_hh) of the RNN as run
    weight_factor:          k: a freshly built RNN's W_hh was multiplied by k (a trained one is used as-is)
    forget_bias:            the LSTM's b_if + b_hf if set here, None for a trained model's own biases
    rnn, lstm:              :class:`PathGradients`
    rnn_tanh_slope:         (T,)    mean over units of tanh'(a_t) = 1 - h_t² (RNN)
    rnn_tanh_slope_rms:     (T,)    root mean square over units of tanh'(a_t)
    log10_predicted:        (T,)    log10 Π_{k=t+1}^{T-1} ρ · rms(1 - h_k²): the RNN's rough decay
    forget_mean:            (T,)    mean over units of the LSTM's forget gate f_t
    log10_forget_product:   (T, H)  log10 Π_{k=t+1}^{T-1} f_k per unit (0 at t = T-1: the empty product)
    log10_forget_product_mean: (T,) log10 of the mean over units of that product
    trained:                which side, if any, came from a trained model ("rnn", "lstm" or "")
    """

    x: np.ndarray
    hidden_size: int
    seed: int
    loss_weights: np.ndarray
    spectral_radius: float
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
    trained: str = ""

    def __post_init__(self):
        _freeze(self)

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
            return float(10.0 ** _log10(self.rnn_tanh_slope_rms[1:]).mean()) if self.T > 1 else math.nan

    @property
    def predicted_step_factor(self) -> float:
        """ρ × rms tanh': the RNN's predicted shrink (< 1) or growth (> 1) per step back."""
        return self.spectral_radius * self.rms_tanh_slope

    @property
    def log10_lstm_over_rnn(self) -> float:
        """log10 of (LSTM's gradient at t = 0) / (RNN's gradient at t = 0); both start from 1 at T-1."""
        return self.lstm.log10_ratio - self.rnn.log10_ratio


# ----------------------------------------------------------------------------- models


def spectral_radius(W: np.ndarray) -> float:
    """ρ(W) = max |eigenvalue| of a square matrix."""
    return float(np.max(np.abs(np.linalg.eigvals(np.asarray(W, dtype=np.float64)))))


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
    rnn = RNN(input_size, hidden_size, seed=seed)
    lstm = LSTM(input_size, hidden_size, seed=seed, forget_bias=forget_bias)
    rho0 = spectral_radius(rnn.params["weight_hh_l0"])
    if rho0 > 0:
        k = target_radius / rho0
        rnn.params["weight_hh_l0"] = rnn.params["weight_hh_l0"] * k
    else:  # only a degenerate draw has ρ = 0 (e.g. H = 1 with w = 0): use target_radius · identity instead
        k = 1.0
        rnn.params["weight_hh_l0"] = target_radius * np.eye(hidden_size)
    return rnn, lstm, float(k)


def loss_weights(hidden_size: int, seed: int) -> np.ndarray:
    """u (H,): the fixed random unit vector of L = u · h_{T-1} (its own random stream, not the weights')."""
    u = np.random.default_rng([seed, 2]).standard_normal(hidden_size)
    return u / np.linalg.norm(u)


def _as_float64(model: Recurrent) -> Recurrent:
    if model.num_layers != 1 or model.bidirectional:
        raise ValueError(
            f"the gradient comparison needs a one-layer, one-direction model, got {model.num_layers} layer(s)"
            + (", bidirectional" if model.bidirectional else "")
        )
    return type(model).from_params(
        model.params, dtype=np.float64, input_size=model.input_size, hidden_size=model.hidden_size
    )


# ----------------------------------------------------------------------------- log-safe BPTT


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


# ----------------------------------------------------------------------------- the experiment


def _check_sequence(x) -> np.ndarray:
    try:
        x = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"the input sequence must hold numbers: {e}") from None
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] < 1:
        raise ValueError(f"the input sequence must be (T,) or (T, I), got shape {x.shape}")
    if not 1 <= x.shape[0] <= MAX_T:
        raise ValueError(f"the sequence length must be in [1, {MAX_T}], got {x.shape[0]}")
    if not np.all(np.isfinite(x)):
        raise ValueError("the input sequence holds NaN or infinite values")
    return x


def _check_number(name: str, value, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number in [{low}, {high}], got {value!r}")
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")
    return float(value)


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
    rnn / lstm: a trained one-layer model to use as-is for that side instead (its sizes win; the
    other side is built to match). Raises ValueError with a readable message for bad values.
    """
    x = _check_sequence(x)
    T, I = x.shape
    if rnn is not None and rnn.arch != "rnn":
        raise ValueError(f"rnn must be a tanh RNN, got a {rnn.arch}")
    if lstm is not None and lstm.arch != "lstm":
        raise ValueError(f"lstm must be an LSTM, got a {lstm.arch}")
    if rnn is not None and lstm is not None:
        raise ValueError("give a trained model for one side only; the other is built to match it")
    trained_model = rnn if rnn is not None else lstm
    if trained_model is not None:
        trained_model = _as_float64(trained_model)
        hidden_size = trained_model.hidden_size
        if trained_model.input_size != I:
            raise ValueError(
                f"the trained {trained_model.arch.upper()} reads {trained_model.input_size} input feature(s) "
                f"per step, the sequence has {I}"
            )
    H = int(_check_number("hidden size", hidden_size, 1, MAX_HIDDEN))
    if hidden_size != H:
        raise ValueError(f"hidden size must be an integer, got {hidden_size!r}")
    seed = int(_check_number("seed", seed, 0, 2**32 - 1))
    rho = _check_number("spectral radius", spectral_radius_target, 0.0, 100.0)
    fb = _check_number("forget-gate bias", forget_bias, -50.0, 50.0)

    fresh_rnn, fresh_lstm, k = build_models(I, H, seed, rho, fb)
    if rnn is not None:  # the trained RNN's own W_hh sets ρ
        fresh_rnn, k = trained_model, 1.0
    elif lstm is not None:
        fresh_lstm, fb = trained_model, None
    u = loss_weights(H, seed)

    _, _, rnn_trace = fresh_rnn.forward(x)
    _, _, lstm_trace = fresh_lstm.forward(x)
    rnn_grads = log_safe_bptt(fresh_rnn, rnn_trace, u)
    lstm_grads = log_safe_bptt(fresh_lstm, lstm_trace, u)

    h = rnn_trace.layers[0][0].h[:, 0]  # (T, H)
    slopes = 1.0 - h * h  # (T, H) tanh'(a_t)
    slope, slope_rms = slopes.mean(axis=1), np.sqrt((slopes * slopes).mean(axis=1))
    rho_run = spectral_radius(fresh_rnn.params["weight_hh_l0"])
    # step t-1 <- t multiplies by about ρ · rms tanh'(a_t): suffix sums of log10 over k = t+1 .. T-1
    step_logs = _log10(rho_run * slope_rms)
    predicted = np.zeros(T)
    predicted[:-1] = np.cumsum(step_logs[:0:-1])[::-1]

    f = lstm_trace.layers[0][0].f[:, 0]  # (T, H)
    log_f = _log10(f)
    prod = np.zeros((T, H))
    prod[:-1] = np.cumsum(log_f[:0:-1], axis=0)[::-1]  # log10 Π_{k=t+1}^{T-1} f_k
    # mean over units of the product, computed in log space (log-sum-exp) so it cannot underflow
    top = prod.max(axis=1)
    safe_top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(under="ignore"):
        mean_prod = safe_top + _log10(np.power(10.0, prod - safe_top[:, None]).mean(axis=1))

    return VanishingResult(
        x=x,
        hidden_size=H,
        seed=seed,
        loss_weights=u,
        spectral_radius=rho_run,
        weight_factor=k,
        forget_bias=fb,
        rnn=rnn_grads,
        lstm=lstm_grads,
        rnn_tanh_slope=slope,
        rnn_tanh_slope_rms=slope_rms,
        log10_predicted=predicted,
        forget_mean=f.mean(axis=1),
        log10_forget_product=prod,
        log10_forget_product_mean=mean_prod,
        trained="" if trained_model is None else trained_model.arch,
    )


# ----------------------------------------------------------------------------- display helpers


def for_log_axis(log10_values, floor: float = DISPLAY_FLOOR, ceil: float = DISPLAY_CEIL):
    """Values for a log axis: 10**log10, clipped to [10**floor, 10**ceil].

    Returns ``values, clipped`` where ``clipped`` marks the entries drawn at a limit (including exact
    zeros, log10 = -inf, which no log axis can show).
    """
    logs = np.asarray(log10_values, dtype=np.float64)
    clipped = ~((logs >= floor) & (logs <= ceil))
    return np.power(10.0, np.clip(np.nan_to_num(logs, nan=floor), floor, ceil)), clipped


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(exponent: int) -> str:
    """10 to an integer power as a reader writes it: "10⁻³⁷", "10⁴⁰⁰"."""
    return "10" + str(int(exponent)).translate(_SUPERSCRIPT)


def format_log10(log10_value: float, digits: int = 2) -> str:
    """10**log10_value to ``digits`` significant digits, for people: plain from 0.001 to under a million
    ("0.0042", "1.0", "7,500", "240,000"), else "1.4 × 10⁻³⁷" (also far outside float64: "3.2 × 10⁻⁴¹³").
    "0" for -inf, "∞" for +inf, "undefined" for nan."""
    v = float(log10_value)
    if math.isnan(v):
        return "undefined"
    if v == -math.inf:
        return "0"
    if v == math.inf:
        return "∞"
    if -3 <= v < 6:
        value = float(f"{10.0**v:.{digits}g}")  # rounded first, so 9.97 is 10 and takes the integer branch
        return f"{value:,.0f}" if value >= 10 else f"{value:#.{digits}g}"  # '#' keeps "1.0", "0.50"
    e = math.floor(v)
    m = round(10.0 ** (v - e), digits - 1)
    if m >= 10.0:
        m, e = m / 10.0, e + 1
    return f"{m:.{digits - 1}f} × {power_of_ten(e)}"


def steps_text(n: int) -> str:
    """ "1 step", "99 steps"."""
    return f"{n} step" if n == 1 else f"{n} steps"
