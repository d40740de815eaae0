"""The Vanishing gradients page's live view: ρ and the forget-gate bias move in the browser, with no rerun.

A slider of the page used to rerun the whole page at every step (about 0.7 s on a 2-core machine, most of
it the browser redrawing plotly charts and formulas). Here Python computes, once per input, size and seed,
the RNN's half of the comparison for every ρ the browser may show and the LSTM's half for every
forget-gate bias (:func:`rnn_sides`, :func:`lstm_sides`); :func:`view_data` and :func:`cross_data` turn
them into what the page's browser element (``pages/common/gradient_live``) swaps in:

- per ρ: the RNN's lines of the gradient chart (SVG path geometry, :mod:`lstm_vault.figures.live_chart`),
  σ_max, the RNN's readings, its two metrics and what the chart clips;
- per bias: the LSTM's lines, its forget-gate product chart, its metric, captions and clip notes;
- per pair (ρ, bias) on the *cross* through the committed pair (every ρ at the committed bias, every bias at
  the committed ρ): the sentences that compare the two models (the LSTM's readings, LSTM ÷ RNN, the input
  gradients). Off the cross the browser shows the per-model parts at once and asks Python for the rest;
- per length next to the committed one (:func:`length_window`): a whole view at the committed ρ and bias
  only, on the committed view's axes (:func:`length_entry`, :func:`length_data`), so that the length slider
  too moves in the browser; once it rests, Python computes every ρ and bias at the new length.

Every sentence is the one the page printed before, from :mod:`lstm_vault.gradient_readings` and
:mod:`lstm_vault.gradient_notes` on the same :class:`~lstm_vault.vanishing.VanishingResult`; Markdown and
inline LaTeX become *runs* (:func:`runs`) that the browser writes as text, never parsed as HTML.

What is precomputed is bounded: by work (:data:`WORK_BUDGET`, steps × units × runs) and by size
(:data:`BYTE_CAP`; the lengths by :data:`LENGTH_WORK_BUDGET` and :data:`LENGTH_BYTE_CAP`). Where the whole
slider range does not fit, a window of values around the committed one is sent, and moving past its edge asks
Python for a new window (one rerun, as every move used to be)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import gradient_notes as notes
from .figures import live_chart
from .figures.gradients import DX_DECADES
from .figures.palette import COLORS
from .gradient_models import SETTINGS, Setting
from .gradient_readings import lstm_readings, rnn_readings
from .vanishing import LSTMSide, VanishingResult, lstm_side, rnn_side

VERSION = 1
#: steps × hidden units × model runs spent on one view at most (a fresh RNN is two runs per ρ: the chaos
#: check reruns it; a fresh LSTM one per bias). At T = 100, H = 16 the whole range of both sliders fits.
WORK_BUDGET = 400_000
#: bytes of payload at most (float coordinates as text): above it, fewer slider values are sent
BYTE_CAP = 2_000_000
#: a window never holds fewer values than this (the committed one in the middle)
MIN_VALUES = 3
#: the first view of a new input, size or seed holds at most this many values per slider (the committed
#: one and its neighbours), so that the page answers a new length at once; once the page has been left
#: alone for a moment, the browser asks for the rest (pages/common/gradient_live.js, EXPAND_AFTER_MS)
QUICK_VALUES = 3
#: the length slider: other lengths' views (at the committed ρ and bias) sent with a view, bounded by work
#: (steps × units × runs, summed over the lengths) and by size; a first view holds QUICK_LENGTHS each side
LENGTH_WORK_BUDGET = 400_000
LENGTH_BYTE_CAP = 1_000_000
QUICK_LENGTHS = 2
LENGTH_LABEL = "Sequence length T"
LENGTH_HELP = "Steps the gradient travels back through."
UNIT_POINTS = 200  # points per single-unit line of the forget chart (the mean and measured lines get more)
#: the forget chart draws this many single units' lines (and the mean over all of them)
MAX_UNIT_LINES = 12
#: the forget chart sits in a half-width column: a narrower drawing keeps its labels readable
FORGET_WIDTH, FORGET_HEIGHT = 520.0, 380.0
#: the forget chart's depth: a product of gates sinks fast, and the default setting's lies in the top decade
FORGET_DECADES = 12
#: legend names of the gradient chart's lines
RNN_DH, LSTM_DH = "RNN  ‖∂L/∂hₜ‖", "LSTM  ‖∂L/∂hₜ‖"
LSTM_DC, PREDICTED = "LSTM  ‖∂L/∂cₜ‖ (cell state)", "RNN mean-field rule"


# ------------------------------------------------------------------------------------------ grids


def slider_values(setting: Setting) -> np.ndarray:
    """Every value the slider stops at: low, low + step, ..., high (rounded as the slider shows them)."""
    n = int(round((setting.high - setting.low) / setting.step)) + 1
    return np.round(setting.low + setting.step * np.arange(n), 10)


def snap(setting: Setting, value: float) -> float:
    """The slider stop nearest to ``value`` (a link may carry any number in range)."""
    values = slider_values(setting)
    return float(values[int(np.argmin(np.abs(values - float(value))))])


@dataclass(frozen=True)
class Grid:
    """The slider values one view holds for one setting, and where the committed value lies among them."""

    name: str
    values: tuple[float, ...]
    index: int
    trained: bool  # a trained model's side: no slider, one value (its own weights)

    @property
    def complete(self) -> bool:
        return self.trained or len(self.values) == len(slider_values(SETTINGS[self.name]))


def window(name: str, value: float, count: int, trained: bool = False) -> Grid:
    """``count`` slider values around ``value`` (all of them when count is large enough)."""
    setting = SETTINGS[name]
    if trained:
        return Grid(name, (float(setting.default),), 0, True)
    values = slider_values(setting)
    at = int(np.argmin(np.abs(values - float(value))))
    count = max(min(count, len(values)), 1)
    start = min(max(at - count // 2, 0), len(values) - count)
    chosen = values[start : start + count]
    return Grid(name, tuple(float(v) for v in chosen), at - start, False)


def reference_index(grid: Grid) -> int:
    """The grid's value nearest the slider's default (a trained side: its one value)."""
    return int(np.argmin(np.abs(np.asarray(grid.values) - SETTINGS[grid.name].default)))


_TEMPLATES_BYTES = 20_000  # once per view: the two charts' templates, the grids, the labels (generous)
_LENGTH_TEMPLATES_BYTES = 12_000  # a length's view: its two chart templates and its cross (generous)


def _estimated_bytes(T: int, n_rho: int, n_fb: int) -> int:
    """A generous estimate of the payload's size: about 8 characters per point of a line, 3 KB of text a
    value, 3 KB per pair of the cross."""
    line = 8 * min(T, live_chart.MAX_POINTS)
    units = 8 * min(T, UNIT_POINTS) * MAX_UNIT_LINES
    hover = 16 * min(T, live_chart.HOVER_POINTS)  # a value as text, per line
    per_rho = 2 * line + 2 * hover + 3000
    per_fb = 4 * line + units + 4 * hover + 1500
    return n_rho * per_rho + n_fb * per_fb + (n_rho + n_fb) * 3000 + _TEMPLATES_BYTES


def counts(
    T: int, H: int, rnn_trained: bool = False, lstm_trained: bool = False, quick: bool = False
) -> tuple[int, int]:
    """How many ρ values and how many bias values one view holds, within the work and byte budgets
    (``quick``: at most :data:`QUICK_VALUES` each, for the first view of a new input)."""
    most = QUICK_VALUES if quick else 10**9
    full_rho = 1 if rnn_trained else min(most, len(slider_values(SETTINGS["rho"])))
    full_fb = 1 if lstm_trained else min(most, len(slider_values(SETTINGS["fb"])))
    n_rho, n_fb = full_rho, full_fb
    per_step = max(T * H, 1)

    def fits(a: int, b: int) -> bool:
        work = per_step * ((2 * a if not rnn_trained else 1) + (b + 1 if not lstm_trained else 1))
        return work <= WORK_BUDGET and _estimated_bytes(T, a, b) <= BYTE_CAP

    while not fits(n_rho, n_fb) and (n_rho > MIN_VALUES or n_fb > MIN_VALUES):
        if n_rho >= n_fb and n_rho > MIN_VALUES:
            n_rho = max(MIN_VALUES, n_rho * 2 // 3)
        elif n_fb > MIN_VALUES:
            n_fb = max(MIN_VALUES, n_fb * 2 // 3)
        else:
            n_rho = max(MIN_VALUES, n_rho * 2 // 3)
    return n_rho, n_fb


# ------------------------------------------------------------------------------------------ text runs

_SIMPLE = {
    r"\frac12": "½",
    r"\bar f": "f̄",
    r"\cdot": " · ",  # binary operators: spaced, as TeX spaces them
    r"\odot": " ⊙ ",
    r"\to": " → ",
    r"\rho": "ρ",
    r"\sigma": "σ",
    r"\partial": "∂",
    r"\prod": "∏",
    r"\sum": "∑",
    r"\top": "⊤",
    r"\|": "‖",
    r"\,": "\u2009",
    r"\tanh": "tanh",
    r"\max": "max",
    r"\log": "log",
}
_WRAPPERS = re.compile(r"\\(?:mathrm|operatorname|text)\{([^{}]*)\}")
_COMMAND = re.compile(r"\\[A-Za-z]+|\\.")
_SPACED_COMMAND = re.compile(r"(\\[A-Za-z]+) *|(\\.)")
_INLINE = re.compile(r"(\$[^$]+\$|\*\*[^*]+\*\*|(?<![*\w])\*[^*\s][^*]*\*(?![*\w]))")


def unknown_commands(latex: str) -> list[str]:
    """LaTeX commands in ``latex`` that :func:`math_runs` does not know (it would write them as words)."""
    text = _WRAPPERS.sub(r"\1", latex)
    for command in sorted(_SIMPLE, key=len, reverse=True):
        text = text.replace(command, "")
    return _COMMAND.findall(text)


def _group(text: str, i: int) -> tuple[str, int]:
    """The sub- or superscript starting at ``text[i]``: a {braced group} or one character."""
    if i < len(text) and text[i] == "{":
        depth, j = 0, i
        while j < len(text):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            if depth == 0:
                return text[i + 1 : j], j + 1
            j += 1
        return text[i + 1 :], len(text)
    return text[i : i + 1], i + 1


def _command_text(m: re.Match) -> str:
    """One command's text; \\top keeps the space after it (an operator name follows it in our sentences)."""
    name = m.group(1) or m.group(2)
    if name == r"\top":
        return _SIMPLE[name] + m.group(0)[len(name) :]
    return _SIMPLE.get(name, m.group(0)[1:])


