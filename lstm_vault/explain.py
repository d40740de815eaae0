r"""The equations (as LaTeX) and plain-language readings of a trace: one source for every page.

Symbols are the code's (:mod:`lstm_vault.cells`): ``i, f, g, o`` are the input gate, forget gate,
candidate and output gate, ``c`` the cell state, ``h`` the hidden state, ``x`` the input;
the GRU's are ``r, z, n``. Weight names follow torch: ``W_{if}`` maps the input to the
forget gate, ``W_{hf}`` the previous hidden state to it.

Readings are computed from a :class:`lstm_vault.trace.LayerTrace` at one step ``t`` for one
hidden unit, e.g. "The forget gate kept 93% of unit 3's memory: f × cₜ₋₁ = 0.93 × 0.82 = 0.76."
Every number in them is read from the trace; nothing here imports streamlit.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

# numbers into text live in formatting; re-exported here for the pages and tests that read them from explain
from .formatting import FMT_SCIENTIFIC, fmt, fmt_gate, fmt_half_life, fmt_vector, pct, steps_text  # noqa: F401


@dataclass(frozen=True)
class Equation:
    """One line of a cell's equations."""

    symbol: str  # the quantity it defines: "f", "c", ...
    name: str  # what the UI calls it
    latex: str  # the right-hand side with its symbol, for st.latex
    meaning: str  # one sentence, in plain words


EQUATIONS: dict[str, tuple[Equation, ...]] = {
    "lstm": (
        Equation(
            "f",
            "forget gate",
            r"f_t = \sigma(W_{if}\,x_t + W_{hf}\,h_{t-1} + b_f)",
            "how much of each unit's memory to keep (0 = wipe it, 1 = keep all of it)",
        ),
        Equation(
            "i",
            "input gate",
            r"i_t = \sigma(W_{ii}\,x_t + W_{hi}\,h_{t-1} + b_i)",
            "how much of the candidate to write into memory",
        ),
        Equation(
            "g",
            "candidate",
            r"g_t = \tanh(W_{ig}\,x_t + W_{hg}\,h_{t-1} + b_g)",
            "the new values that could be written, between -1 and 1",
        ),
        Equation(
            "o",
            "output gate",
            r"o_t = \sigma(W_{io}\,x_t + W_{ho}\,h_{t-1} + b_o)",
            "how much of the memory to show to the rest of the network",
        ),
        Equation(
            "c",
            "cell state",
            r"c_t = f_t \odot c_{t-1} + i_t \odot g_t",
            "the memory: keep part of the old, add part of the new",
        ),
        Equation(
            "h",
            "hidden state",
            r"h_t = o_t \odot \tanh(c_t)",
            "what this step outputs, and what the gates see at the next step",
        ),
    ),
    "gru": (
        Equation(
            "r",
            "reset gate",
            r"r_t = \sigma(W_{ir}\,x_t + W_{hr}\,h_{t-1} + b_r)",
            "how much of the old state the candidate may look at",
        ),
        Equation(
            "z",
            "update gate",
            r"z_t = \sigma(W_{iz}\,x_t + W_{hz}\,h_{t-1} + b_z)",
            "how much of the old state to keep (the rest comes from the candidate)",
        ),
        Equation(
            "n",
            "candidate",
            r"n_t = \tanh(W_{in}\,x_t + b_{in} + r_t \odot (W_{hn}\,h_{t-1} + b_{hn}))",
            "the proposed new state",
        ),
        Equation(
            "h",
            "hidden state",
            r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}",
            "a blend of the old state and the candidate; there is no separate cell state",
        ),
    ),
    "rnn": (
        Equation(
            "h",
            "hidden state",
            r"h_t = \tanh(W_{ih}\,x_t + W_{hh}\,h_{t-1} + b)",
            "the whole state is rewritten at every step: there are no gates",
        ),
    ),
}

