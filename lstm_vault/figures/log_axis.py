"""Log axes for every figure: where values go, which ticks get labels, and what the labels say.

Two kinds of log axis meet in the app. Loss curves (:mod:`.training`) span a few decades of ordinary
floats: :func:`log_range` pads them and :func:`log_ticks` labels them as numbers ("0.2", "0.5", "1"), never a
lone "9" under "1". Gradient norms (:mod:`.gradients`) arrive as base-10 logarithms that may lie far outside
float64: :func:`for_log_axis` clips them to [10⁻³⁰⁰, 10³⁰⁰] for drawing (a log axis cannot show 0, nor a
number the browser cannot hold), and :func:`decade_step` / :func:`power_ticks` label every 1, 2, 5, 10, ...
decades as powers of ten. Pure functions: numbers in, numbers and labels out.
"""

from __future__ import annotations

import math

import numpy as np

from ..formatting import power_of_ten, superscript

#: log10 values outside [DISPLAY_FLOOR, DISPLAY_CEIL] are drawn at the limit (a log axis cannot show 0)
DISPLAY_FLOOR = -300
DISPLAY_CEIL = 300


def for_log_axis(log10_values, floor: float = DISPLAY_FLOOR, ceil: float = DISPLAY_CEIL):
    """Values for a log axis: 10**log10, clipped to [10**floor, 10**ceil].

    Returns ``values, clipped`` where ``clipped`` marks the entries drawn at a limit (including exact
    zeros, log10 = -inf, which no log axis can show).
    """
    logs = np.asarray(log10_values, dtype=np.float64)
    clipped = ~((logs >= floor) & (logs <= ceil))
    return np.power(10.0, np.clip(np.nan_to_num(logs, nan=floor), floor, ceil)), clipped


def decade_step(decades: float, max_ticks: int = 6) -> int:
    """Decades between labelled ticks so that a log range of ``decades`` gets at most ``max_ticks`` labels."""
    return next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500) if max(decades, 1.0) / s <= max_ticks - 1)


def decades_spanned(*logs) -> float:
    """How many decades the finite values of some log10 arrays span, clipped to the drawable range."""
    values = np.concatenate([np.clip(np.ravel(v).astype(float), DISPLAY_FLOOR, DISPLAY_CEIL) for v in logs])
    values = values[np.isfinite(values)]
    return float(values.max() - values.min()) if values.size else 1.0