def math_runs(latex: str) -> list[list[str]]:
    """Inline LaTeX as runs ``[kind, text]``: "m" (math), "msub", "msup". Covers the commands the page's
    sentences use (:data:`_SIMPLE`, \\mathrm{...}); an unknown command is written as its name."""
    text = _WRAPPERS.sub(r"\1", latex)
    for command in (r"\frac12", r"\bar f"):
        text = text.replace(command, _SIMPLE[command])
    # a control word eats the spaces after it, as in TeX; its symbol (or its name, if unknown) stays
    text = _SPACED_COMMAND.sub(_command_text, text)
    text = re.sub(" {2,}", " ", text).replace("'", "′").replace("-", "−")
    out: list[list[str]] = []

    def add(kind: str, s: str) -> None:
        s = s.replace("{", "").replace("}", "")
        if not s:
            return
        if out and out[-1][0] == kind:
            out[-1][1] += s
        else:
            out.append([kind, s])

    i, plain = 0, ""
    while i < len(text):
        ch = text[i]
        if ch in "_^":
            add("m", plain)
            plain = ""
            group, i = _group(text, i + 1)
            add("msub" if ch == "_" else "msup", group.replace("_", "").replace("^", ""))
            continue
        plain += ch
        i += 1
    add("m", plain)
    return out


