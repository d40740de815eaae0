"""Anomaly detection with any forecaster: predictions in, flagged steps out.

A forecaster that has learnt a series predicts each next value; where its error is unusually large,
something the series normally does not do happened there. Nothing here knows what made the
predictions (an LSTM, or the two baselines below), so a page can put a trained model and a naive
forecast side by side on the same series::

    pred = persistence(series)                       # or a trained model's one-step forecasts
    err = prediction_error(pred, series)             # (T,), NaN where there is no prediction
    flags = flag(err, robust_threshold(err, k=6))    # indices t with err_t > threshold

Planted anomalies let a student see which kinds a model catches (:func:`inject`):

* spike: one step raised by ``size`` standard deviations of the series;
* level shift: every step from ``at`` on raised by ``size`` standard deviations;
* dropout: ``length`` steps from ``at`` set to the series' minimum (a sensor stuck at its floor; the
  minimum rather than 0 because 0 can sit inside a series' normal range, or outside all of it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KINDS = ("spike", "level_shift", "dropout")
DEFAULT_K = 6.0  # the threshold slider starts at this many robust standard deviations above the median
WITHIN = 3  # an anomaly is caught when a flag falls on one of its first WITHIN steps


def _series(x, name: str = "series") -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be one value per step, (T,) or (T, 1), got shape {arr.shape}")
    return arr


def persistence(series) -> np.ndarray:
    """(T,) the naive forecast x̂_t = x_{t-1}; NaN at t = 0, where there is nothing to repeat."""
    x = _series(series)
    pred = np.full(x.shape, np.nan)
    pred[1:] = x[:-1]
    return pred


def seasonal_naive(series, period: int) -> np.ndarray:
    """(T,) the forecast x̂_t = x_{t - period} (last season's value); NaN for the first ``period`` steps."""
    x = _series(series)
    if isinstance(period, bool) or not isinstance(period, (int, np.integer)) or not 1 <= period < x.size:
        raise ValueError(f"period must be an integer in [1, {x.size - 1}], got {period!r}")
    pred = np.full(x.shape, np.nan)
    pred[period:] = x[:-period]
    return pred


def prediction_error(predictions, targets) -> np.ndarray:
    """(T,) |prediction - target| per step (the mean over features for (T, F) arrays).

    A NaN prediction (a step the forecaster cannot predict, such as the first) gives a NaN error, which
    :func:`flag` never flags and :func:`robust_threshold` ignores.
    """
    p, y = np.asarray(predictions, dtype=np.float64), np.asarray(targets, dtype=np.float64)
    if p.shape != y.shape:
        raise ValueError(f"predictions {p.shape} and targets {y.shape} must have the same shape")
    if p.ndim not in (1, 2) or p.size == 0:
        raise ValueError(f"predictions must be (T,) or (T, F), got shape {p.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError("targets must be finite")
    err = np.abs(p - y)
    return err if err.ndim == 1 else err.mean(axis=1)


MAD_TO_SD = 1.4826  # 1.4826 · MAD estimates the standard deviation of normally distributed errors


def robust_scale(errors) -> tuple[float, float]:
    """(median, 1.4826 · MAD) of the finite errors: the typical error and a robust standard deviation,
    neither moved much by a few huge errors (the anomalies themselves)."""
    e = np.asarray(errors, dtype=np.float64)
    e = e[np.isfinite(e)]
    if e.size == 0:
        raise ValueError("no finite errors to set a threshold from")
    med = float(np.median(e))
    return med, MAD_TO_SD * float(np.median(np.abs(e - med)))


def robust_threshold(errors, k: float = 6.0) -> float:
    """median + k · 1.4826 · MAD of the finite errors: k robust standard deviations above the typical
    error, unmoved by the anomalies themselves (a starting value for the slider a user moves)."""
    med, sd = robust_scale(errors)
    return med + float(k) * sd


def robust_k(errors, threshold: float) -> float:
    """The k at which :func:`robust_threshold` gives ``threshold``: (threshold - median) / (1.4826 · MAD).

    How a threshold set on one forecaster's errors carries over to another's (the same k of its own
    errors). ValueError when the errors have no spread (MAD 0), where any k gives the same threshold.
    """
    med, sd = robust_scale(errors)
    if not sd > 0:
        raise ValueError(
            "the errors have no spread (their MAD is 0): a threshold cannot be put in robust units"
        )
    return (float(threshold) - med) / sd


def flag(errors, threshold: float) -> np.ndarray:
    """Indices t (ascending) where errors[t] > threshold; NaN errors are never flagged."""
    e = np.asarray(errors, dtype=np.float64)
    if e.ndim != 1:
        raise ValueError(f"errors must be (T,), got shape {e.shape}")
    if not np.isfinite(threshold):
        raise ValueError(f"threshold must be a finite number, got {threshold}")
    with np.errstate(invalid="ignore"):
        return np.flatnonzero(e > threshold)


@dataclass(frozen=True)
class Anomaly:
    """One planted anomaly: ``kind`` over steps ``start <= t < stop`` (a spike is one step; a level shift
    runs to the end of the series); size: standard deviations (spike, shift) or None (dropout)."""

    kind: str
    start: int
    stop: int
    size: float | None


def inject(
    series, kind: str, at: int | None = None, size: float = 5.0, rng=None, length: int = 10, scale=None
):
    """``(new series (T,), Anomaly)``: a copy of ``series`` with one anomaly planted.

    kind: "spike", "level_shift" or "dropout" (module docstring);  at: the first step, or None to draw
    it with ``rng`` (a numpy Generator) uniformly from the middle 80% of the series;  size: the spike's
    height or the shift, in standard deviations of the series (negative goes down), or in units of
    ``scale`` when given (``scale=1.0``: in the series' own units);  length: the dropout's number of
    steps (cut at the end of the series).
    """
    x = _series(series)
    if not np.all(np.isfinite(x)):
        raise ValueError("the series must be finite")
    T = x.size
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if at is None:
        if not isinstance(rng, np.random.Generator):
            raise ValueError("give the step `at`, or a numpy Generator `rng` to draw it")
        at = int(rng.integers(T // 10, max(T - T // 10, T // 10 + 1)))
    if isinstance(at, bool) or not isinstance(at, (int, np.integer)) or not 0 <= at < T:
        raise ValueError(f"at must be a step in [0, {T - 1}], got {at!r}")
    at = int(at)
    out = x.copy()
    if scale is not None and not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number, got {scale}")
    sd = float(x.std()) if scale is None else float(scale)
    if kind == "dropout":
        if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 1:
            raise ValueError(f"length must be an integer >= 1, got {length!r}")
        stop = min(at + int(length), T)
        out[at:stop] = x.min()
        return out, Anomaly(kind, at, stop, None)
    if not np.isfinite(size):
        raise ValueError(f"size must be a finite number of standard deviations, got {size}")
    stop = at + 1 if kind == "spike" else T
    out[at:stop] += float(size) * sd
    return out, Anomaly(kind, at, stop, float(size))


def caught(flags, anomaly: Anomaly, within: int = WITHIN) -> bool:
    """Whether a flag falls on the anomaly's first ``within`` steps (where a forecaster first meets it)."""
    f = np.asarray(flags)
    end = min(anomaly.start + within, anomaly.stop)
    return bool(np.any((f >= anomaly.start) & (f < end)))


# ------------------------------------------------------------------------------------------------
# a trained forecaster over a whole series, and which planted anomalies each forecaster catches


@dataclass(frozen=True)
class Forecast:
    """A windowed model's one-step forecast of every step of a series it can reach.

    pred:   (T,)   the forecast of values[t] from the window values[t-L : t]; NaN for t < L
    state:  (T, H) the model's memory after reading that window, the window's last step: the top
            layer's cell state c for an LSTM, its hidden state h for a GRU or RNN; NaN for t < L
    state_name: "c" or "h";  length: L, the window the model was trained on
    """

    pred: np.ndarray
    state: np.ndarray
    state_name: str
    length: int


def series_model_problem(saved) -> str | None:
    """Why ``saved`` (a ``modelfile.SavedModel``) cannot forecast a series one step ahead, or None if it can:
    it must read one number per step, give one back, and name the standardisation of a series task."""
    from .tasks.data import SERIES

    encoding = saved.meta.get("encoding") or {}
    if encoding.get("type") != "real" or encoding.get("series") not in SERIES:
        task = saved.meta.get("task") or "no task"
        return f"it was trained on {task!r}, not on a shipped series ({', '.join(SERIES)})"
    if saved.rnn.input_size != 1 or saved.readout_weight.shape[0] != 1:
        return "it does not read one number per step and predict one number"
    offset, scale = encoding.get("offset"), encoding.get("scale")
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (offset, scale))
    if not (numbers and np.isfinite(offset) and np.isfinite(scale) and scale > 0):
        return f"its standardisation (offset {offset!r}, scale {scale!r}) is not a pair of finite numbers"
    try:
        length = saved.task().length
    except (ValueError, TypeError, AttributeError) as err:
        return f"its task cannot be rebuilt from the file: {err}"
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        return f"its window length {length!r} is not a whole number of steps"
    return None


def forecast(saved, values) -> Forecast:
    """One-step forecasts of ``values`` (T,), in the series' units, by ``saved`` (a series model).

    Every window of the model's length L is standardised as in training (``meta["encoding"]``: offset,
    scale) and run through ``saved.predict`` at once, as a batch of T - L sequences; the read-out at
    each window's last step is the forecast of the value after it.
    """
    problem = series_model_problem(saved)
    if problem is not None:
        raise ValueError(f"this model cannot forecast a series: {problem}")
    x = _series(values)
    if not np.all(np.isfinite(x)):
        raise ValueError("the series must be finite")
    L = int(saved.task().length)
    if x.size <= L:
        raise ValueError(f"the series has {x.size} values; the model reads windows of {L}")
    offset, scale = float(saved.meta["encoding"]["offset"]), float(saved.meta["encoding"]["scale"])
    z = (x - offset) / scale
    starts = np.arange(x.size - L)  # window k reads z[k : k + L] and forecasts z[k + L]
    windows = z[starts[None, :] + np.arange(L)[:, None]][:, :, None]  # (L, N, 1)
    y, trace = saved.predict(windows)  # y (L, N, 1)
    top = trace.layers[-1][0]
    memory = top.c if top.c is not None else top.h  # (L, N, H)
    pred = np.full(x.size, np.nan)
    pred[L:] = y[-1, :, 0] * scale + offset
    state = np.full((x.size, memory.shape[-1]), np.nan)
    state[L:] = memory[-1]
    return Forecast(pred, state, "c" if top.c is not None else "h", L)


def season_length(dates) -> int | None:
    """12 for a monthly series (dates "YYYY-MM"), None otherwise (a yearly series has no season to repeat)."""
    return 12 if len(dates) > 12 and all(len(d) == 7 and d[4] == "-" for d in dates) else None


@dataclass(frozen=True)
class Catch:
    """Whether one forecaster caught one planted anomaly.

    excess: the largest error minus the threshold over the anomaly's first ``within`` steps (> 0: caught;
    <= 0: missed by that much); NaN where the forecaster makes no forecast on those steps.
    """

    anomaly: Anomaly
    forecaster: str
    caught: bool
    excess: float


def catches(anomalies, errors: dict, thresholds: dict, within: int = WITHIN) -> list[Catch]:
    """One :class:`Catch` per anomaly and forecaster (anomalies outer, forecasters in ``errors``' order).

    errors: {name: (T,) prediction errors};  thresholds: {name: the threshold its errors are flagged at}.
    An anomaly is caught when :func:`flag` flags one of its first ``within`` steps (:func:`caught`).
    """
    out = []
    for anomaly in anomalies:
        stop = min(anomaly.start + within, anomaly.stop)
        for name, err in errors.items():
            e = np.asarray(err, dtype=np.float64)
            window = e[anomaly.start : stop]
            excess = float(np.nanmax(window)) - thresholds[name] if np.isfinite(window).any() else np.nan
            hit = caught(flag(e, thresholds[name]), anomaly, within)
            out.append(Catch(anomaly, name, hit, excess))
    return out


# ------------------------------------------------------------------------------------------------
# the page's decisions: flags of every forecaster at one threshold, the controls' ranges, the sentences


@dataclass(frozen=True)
class Detection:
    """Every forecaster flagged "the same way": the model (the first name) at the user's threshold, each
    other one at the same number k of robust standard deviations above its own median error.

    errors, thresholds, flags: {name: (T,) errors / float / step indices}; k: the user's threshold in
    robust units of the model's errors (:func:`robust_k`)."""

    errors: dict
    thresholds: dict
    flags: dict
    k: float

    @property
    def model(self) -> str:
        return next(iter(self.errors))


def detect(values, preds: dict, threshold: float) -> Detection:
    """Errors, thresholds and flags of every forecaster in ``preds`` ({name: (T,) forecasts}, model first)."""
    errors = {name: prediction_error(p, _series(values)) for name, p in preds.items()}
    model = next(iter(errors))
    k = robust_k(errors[model], threshold)
    thresholds = {
        name: float(threshold) if name == model else robust_threshold(e, k) for name, e in errors.items()
    }
    flags = {name: flag(errors[name], thresholds[name]) for name in errors}
    return Detection(errors, thresholds, flags, k)


def _nice(x: float) -> float:
    """The smallest of 1, 2, 5 times a power of ten that is >= x (x > 0)."""
    p = 10.0 ** np.floor(np.log10(x))
    return float(next(m * p for m in (1, 2, 5, 10) if m * p >= x * (1 - 1e-12)))


def threshold_range(clean_errors, k: float = DEFAULT_K) -> tuple[float, float, float]:
    """(default, top, step) of the threshold slider: the default is :func:`robust_threshold` (k) of the
    model's errors on the real series; the slider runs from 0 to a round number at least four times it."""
    default = robust_threshold(clean_errors, k)
    if not default > 0:
        raise ValueError("the model's errors on this series are all 0: there is nothing to threshold")
    top = _nice(4 * default)
    step = top / 400
    return round(default / step) * step, top, step


def default_sizes(threshold: float) -> dict:
    """Starting sizes of the injections: a spike and a level shift of about twice the model's threshold
    (rounded to one significant figure), near where a good forecaster catches them and a naive one may
    not; a dropout of 6 steps."""
    if not (np.isfinite(threshold) and threshold > 0):
        raise ValueError(f"threshold must be a positive number, got {threshold}")
    size = float(f"{2 * threshold:.1g}")
    return {"spike": size, "level_shift": size, "dropout": 6}


def most_moved_unit(state, steps) -> tuple[int, float, float]:
    """(unit, mean |Δ| at ``steps``, mean |Δ| at the other steps): the unit whose memory changed most at
    ``steps`` (Δ_t = state_t - state_{t-1}), relative to how much it changes elsewhere; when ``steps`` is
    empty or covers every step, the unit whose memory changes most overall (and NaN for "at ``steps``")."""
    s = np.asarray(state, dtype=np.float64)  # (T, H)
    change = np.full(s.shape, np.nan)
    change[1:] = np.abs(np.diff(s, axis=0))
    at = np.zeros(len(s), bool)
    at[np.asarray(steps, dtype=int)] = True
    at &= np.isfinite(change).all(axis=1)
    known = np.isfinite(change).all(axis=1)
    if not known.any():
        raise ValueError("the memory has fewer than two steps to compare")
    rest = known & ~at
    if not at.any() or not rest.any():  # nothing flagged, or everything: no contrast to draw
        usual = change[known].mean(axis=0)
        unit = int(np.argmax(usual))
        return unit, float("nan"), float(usual[unit])
    usual = change[rest].mean(axis=0)
    there = change[at].mean(axis=0)
    unit = int(np.argmax(there / np.maximum(usual, 1e-12)))
    return unit, float(there[unit]), float(usual[unit])


def mean_abs_errors(values, preds: dict, start: int) -> dict:
    """{name: mean |forecast - value| over steps t >= start}, each forecaster over the same steps (those
    where every one of them forecasts)."""
    x = _series(values)
    errors = {name: prediction_error(p, x)[start:] for name, p in preds.items()}
    common = np.logical_and.reduce([np.isfinite(e) for e in errors.values()])
    if not common.any():
        raise ValueError(f"no step from {start} on is forecast by every forecaster")
    return {name: float(e[common].mean()) for name, e in errors.items()}
