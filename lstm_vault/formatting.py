"""Numbers into text, for every page: one place that decides how a value reads.

Gate values and states (:func:`fmt`, :func:`fmt_gate`, :func:`pct`, :func:`fmt_vector`), half-lives
(:func:`fmt_half_life`), magnitudes known only as base-10 logarithms, which may lie far outside float64
(:func:`format_log10`, :func:`power_of_ten`), counts (:func:`steps_text`, :func:`ordinal`) and growth per
step (:func:`times_text`). Sentences that use them live with their page or topic (:mod:`lstm_vault.explain`,
:mod:`lstm_vault.gradient_readings`, :mod:`lstm_vault.gradient_notes`); the figures' tick labels are in
:mod:`lstm_vault.figures.log_axis`. Nothing here imports streamlit.
"""

from __future__ import annotations

import math

import numpy as np

#: from this size on, fmt writes numbers in scientific notation (a CSV may hold 1e300)
FMT_SCIENTIFIC = 1e5

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def superscript(n: int) -> str:
    """An integer in superscript digits: -37 -> "⁻³⁷"."""
    return str(int(n)).translate(_SUPERSCRIPT)


def power_of_ten(exponent: int) -> str:
    """10 to an integer power as a reader writes it: "10⁻³⁷", "10⁴⁰⁰"."""
    return "10" + superscript(exponent)


def fmt(value: float, digits: int = 2) -> str:
    """A number for the UI: fixed decimals, a real minus sign, never "-0.00"; scientific notation
    from ``FMT_SCIENTIFIC`` on ("1.23e+08"), so a huge value stays short."""
    big = math.isfinite(value) and abs(value) >= FMT_SCIENTIFIC
    text = f"{value:.{digits}e}" if big else f"{value:.{digits}f}"
    if float(text) == 0.0:
        text = text.lstrip("-")
    return text.replace("-", "\u2212")


def pct(share: float) -> str:
    """A gate value in [0, 1] as a percentage; a nearly shut gate is "<1%", a nearly open one ">99%"."""
    if 0.0 < share < 0.005:
        return "<1%"
    if 0.995 <= share < 1.0:
        return ">99%"
    return f"{100 * share:.0f}%"


def fmt_vector(values, digits: int = 2, max_items: int = 4) -> str:
    """A short input vector for the UI: "0.42", "[0.42, 1.00]", or "[... 27 values]" when long."""
    values = np.ravel(values)
    if values.size == 1:
        return fmt(float(values[0]), digits)
    if values.size > max_items:
        return f"[{values.size} values]"
    return "[" + ", ".join(fmt(float(v), digits) for v in values) + "]"


def fmt_gate(value: float) -> str:
    """A gate value in [0, 1]: two decimals, more near 0 or 1, where the difference matters most
    (0.999 keeps a memory for ~700 steps, 0.99 for ~70: both would read "1.00")."""
    if 0.0 < value < 0.01 or 0.99 < value < 1.0:
        text = f"{value:.4f}"
        if text in ("1.0000", "0.0000"):  # closer than 5e-5 to an end: say which side
            return "< 0.0001" if value < 0.5 else "> 0.9999"
        return text
    return f"{value:.2f}"


def fmt_half_life(steps: float) -> str:
    """A half-life in steps for a sentence: "at every step", "in 2.3 steps", "in about 140 steps",
    "in about 3,400 steps", or "only after more than 100,000 steps"; rounded to what it is worth."""
    if math.isinf(steps):
        return "never"
    if steps < 1.0:
        return "within one step"
    if steps < 10:
        return f"in {steps:.1f} steps"
    if steps < 1000:
        return f"in about {steps:.0f} steps"
    if steps < 100_000:
        return f"in about {round(steps, -2):,.0f} steps"
    return "only after more than 100,000 steps"


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
    """ "1 step", "99 steps", "1,499 steps"."""
    return f"{n:,} step" if n == 1 else f"{n:,} steps"


def ordinal(n: int) -> str:
    """1 -> "1st", 2 -> "2nd", 13 -> "13th", 22 -> "22nd"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def times_text(log10_factor: float) -> str:
    """A growth in one step as a reader says it: "23 %" below a doubling, else "2.9 times"."""
    f = 10.0**log10_factor
    return f"{(f - 1) * 100:.0f} %" if f < 2 else f"{f:.1f} times"