def runs(markdown: str) -> list[list[str]]:
    """A sentence of the page's Markdown as runs ``[kind, text]``: "t" plain, "b" bold, "i" italic, and the
    math kinds of :func:`math_runs`. The browser writes each with textContent."""
    out: list[list[str]] = []
    for piece in _INLINE.split(markdown):
        if not piece:
            continue
        if piece.startswith("$") and piece.endswith("$") and len(piece) > 1:
            out += math_runs(piece[1:-1])
        elif piece.startswith("**") and piece.endswith("**") and len(piece) > 4:
            out.append(["b", piece[2:-2]])
        elif piece.startswith("*") and piece.endswith("*") and len(piece) > 2:
            out.append(["i", piece[1:-1]])
        else:
            out.append(["t", piece])
    return out


def plain_text(parts: list[list[str]]) -> str:
    """What the runs read as, in one string (for tests and accessible names)."""
    return "".join(text for _, text in parts)


# ------------------------------------------------------------------------------------------ sweeps


@dataclass(frozen=True)
class Sweep:
    """One side computed at every value of a grid (a trained side: once, with its own weights)."""

    grid: Grid
    sides: tuple  # RNNSide or LSTMSide, one per grid value


def rnn_sides(x, hidden_size: int, seed: int, values: Sequence[float], rnn=None, progress=None) -> tuple:
    """The RNN's half at every ρ of ``values`` (a trained ``rnn``: its own weights, once);
    ``progress(done, total)`` after each."""
    out = []
    for k, value in enumerate(values):
        out.append(rnn_side(x, hidden_size, seed, value, rnn))
        if progress is not None:
            progress(k + 1, len(values))
    return tuple(out)