#: the gradient's way back through time (the vanishing-gradient page), in the code's symbols;
#: t counts 0 .. T-1 and the loss sits at T-1
GRADIENT_EQUATIONS = {
    "loss": (
        r"L = u \cdot h_{T-1},\quad \|u\| = 1"
        r"\quad\Rightarrow\quad \Big\|\frac{\partial L}{\partial h_{T-1}}\Big\| = 1"
    ),
    "rnn_step": (
        r"\frac{\partial L}{\partial h_{t-1}} = W_{hh}^{\top}\,"
        r"\operatorname{diag}\!\big(\tanh'(a_t)\big)\,\frac{\partial L}{\partial h_t}"
    ),
    "rnn_product": (
        r"\frac{\partial L}{\partial h_t} = \prod_{k=t+1}^{T-1} \Big[W_{hh}^{\top}\,"
        r"\operatorname{diag}\!\big(\tanh'(a_k)\big)\Big]\;\frac{\partial L}{\partial h_{T-1}}"
    ),
    "rnn_estimate": (
        r"\Big\|\frac{\partial L}{\partial h_t}\Big\|"
        r"\;\approx\; \prod_{k=t+1}^{T-1} \rho(W_{hh})\cdot\mathrm{rms}\big(\tanh'(a_k)\big)"
    ),
    "lstm_step": (
        r"\begin{aligned}\frac{\partial L}{\partial c_{t-1}} &= f_t \odot \frac{\partial L}{\partial c_t}\\"
        r"&\quad + o_{t-1} \odot \tanh'(c_{t-1}) \odot \frac{\partial L}{\partial h_{t-1}}\end{aligned}"
    ),
    "lstm_product": (
        r"\frac{\partial L}{\partial c_t} \;\approx\; "
        r"\Big(\prod_{k=t+1}^{T-1} f_k\Big) \odot \frac{\partial L}{\partial c_{T-1}}"
    ),
}

#: the trick that makes it one matrix product: the weights act on the stacked vector [h_{t-1}, x_t]
CONCAT_NOTE = r"W_{if}\,x_t + W_{hf}\,h_{t-1} = W_f \begin{bmatrix} h_{t-1} \\ x_t \end{bmatrix}"
#: the two squashing functions
SQUASH_NOTE = (
    r"\begin{aligned}\sigma(a) &= \frac{1}{1 + e^{-a}} \in (0, 1) \\"
    r" \tanh(a) &= \frac{e^{a} - e^{-a}}{e^{a} + e^{-a}} \in (-1, 1)\end{aligned}"
)


def latex_block(arch: str = "lstm") -> str:
    """All of ``arch``'s equations as one aligned LaTeX block (for ``st.latex``)."""
    if arch not in EQUATIONS:
        raise ValueError(f"unknown arch {arch!r}; choose one of: {', '.join(EQUATIONS)}")
    lines = [eq.latex.replace(" = ", " &= ", 1) for eq in EQUATIONS[arch]]
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"


# ------------------------------------------------------------------------------------- readings