def power_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Ticks of a colour bar in log10 units from ``lo`` to ``hi``: every :func:`decade_step` decades,
    labelled "10⁻⁴", "1", "10²"."""
    step = decade_step(hi - lo)
    first = np.ceil(lo / step) * step
    vals = np.arange(first, hi + 1e-9, step)
    return vals.tolist(), [power_of_ten(int(v)) if v else "1" for v in vals]


# ------------------------------------------------------------------------------------------------
# loss-like axes: the range and labels that read as numbers

MIN_DECADES = 0.02  # narrowest y range drawn (about 5 %), so a flat curve does not get 1e-9 steps


def log_range(low: float, high: float, empty: bool = False) -> tuple[float, float]:
    """The y range in log10 units (as plotly's log axis takes it) for positive values from low to high.

    A margin of 5 % of the span on each side; an empty plot (the baseline alone) reaches from 20 times
    below the baseline to 2.5 times above it, where the first curves will be drawn.
    """
    a, b = math.log10(low), math.log10(high)
    if empty and b - a < MIN_DECADES:
        return a - math.log10(20), b + math.log10(2.5)
    if b - a < MIN_DECADES:
        middle = (a + b) / 2
        a, b = middle - MIN_DECADES / 2, middle + MIN_DECADES / 2
    pad = 0.05 * (b - a)
    return a - pad, b + pad


def _number(mantissa: int | float, exponent: int) -> float:
    """mantissa x 10**exponent, the float nearest the decimal: (2, -3) -> 0.002, not 0.0020000000000000005."""
    return float(f"{mantissa}e{exponent}")


def tick_text(value: float, digits: int = 1, power: bool | None = None) -> str:
    """A tick label with ``digits`` significant digits, trailing zeros dropped.

    Plain decimals from 0.0001 to 99,999 (``0.002``, ``1.05``, ``20,000``), powers of ten beyond
    (``10⁻⁶``, ``2×10⁻⁶``, ``1.5×10⁸``); ``power`` True or False forces one or the other.
    """
    exponent = math.floor(math.log10(value))
    mantissa = round(value / 10**exponent, digits - 1)
    if mantissa >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    if power is None:
        power = not -4 <= exponent <= 4
    if not power:
        text = f"{value:,.{max(0, digits - 1 - exponent)}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    head = f"{mantissa:.{digits - 1}f}"
    head = head.rstrip("0").rstrip(".") if "." in head else head
    if exponent == 0:
        return head
    power_text = "10" + ("" if exponent == 1 else superscript(exponent))
    return power_text if head == "1" else f"{head}×{power_text}"


def _labels(values: list[float], digits: int = 1) -> list[str]:
    """Labels of one axis in one notation: all plain decimals, or (if one needs it) all powers of ten."""
    power = any(not -4 <= math.floor(math.log10(v)) <= 4 for v in values)
    return [tick_text(v, digits, power) for v in values]


def log_ticks(low: float, high: float, most: int = 10, fewest: int = 4) -> tuple[list[float], list[str]]:
    """Tick values and labels of a log axis from ``low`` to ``high`` (data units, 0 < low <= high).

    The finest of these that gives at most ``most`` ticks, none crowded (9 and 10 are close on a log axis):
    1, 2, ..., 9 x 10^k; 1, 2, 5 x 10^k; every decade; every 2nd, 5th, 10th, ... decade. When even
    1, 2, ..., 9 gives fewer than ``fewest`` (a range narrower than about a factor of 1.5), evenly spaced
    round values instead (1.8, 1.9, 2). Every label is the whole number ("0.9", not "9"), so it reads the
    same wherever it sits on the axis.
    """
    if not (0 < low <= high and math.isfinite(high)):
        raise ValueError(f"a log axis needs 0 < low <= high < inf, got {low!r}, {high!r}")
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    inside = low * (1 - 1e-9), high * (1 + 1e-9)  # a tick on the edge counts

    def ladder(mantissas, every=1) -> list[float]:
        values = (_number(m, e) for e in range(first, last + 1) if e % every == 0 for m in mantissas)
        return [v for v in values if inside[0] <= v <= inside[1]]

    span = math.log10(high / low)

    def readable(values) -> bool:  # at most ``most``, none closer than half the even spacing of ``most``
        gaps = [math.log10(b / a) for a, b in zip(values, values[1:])]
        return len(values) <= most and min(gaps, default=span) >= span / (2 * most)

    for mantissas in (range(1, 10), (1, 2, 5)):
        values = ladder(mantissas)
        if len(values) < fewest and mantissas == range(1, 10):
            return _linear_ticks(low, high, readable)
        if readable(values):
            return values, _labels(values)
    every = 1
    while len(values := ladder((1,), every)) > most:
        every = every * 5 // 2 if str(every)[0] == "2" else every * 2  # 1, 2, 5, 10, 20, 50, ...
    return values, _labels(values)


def _linear_ticks(low: float, high: float, readable) -> tuple[list[float], list[str]]:
    """Multiples of the smallest round step (1, 2 or 5 x 10^k) whose ticks are ``readable``."""
    exponent = math.floor(math.log10((high - low) / 10)) if high > low else math.floor(math.log10(high)) - 2
    for e in range(exponent, exponent + 3):
        for m in (1, 2, 5):
            step = _number(m, e)
            start, stop = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
            values = [float(f"{k * step:.12g}") for k in range(start, stop + 1)]
            if stop - start < 7 and readable(values):  # at most 7: a narrow range needs few labels
                digits = math.floor(math.log10(high)) - e + 1
                return values, _labels(values, max(1, digits))
    raise AssertionError("unreachable: a step of 100x the span gives one tick")