def lstm_sides(x, hidden_size: int, seed: int, values: Sequence[float], lstm=None, progress=None) -> tuple:
    """The LSTM's half at every forget-gate bias of ``values``; the bias-0 comparison run is shared."""
    out: list[LSTMSide] = []
    for k, value in enumerate(values):
        zero = out[0].log10_ratio_zero_bias if out else None
        out.append(lstm_side(x, hidden_size, seed, value, lstm, zero_bias_log10_ratio=zero))
        if progress is not None:
            progress(k + 1, len(values))
    return tuple(out)


# ------------------------------------------------------------------------------------------ payload


def clip_sentences(curves: Sequence[tuple[str, np.ndarray]], chart: live_chart.LogChart) -> list[str]:
    """What the live chart draws at an edge, one sentence per curve that has such points."""
    return [n for label, logs in curves for n in live_chart.clip_note(label, logs, chart.lo, chart.hi)]


def _metric(m: notes.Metric) -> dict:
    return {"label": m.label, "value": m.value, "delta": m.delta, "help": m.help}


def _rnn_lines(prediction_applies: bool) -> tuple[live_chart.Line, ...]:
    lines = [live_chart.Line("rnn", RNN_DH, COLORS["rnn"])]
    if prediction_applies:
        lines.append(live_chart.Line("pred", PREDICTED, COLORS["baseline"], 2.5, "2 5"))
    lines += [
        live_chart.Line("dh", LSTM_DH, COLORS["lstm"]),
        live_chart.Line("dc", LSTM_DC, COLORS["c"], 2.5, "9 6"),
    ]
    return tuple(lines)


def fingerprint(*parts) -> str:
    """A short digest of what a view was computed from (the browser keeps its slider values per view)."""
    h = hashlib.sha256()
    for p in parts:
        h.update(np.ascontiguousarray(p).tobytes() if isinstance(p, np.ndarray) else repr(p).encode())
    return h.hexdigest()[:16]


def _result(x, hidden_size: int, seed: int, rnn: Sweep, lstm: Sweep, i: int, j: int) -> VanishingResult:
    return VanishingResult.of_sides(x, hidden_size, seed, rnn.sides[i], lstm.sides[j])