_NUMBERISH = re.compile(r"[\u2212+-]?[\d.]+(e[+-]?\d+)?")
_VISIBLE = {" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}  # ␣ ↵ ⇥ ␍


def describe_input(x_t, encoding: dict | None = None, digits: int = 2) -> str:
    """One step's input for the UI: the character or symbol a one-hot input stands for, read from
    the task's ``encoding`` (``Task.encoding()``, as model files store it: ``{"type": "chars",
    "vocab": ...}`` or ``{"type": "symbols", "channels": [...]}``), else its numbers
    (:func:`fmt_vector`). Whitespace is shown as ␣ ↵ ⇥, so a space is visible."""
    v = np.ravel(np.asarray(x_t, dtype=np.float64))
    encoding = encoding if isinstance(encoding, dict) else {}
    kind = encoding.get("type")
    if kind in ("chars", "symbols") and v.size > 1 and np.count_nonzero(v) == 1 and v.max() == 1.0:
        k = int(v.argmax())
        names = encoding.get("vocab") if kind == "chars" else encoding.get("channels")
        if isinstance(names, (str, list)) and k < len(names) and isinstance(names[k], str):
            if kind == "chars":
                char = names[k]
                return f"'{_VISIBLE.get(char, char if char.isprintable() else repr(char)[1:-1])}'"
            return names[k]
    return fmt_vector(v, digits)


def input_labels(x, encoding: dict | None) -> list[str] | None:
    """One short label per step of a one-hot input (x: (T, I)), for a row of text along time:
    characters as themselves (whitespace as ␣ ↵ ⇥), symbols by number, blank as "·", the cue as "▶".
    None when the input is not one-hot characters or symbols."""
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    labels = [describe_input(row, encoding) for row in x]
    if not labels or any(label.startswith("[") or _NUMBERISH.fullmatch(label) for label in labels):
        return None
    short = {"blank": "\u00b7", "cue": "\u25b6"}
    return [
        label[1:-1] if label.startswith("'") else short.get(label, label.removeprefix("symbol "))
        for label in labels
    ]


def half_life(f: float) -> float:
    """Steps until a forget gate held at ``f`` leaves half of the memory: ln(1/2) / ln(f) (inf when f = 1)."""
    if f >= 1.0:
        return math.inf
    if f <= 0.0:
        return 0.0
    return math.log(0.5) / math.log(f)


def _check(lt, t: int, unit: int, batch: int) -> None:
    T, B, H = lt.h.shape
    for name, value, size in (("t", t, T), ("unit", unit, H), ("batch", batch, B)):
        if not 0 <= value < size:
            raise ValueError(f"{name} must be in [0, {size - 1}], got {value}")


def step_values(lt, t: int, unit: int = 0, batch: int = 0) -> dict[str, float]:
    """Every number of one unit at step ``t``, as floats read from the trace.

    LSTM keys: ``x`` (first input feature), ``h_prev, c_prev, f, i, g, o, c, h``, and the
    intermediate products ``kept = f c_prev``, ``written = i g``, ``tanh_c = tanh(c)``.
    GRU: ``x, h_prev, r, z, n, h`` and ``kept = z h_prev``, ``written = (1 - z) n``.
    RNN: ``x, h_prev, a, h`` (``a`` the pre-activation).
    """
    _check(lt, t, unit, batch)
    out = {"x": float(lt.x[t, batch, 0]), "h_prev": float(lt.h_prev_at(t)[batch, unit])}
    if lt.arch == "lstm":
        for k in ("f", "i", "g", "o", "c", "h"):
            out[k] = float(getattr(lt, k)[t, batch, unit])
        out["c_prev"] = float(lt.c_prev_at(t)[batch, unit])
        out["kept"] = out["f"] * out["c_prev"]
        out["written"] = out["i"] * out["g"]
        out["tanh_c"] = math.tanh(out["c"])
    elif lt.arch == "gru":
        for k in ("r", "z", "n", "h"):
            out[k] = float(getattr(lt, k)[t, batch, unit])
        out["kept"] = out["z"] * out["h_prev"]
        out["written"] = (1.0 - out["z"]) * out["n"]
    else:
        out["a"] = float(lt.a[t, batch, unit])
        out["h"] = float(lt.h[t, batch, unit])
    return out


def readings(lt, t: int, unit: int = 0, batch: int = 0) -> list[str]:
    """Plain-language sentences (markdown) saying what each gate of ``unit`` did at step ``t``."""
    v = step_values(lt, t, unit, batch)
    u = f"unit {unit}"
    if lt.arch == "lstm":
        life = fmt_half_life(half_life(v["f"]))
        life_text = "would never fade" if life == "never" else f"would halve {life}"
        f_shown = _factor(v["f"])
        carried = f"step {t + 1}" if t + 1 < lt.h.shape[0] else "the end of the sequence"
        return [
            # f·c_{t-1} is what the gate kept, not c_t: the cell-state line adds the write to it
            f"**Forget gate** {fmt_gate(v['f'])}: kept {pct(v['f'])} of {u}'s memory, "
            f"f × c\u209c\u208b\u2081 = {f_shown} × {_par(v['c_prev'])} "
            f"{_times_eq(f_shown, v['c_prev'], v['kept'])} {fmt(v['kept'])}; held at "
            f"{fmt_gate(v['f'])}, a memory {life_text}.",
            f"**Input gate** {fmt_gate(v['i'])}: wrote {pct(v['i'])} of the candidate {fmt(v['g'])} "
            f"into {u}, adding {fmt(v['written'])}.",
            f"**Cell state**: {fmt(v['kept'])} + ({fmt(v['written'])}) "
            f"{_eq(v['kept'], v['written'], v['c'])} **{fmt(v['c'])}**, "
            f"the memory carried to {carried}.",
            f"**Output gate** {fmt_gate(v['o'])}: showed {pct(v['o'])} of tanh(c) = {fmt(v['tanh_c'])}, "
            f"so the hidden state is h = **{fmt(v['h'])}**.",
        ]
    if lt.arch == "gru":
        return [
            f"**Reset gate** {fmt_gate(v['r'])}: the candidate saw {pct(v['r'])} of the old state's "
            f"contribution and came out as n = {fmt(v['n'])}.",
            f"**Update gate** {fmt_gate(v['z'])}: kept {pct(v['z'])} of the old h = {fmt(v['h_prev'])} "
            f"({fmt(v['kept'])}) and took {pct(1 - v['z'])} of the candidate ({fmt(v['written'])}).",
            f"**Hidden state**: {fmt(v['kept'])} + ({fmt(v['written'])}) "
            f"{_eq(v['kept'], v['written'], v['h'])} **{fmt(v['h'])}**. "
            "A GRU has no separate cell state: h is its memory.",
        ]
    return [
        f"**No gates**: a vanilla RNN rewrites {u} at every step, "
        f"h = tanh({fmt(v['a'])}) = **{fmt(v['h'])}**.",
        f"Nothing decides what to keep: the old h = {fmt(v['h_prev'])} only enters through the recurrent "
        "weights, so how fast a memory fades (or blows up) is set by those weights and the slope of tanh, "
        "not chosen at each step by a gate.",
    ]


def _eq(a: float, b: float, total: float, digits: int = 2) -> str:
    """ "=" when the numbers as shown add up, else "≈" (each is rounded on its own: 0.36 + 0.05 ≈ 0.42)."""
    shown = [float(fmt(v, digits).replace("\u2212", "-")) for v in (a, b, total)]
    return "=" if abs(shown[0] + shown[1] - shown[2]) < 0.5 * 10.0**-digits else "\u2248"


def _factor(gate: float) -> str:
    """A gate as a factor in a product: as :func:`fmt_gate` shows it, but "1" or "0" for a gate closer
    than 5e-5 to an end (which fmt_gate shows as "> 0.9999" or "< 0.0001")."""
    shown = fmt_gate(gate)
    return shown if shown[0].isdigit() else ("1" if gate > 0.5 else "0")


def _par(value: float) -> str:
    """A number as a factor: in parentheses when negative, "0.93 × (−0.08)"."""
    return f"({fmt(value)})" if value < 0 and fmt(value) != fmt(0.0) else fmt(value)


def _times_eq(factor: str, value: float, product: float) -> str:
    """ "=" when the shown factor times the shown value rounds to the shown product, else "≈"."""
    shown = float(factor) * float(fmt(value).replace("\u2212", "-"))
    return "=" if fmt(shown) == fmt(product) else "\u2248"


def _steps(n: int) -> str:
    return "the one step" if n == 1 else f"all {steps_text(n)}"


#: a keep gate above this holds a memory (0.9 halves it in 6.6 steps); below RESET_BELOW it wipes it
HOLD_ABOVE = 0.9
RESET_BELOW = 0.1


@dataclass(frozen=True)
class KeepGateStats:
    """What a keep gate (the LSTM's f, the GRU's z) did over a sequence. A memory is multiplied by the
    gate at every step, so it decays by their product, and the rate that counts is the geometric mean
    (the arithmetic mean always overstates it: 0.99 and 0.01 average 0.5, but keep 1% over two steps)."""

    steps: int  # T
    low: float  # the smallest value
    high: float  # the largest value
    geometric_mean: float  # (prod of the gate over all T steps) ** (1/T); 0 when any value is exactly 0
    hold_start: int  # first step of the longest run of steps with gate > HOLD_ABOVE (-1: none)
    hold_steps: int  # its length (0: the gate never rose above HOLD_ABOVE)
    hold_kept: float  # the product of the gate over that run: the share of a memory it keeps
    resets: tuple[int, ...]  # the steps where the gate fell below RESET_BELOW


def keep_gate_stats(values) -> KeepGateStats:
    """The statistics of one unit's keep gate over time, ``values`` (T,) in [0, 1]; log-safe: a gate that
    underflowed to 0 gives a geometric mean of 0, and a long product never underflows on the way."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0:
        raise ValueError("no steps")
    geometric = 0.0 if np.any(v <= 0.0) else float(np.exp(np.mean(np.log(v))))
    best_start, best_len, start = -1, 0, None
    for t, held in enumerate(np.append(v > HOLD_ABOVE, False)):  # a False at the end closes the last run
        if held and start is None:
            start = t
        elif not held and start is not None:
            if t - start > best_len:
                best_start, best_len = start, t - start
            start = None
    kept = float(np.exp(np.sum(np.log(v[best_start : best_start + best_len])))) if best_len else 0.0
    resets = tuple(int(t) for t in np.flatnonzero(v < RESET_BELOW))
    low, high = float(v.min()), float(v.max())
    return KeepGateStats(len(v), low, high, geometric, best_start, best_len, kept, resets)


def _when(steps: tuple[int, ...]) -> str:
    """ "at t = 5", "at t = 18 and 19", "at t = 3, 17 and 40", or "at 12 steps, from t = 3 to t = 58"."""
    if len(steps) == 1:
        return f"at t = {steps[0]}"
    if len(steps) <= 4:
        return f"at t = {', '.join(map(str, steps[:-1]))} and {steps[-1]}"
    return f"at {len(steps):,} steps, from t = {steps[0]} to t = {steps[-1]}"


def summary(lt, unit: int = 0, batch: int = 0) -> str:
    """A few sentences about ``unit`` over the whole sequence (markdown): for an LSTM (a GRU) the rate at
    which its forget (update) gate lets a memory fade, and what that single rate hides."""
    _check(lt, 0, unit, batch)
    if lt.arch == "rnn":
        h = np.asarray(lt.h[:, batch, unit])
        return (
            f"Over {_steps(len(h))} unit {unit}'s hidden state ranged from {fmt(h.min())} to {fmt(h.max())}."
        )
    gate, name, what = (
        ("f", "forget gate", "a memory") if lt.arch == "lstm" else ("z", "update gate", "the old state")
    )
    s = keep_gate_stats(getattr(lt, gate)[:, batch, unit])
    life = fmt_half_life(half_life(s.geometric_mean))
    fades = f"{what} never fades" if life == "never" else f"{what} halves {life}"
    low, high = fmt_gate(s.low), fmt_gate(s.high)
    ran = f"stayed at {low}" if low == high else f"ran from {low} to {high}"
    text = (
        f"Over {_steps(s.steps)} unit {unit}'s {name} {ran}. "
        f"{what[0].upper()}{what[1:]} is multiplied by {gate} at every step, so the steady rate that keeps "
        f"the same share over {_steps(s.steps)} is the geometric mean of {gate}, "
        f"{fmt_gate(s.geometric_mean)}: at that rate {fades}."
    )
    if s.hold_steps == s.steps:
        text += f" {gate} stayed above {HOLD_ABOVE} at every step."
    elif s.hold_steps:
        last = s.hold_start + s.hold_steps - 1
        run = (
            f"at t = {s.hold_start}"
            if s.hold_steps == 1
            else f"for {s.hold_steps:,} steps in a row (t = {s.hold_start} to {last})"
        )
        span = "step" if s.hold_steps == 1 else "stretch"
        text += f" It was above {HOLD_ABOVE} {run}, keeping {pct(s.hold_kept)} of {what} over that {span}."
    if s.resets:
        less = f"keeping less than {pct(RESET_BELOW)} of {what}"
        text += f" It fell below {RESET_BELOW} {_when(s.resets)}, {less}: a reset."
    return text