def view_data(
    x: np.ndarray,
    hidden_size: int,
    seed: int,
    rnn: Sweep,
    lstm: Sweep,
    x_label: str,
    trained_notes: dict[str, str] | None = None,
    ranges: tuple[float, float, float, float] | None = None,
) -> dict:
    """What the browser needs to show every value of both grids, each model on its own (see the module
    docstring): the charts, and per ρ and per bias the lines, sentences and metrics of that model alone.
    It does not depend on which values are committed (:func:`cross_data` does), so a slider that comes
    to rest leaves it as it is. ``trained_notes``: a sentence shown in place of a trained side's slider
    ({"rho": ..., "fb": ...}, Markdown). ``ranges``: the y axes (:func:`axis_ranges`) instead of fitting
    them to these sweeps: a first, small view takes those of its whole window (on :func:`probe` sweeps),
    and the views of other lengths keep the committed length's (:func:`length_entry`), so that the lines
    move, not the axes.
    """

    def result(i: int, j: int) -> VanishingResult:
        return _result(x, hidden_size, seed, rnn, lstm, i, j)

    first = result(0, 0)
    T, applies = first.T, first.prediction_applies
    lo, hi, flo, fhi = map(float, axis_ranges(rnn, lstm) if ranges is None else ranges)
    time_title = f"time step t  (loss at t = {T - 1})"
    rnn_lines = _rnn_lines(applies)
    norms = live_chart.log_chart(T, lo, hi, time_title, "gradient norm (log scale)", rnn_lines)
    forget_lines = (
        live_chart.Line("units", "one unit's Π f", COLORS["f"], 1.0, None, 0.35),
        live_chart.Line("mean", "mean over units of Π f", COLORS["f"], 3.5),
        live_chart.Line("measured", "measured ‖∂L/∂cₜ‖ ÷ ‖∂L/∂c at T−1‖", COLORS["c"], 2.5, "9 6"),
    )
    forget = live_chart.log_chart(
        T, flo, fhi, time_title, "Π f  (log scale)", forget_lines, width=FORGET_WIDTH, height=FORGET_HEIGHT
    )

    steps = live_chart.hover_steps(T)  # the pointer's readout: each line's value at these steps

    def hover(**logs) -> dict:
        return {key: live_chart.hover_texts(values, steps) for key, values in logs.items()}

    per_rho = []  # the RNN's parts read only the RNN's half (a test holds them to every bias)
    for i in range(len(rnn.sides)):
        r = result(i, 0)
        metrics = notes.headline_metrics(r)
        curves = [("the RNN's ‖∂L/∂hₜ‖", r.rnn.log10_dh)]
        paths = {"rnn": live_chart.path_d(norms, r.rnn.log10_dh)}
        values = {"rnn": r.rnn.log10_dh}
        if applies:
            curves.append(("the mean-field line", r.log10_predicted))
            paths["pred"] = live_chart.path_d(norms, r.log10_predicted)
            values["pred"] = r.log10_predicted
        per_rho.append(
            {
                "paths": paths,
                "hover": hover(**values),
                "sigma": runs(notes.singular_value_caption(r)),
                "readings": [runs(p) for p in rnn_readings(r)],
                "clip": [runs(n) for n in clip_sentences(curves, norms)],
                "metrics": {"rnn": _metric(metrics[0]), "step": _metric(metrics[3])},
            }
        )
    per_fb = []  # and the LSTM's only the LSTM's half
    for j in range(len(lstm.sides)):
        r = result(0, j)
        dc = np.asarray(r.lstm.log10_dc)
        units = r.log10_forget_product[:, :MAX_UNIT_LINES]
        curves = [("the LSTM's ‖∂L/∂hₜ‖", r.lstm.log10_dh), ("the LSTM's ‖∂L/∂cₜ‖", dc)]
        product = [("the forget-gate product", r.log10_forget_product_mean)]
        per_fb.append(
            {
                "paths": {
                    "dh": live_chart.path_d(norms, r.lstm.log10_dh),
                    "dc": live_chart.path_d(norms, dc),
                    "units": "".join(live_chart.path_d(forget, u, UNIT_POINTS) for u in units.T),
                    "mean": live_chart.path_d(forget, r.log10_forget_product_mean),
                    "measured": live_chart.path_d(forget, dc - dc[-1]),
                },
                "hover": hover(
                    dh=r.lstm.log10_dh, dc=dc, mean=r.log10_forget_product_mean, measured=dc - dc[-1]
                ),
                "caption": runs(notes.norms_caption(r, x_label)),
                "forget_caption": runs(notes.forget_caption(r, MAX_UNIT_LINES)),
                "clip": [runs(n) for n in clip_sentences(curves, norms)],
                "forget_clip": [runs(n) for n in clip_sentences(product, forget)],
                "metrics": {"lstm": _metric(notes.headline_metrics(r)[1])},
            }
        )

    def grid_data(g: Grid) -> dict:
        s = SETTINGS[g.name]
        return {
            "name": g.name,
            "label": s.label,
            "help": s.help,
            "values": list(g.values),
            "trained": g.trained,
            "complete": g.complete,
            "low": s.low,
            "high": s.high,
            "step": s.step,
            "note": runs((trained_notes or {}).get(g.name, "")) if g.trained else [],
        }

    data = {
        "version": VERSION,
        "T": T,
        "rho": grid_data(rnn.grid),
        "fb": grid_data(lstm.grid),
        "hover": {
            "steps": steps.tolist(),
            "names": {line.key: line.name for line in (*rnn_lines, *forget_lines)},
        },
        "chart": {
            "frame": norms.frame(),
            "svg": live_chart.chart_svg(norms, rnn_lines, "Gradient norms", "lv-norms"),
            "lo": lo,
            "hi": hi,
            "top": norms.top,
        },
        "forget": {
            "frame": forget.frame(),
            "svg": live_chart.chart_svg(forget, forget_lines, "Forget-gate products", "lv-forget"),
            "lo": flo,
            "hi": fhi,
            "top": forget.top,
            "width": forget.width,
            "height": forget.height,
        },
        "per_rho": per_rho,
        "per_fb": per_fb,
    }
    data["fingerprint"] = view_fingerprint(x, hidden_size, seed, rnn, lstm, x_label)
    return data


def probe(grid: Grid) -> Grid:
    """The values of a grid that set a view's axes (:func:`axis_ranges`): its two ends and the one nearest
    the slider's default (a trained side: its one value)."""
    if grid.trained:
        return grid
    ref = grid.values[reference_index(grid)]
    values = tuple(sorted({grid.values[0], ref, grid.values[-1]}))
    return Grid(grid.name, values, values.index(ref), False)


def axis_ranges(rnn: Sweep, lstm: Sweep) -> tuple[float, float, float, float]:
    """The y axes of a view (lo, hi of the gradient chart, lo, hi of the forget chart, log10): where the
    sweeps' curves lie, keeping the sliders' default setting whole (the values a first look starts from),
    at most :data:`~lstm_vault.figures.live_chart.MAX_DECADES` (:data:`FORGET_DECADES`) deep.

    On :func:`probe` sweeps (the ends of each slider's window and its default) they are the axes of the
    whole window, computed before the rest of it: a larger ρ or bias mostly keeps more gradient, so the
    ends bound the curves between them (a curve that leaves the axes anyway is drawn on the edge, and
    :func:`clip_sentences` says so). A first, small view and the whole one then share their axes."""
    applies = not rnn.grid.trained  # the mean-field line: drawn for an untrained RNN only

    def norm_logs(sides_rnn, sides_lstm) -> list:
        out = [s.grads.log10_dh for s in sides_rnn] + (
            [s.log10_predicted for s in sides_rnn] if applies else []
        )
        return out + [s.grads.log10_dh for s in sides_lstm] + [s.grads.log10_dc for s in sides_lstm]

    def forget_logs(sides_lstm) -> list:
        out = [s.log10_forget_product[:, :MAX_UNIT_LINES] for s in sides_lstm]
        return out + [s.grads.log10_dc - s.grads.log10_dc[-1] for s in sides_lstm]

    ref_rnn, ref_lstm = [rnn.sides[reference_index(rnn.grid)]], [lstm.sides[reference_index(lstm.grid)]]
    lo, hi = live_chart.y_range(*norm_logs(rnn.sides, lstm.sides), keep=norm_logs(ref_rnn, ref_lstm))
    flo, fhi = live_chart.y_range(
        *forget_logs(lstm.sides), keep=forget_logs(ref_lstm), max_decades=FORGET_DECADES
    )
    return lo, hi, flo, fhi


def view_fingerprint(x, hidden_size: int, seed: int, rnn: Sweep, lstm: Sweep, x_label: str) -> str:
    """What :func:`view_data` was computed from (the committed values aside); trained sides differ by
    their weights, which show in their ratios."""
    ratios = [s.grads.log10_ratio for s in (*rnn.sides, *lstm.sides)]
    return fingerprint(x, hidden_size, seed, rnn.grid.values, lstm.grid.values, x_label, ratios)


def cross_data(
    x: np.ndarray, hidden_size: int, seed: int, rnn: Sweep, lstm: Sweep, x_label: str, marked: tuple = ()
) -> dict:
    """The committed values (``rnn.grid.index``, ``lstm.grid.index``) and the sentences that compare both
    models for every pair on the cross through them: every ρ at the committed bias, every bias at the
    committed ρ. ``view`` names the :func:`view_data` they belong to."""
    i0, j0 = rnn.grid.index, lstm.grid.index
    cross = [(i, j0) for i in range(len(rnn.sides))] + [(i0, j) for j in range(len(lstm.sides)) if j != j0]
    joint = {}
    for i, j in cross:
        r = _result(x, hidden_size, seed, rnn, lstm, i, j)
        joint[f"{i},{j}"] = {
            "lstm_readings": [runs(p) for p in lstm_readings(r)],
            "compare": _metric(notes.headline_metrics(r)[2]),
            "inputs": [
                runs(p) for p in [notes.input_reading(r, DX_DECADES), *notes.marked_steps_readings(r, marked)]
            ],
        }
    return {
        "view": view_fingerprint(x, hidden_size, seed, rnn, lstm, x_label),
        "index": {"rho": i0, "fb": j0},
        "joint": joint,
    }


# ------------------------------------------------------------------------------------------ lengths


def length_window(
    T: int,
    low: int,
    high: int,
    hidden_size: int,
    rnn_trained: bool = False,
    lstm_trained: bool = False,
    quick: bool = False,
) -> tuple[int, ...]:
    """The lengths next to ``T`` (not ``T`` itself: the committed view holds it) whose views are sent
    with it, within [low, high]: the nearest first, one longer and one shorter in turn, while they fit
    :data:`LENGTH_WORK_BUDGET` and :data:`LENGTH_BYTE_CAP` (``quick``: the nearest 2 × :data:`QUICK_LENGTHS`
    at most, for the first view of a new setting). Sorted."""
    runs = (1 if rnn_trained else 2) + (1 if lstm_trained else 2)  # the chaos check; the bias-0 run
    most = 2 * QUICK_LENGTHS if quick else high - low + 1
    out: list[int] = []
    work = size = 0
    for d in range(1, high - low + 1):
        for length in (T + d, T - d):
            if not low <= length <= high:
                continue
            w, b = length * hidden_size * runs, _length_bytes(length)
            if len(out) >= most or work + w > LENGTH_WORK_BUDGET or size + b > LENGTH_BYTE_CAP:
                return tuple(sorted(out))
            out.append(length)
            work, size = work + w, size + b
    return tuple(sorted(out))


def _length_bytes(T: int) -> int:
    """A generous estimate of one length's view: its lines and texts at one ρ and one bias (the view's
    estimate less its once-per-payload part), the two chart templates and the cross."""
    return _estimated_bytes(T, 1, 1) - _TEMPLATES_BYTES + _LENGTH_TEMPLATES_BYTES


def length_entry(
    x: np.ndarray,
    hidden_size: int,
    seed: int,
    rnn: Sweep,
    lstm: Sweep,
    x_label: str,
    ranges: tuple[float, float, float, float],
    trained_notes: dict[str, str] | None = None,
) -> dict:
    """The view of one other length (``x`` is the input at that length) at the committed ρ and bias (one
    value per grid), on the committed view's axes ``ranges``, with its cross: what the browser shows while
    the length slider rests on it, until Python has computed every ρ and bias there."""
    if len(rnn.sides) != 1 or len(lstm.sides) != 1:
        raise ValueError("a length's view holds one ρ and one bias")
    view = view_data(x, hidden_size, seed, rnn, lstm, x_label, trained_notes, ranges=ranges)
    return {"T": int(len(x)), "view": view, "cross": cross_data(x, hidden_size, seed, rnn, lstm, x_label)}


def view_ranges(view: dict) -> tuple[float, float, float, float]:
    """A :func:`view_data`'s y axes, as :func:`length_entry` takes them."""
    return view["chart"]["lo"], view["chart"]["hi"], view["forget"]["lo"], view["forget"]["hi"]


def length_data(view: dict, rho: float, fb: float, low: int, high: int, entries: Sequence[dict]) -> dict:
    """What the length slider needs: its range, the committed view it belongs to (``view``, from
    :func:`view_data`, whose length is the committed one), the ρ and bias its other lengths were computed
    at, and one :func:`length_entry` per other length (sorted by length)."""
    entries = sorted(entries, key=lambda e: e["T"])
    return {
        "view": view["fingerprint"],
        "T": view["T"],
        "rho": float(rho),
        "fb": float(fb),
        "low": int(low),
        "high": int(high),
        "step": 1,
        "label": LENGTH_LABEL,
        "help": LENGTH_HELP,
        "values": [e["T"] for e in entries],
        "entries": list(entries),
    }


def payload_bytes(payload: dict) -> int:
    """A payload's size as JSON text, as it travels to the browser."""
    return len(json.dumps(payload, ensure_ascii=False).encode())
