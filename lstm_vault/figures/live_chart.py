"""A log-scale line chart drawn once as an SVG template, whose lines a browser swaps without redrawing it.

The Vanishing gradients page moves ρ and the forget-gate bias in the browser (``pages/common/
gradient_live``): the axes, ticks, grid and legend are drawn here once per view, every line is an empty
``<path data-path="<key>">``, and :func:`path_d` gives each line's geometry for each slider value. The
browser only sets ``d`` attributes, so nothing about the chart is drawn in two languages.

The y axis is fixed for a whole view (every slider value the browser may show), so a curve visibly sinks or
rises as a slider moves. Its range is where the curves lie, at most :data:`MAX_DECADES` decades deep, and
always the whole of a reference setting's curves (the sliders' defaults), see :func:`y_range`; a point
beyond it (or an exact 0, which no log axis can show) is drawn on the edge, and :func:`clip_note` says so
in words.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np

from ..formatting import format_log10, power_of_ten, steps_text
from .log_axis import decade_step

#: the widest y range drawn, in decades (a chart may ask for less)
MAX_DECADES = 24
#: at most this many points per line (min and max of each bucket of steps are kept, so no spike is lost)
MAX_POINTS = 600
#: at most this many steps per line carry a value for the pointer's readout (:func:`hover_steps`)
HOVER_POINTS = 200

WIDTH, HEIGHT = 1000.0, 380.0  # a chart's size in SVG units (it scales to its column's width)
LEFT, RIGHT, TOP, BOTTOM = 74.0, 16.0, 36.0, 50.0
FONT = 15  # in SVG units
LEGEND_ROW = 22
FONT_FAMILY = "'Source Sans Pro', 'Source Sans 3', sans-serif"
GRID = "#d9dbe0"
INK = "#31333f"


@dataclass(frozen=True)
class Line:
    """One line of the legend and its path slot."""

    key: str
    name: str
    color: str
    width: float = 3.0
    dash: str | None = None  # an SVG stroke-dasharray
    opacity: float = 1.0


@dataclass(frozen=True)
class LogChart:
    """The frame of a chart: x from 0 to ``T - 1`` (time steps), y from 10**lo to 10**hi."""

    T: int
    lo: float
    hi: float
    x_title: str
    y_title: str
    width: float = WIDTH
    height: float = HEIGHT
    top: float = TOP  # room for the legend's rows above the frame

    def x(self, t) -> np.ndarray:
        span = max(self.T - 1, 1)
        return LEFT + (self.width - LEFT - RIGHT) * np.asarray(t, dtype=np.float64) / span

    def frame(self) -> dict:
        """What a browser needs to turn a pointer's x (SVG units) into a step: t = (x − left) ÷ plot_width ×
        (T − 1)."""
        return {"T": self.T, "left": LEFT, "plot_width": self.width - LEFT - RIGHT, "width": self.width}

    def y(self, log10_values) -> np.ndarray:
        """Rows (SVG units) of log10 values, clipped into the frame (-inf and nan on the bottom edge)."""
        logs = np.nan_to_num(np.asarray(log10_values, dtype=np.float64), nan=-np.inf)
        logs = np.clip(logs, self.lo, self.hi)
        return self.top + (self.height - self.top - BOTTOM) * (self.hi - logs) / (self.hi - self.lo)


def _legend(lines: tuple[Line, ...], width: float) -> list[tuple[Line, float, float]]:
    """Each legend entry's (line, x, y): in rows above the frame, a new row where one would overflow."""
    out, x, y = [], LEFT, 16.0
    for line in lines:
        w = 32 + 0.56 * FONT * len(line.name) + 20
        if x > LEFT and x + w > width - RIGHT:
            x, y = LEFT, y + LEGEND_ROW
        out.append((line, x, y))
        x += w
    return out


def log_chart(
    T: int, lo: float, hi: float, x_title: str, y_title: str, lines: tuple[Line, ...], **size
) -> LogChart:
    """A chart frame with room above it for the legend of ``lines`` (``size``: width, height)."""
    rows = len({y for _, _, y in _legend(lines, size.get("width", WIDTH))})
    return LogChart(T, lo, hi, x_title, y_title, top=TOP + LEGEND_ROW * (rows - 1), **size)


def _finite(logs) -> np.ndarray:
    values = np.concatenate([np.ravel(np.asarray(v, dtype=np.float64)) for v in logs] or [np.zeros(0)])
    return values[np.isfinite(values)]


def y_range(*logs, keep=(), max_decades: float = MAX_DECADES) -> tuple[float, float]:
    """Whole decades around the finite values of some log10 arrays, at most ``max_decades`` deep.

    keep: log10 arrays (a reference setting's curves) whose whole range the axis shows where it fits in
    ``max_decades``; what is left of the depth goes to the others, the highest first.
    """
    values = _finite(logs)
    if not values.size:
        return -1.0, 1.0
    top, bottom = math.ceil(float(values.max()) - 1e-9), math.floor(float(values.min()) + 1e-9)
    if top - bottom <= max_decades:
        return float(min(bottom, top - 1)), float(top)
    kept = _finite(keep)
    if kept.size:
        k_hi, k_lo = math.ceil(float(kept.max()) - 1e-9), math.floor(float(kept.min()) + 1e-9)
        top = min(top, max(k_hi, k_lo + max_decades))
    return float(max(bottom, top - max_decades)), float(top)


def hover_steps(T: int, most: int = HOVER_POINTS) -> np.ndarray:
    """The steps whose values the pointer's readout shows: every step up to ``most`` of them, else every
    k-th step (and the last), so a long line stays small."""
    stride = max(1, math.ceil(T / most))
    steps = np.arange(0, T, stride)
    return steps if steps[-1] == T - 1 else np.append(steps, T - 1)


def hover_texts(log10_values, steps) -> list[str]:
    """The values of one line at ``steps``, as people read them (:func:`~lstm_vault.formatting.format_log10`:
    "3.2 × 10⁻⁴"; "0" for an exact zero)."""
    logs = np.asarray(log10_values, dtype=np.float64).ravel()
    return [format_log10(v) for v in logs[np.asarray(steps, dtype=int)]]


def path_d(chart: LogChart, log10_values, max_points: int = MAX_POINTS) -> str:
    """The SVG path of one line over steps 0..T-1 (T = len(values)); a long line keeps its first and last
    step and each bucket's lowest and highest point, in step order (at most ``max_points`` points)."""
    logs = np.asarray(log10_values, dtype=np.float64).ravel()
    t = np.arange(logs.size)
    if logs.size > max_points:
        edges = np.linspace(0, logs.size, (max_points - 2) // 2 + 1).astype(int)
        keep = []
        for a, b in zip(edges[:-1], edges[1:]):
            seg = np.nan_to_num(logs[a:b], nan=-np.inf)
            pair = sorted({a + int(np.argmin(seg)), a + int(np.argmax(seg))})
            keep += pair
        t = np.asarray(sorted({0, *keep, logs.size - 1}))  # the line still spans the whole frame
        logs = logs[t]
    xs, ys = chart.x(t), chart.y(logs)
    return "M" + "L".join(f"{x:.0f},{y:.0f}" for x, y in zip(xs, ys))


def _nice_step(span: float, most: int = 8) -> int:
    for base in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000):
        if span / base <= most:
            return base
    return 10 ** math.ceil(math.log10(span))


def _text(x, y, label, anchor="middle", size=FONT, extra="") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{INK}" text-anchor="{anchor}" '
        f'dominant-baseline="central"{extra}>{html.escape(label, quote=False)}</text>'
    )


def chart_svg(chart: LogChart, lines: tuple[Line, ...], title: str, clip_id: str = "lv-frame") -> str:
    """The chart's template: frame, ticks, grid, axis titles, the legend and one empty path per line."""
    x0, x1, y0, y1 = LEFT, chart.width - RIGHT, chart.top, chart.height - BOTTOM
    parts = [f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" fill="none" stroke="{GRID}"/>']
    step = decade_step(chart.hi - chart.lo)
    for k in np.arange(math.ceil(chart.lo / step) * step, chart.hi + 1e-9, step):
        y = float(chart.y(k))
        parts.append(f'<line x1="{x0}" x2="{x1}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(_text(x0 - 6, y, power_of_ten(int(k)) if k else "1", anchor="end"))
    tstep = _nice_step(max(chart.T - 1, 1))
    for t in range(0, chart.T, tstep):
        x = float(chart.x(t))
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y0}" y2="{y1}" stroke="{GRID}" stroke-opacity="0.6"/>'
        )
        parts.append(_text(x, y1 + 14, str(t)))
    parts.append(_text((x0 + x1) / 2, chart.height - 12, chart.x_title))
    mid = (y0 + y1) / 2
    parts.append(_text(16, mid, chart.y_title, extra=f' transform="rotate(-90 16 {mid:.1f})"'))
    for line, lx, ly in _legend(lines, chart.width):  # the legend: rows above the frame
        dash = f' stroke-dasharray="{line.dash}"' if line.dash else ""
        parts.append(
            f'<line x1="{lx:.1f}" x2="{lx + 26:.1f}" y1="{ly:.1f}" y2="{ly:.1f}" stroke="{line.color}" '
            f'stroke-width="{line.width:g}"{dash} stroke-opacity="{line.opacity:g}"/>'
        )
        parts.append(_text(lx + 32, ly, line.name, anchor="start"))
    # the pointer's guide: hidden until the browser moves it to a step (its x1, x2)
    parts.append(
        f'<line data-guide="" x1="{x0}" x2="{x0}" y1="{y0}" y2="{y1}" stroke="{INK}" stroke-opacity="0.45" '
        'stroke-dasharray="3 3" visibility="hidden" pointer-events="none"/>'
    )
    frame = f'<rect x="{x0}" y="{y0 - 2}" width="{x1 - x0}" height="{y1 - y0 + 4}"/>'
    parts.append(f'<clipPath id="{clip_id}">{frame}</clipPath>')
    for line in lines:
        dash = f' stroke-dasharray="{line.dash}"' if line.dash else ""
        parts.append(
            f'<path data-path="{line.key}" d="" fill="none" stroke="{line.color}" '
            f'stroke-width="{line.width:g}"{dash} stroke-opacity="{line.opacity:g}" stroke-linejoin="round" '
            f'clip-path="url(#{clip_id})"/>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {chart.width:.0f} {chart.height:.0f}" '
        f'role="img" '
        f'style="width: 100%; height: auto; display: block" font-family="{FONT_FAMILY}">'
        f"<title>{html.escape(title, quote=False)}</title>{''.join(parts)}</svg>"
    )


def clip_note(label: str, logs, lo: float, hi: float) -> list[str]:
    """What a chart whose y axis runs from 10**lo to 10**hi cannot show of one curve, one sentence per
    kind: exact zeros (which no log axis can show), values below the axis, values above it."""
    notes, low, high = [], power_of_ten(int(math.floor(lo))), power_of_ten(int(math.ceil(hi)))
    logs = np.asarray(logs, dtype=np.float64)
    zero, below, above = logs == -np.inf, (logs < lo) & (logs > -np.inf), logs > hi
    if zero.any():
        notes.append(
            f"{label} is exactly 0 at {steps_text(int(zero.sum()))} (from t = "
            f"{int(np.nonzero(zero)[0][-1])} back): drawn at {low}, since a log axis cannot show 0."
        )
    if below.any():
        notes.append(
            f"{label} is below {low} at {steps_text(int(below.sum()))} (smallest "
            f"{format_log10(logs[below].min())}): drawn at {low}, the bottom edge of the chart."
        )
    if above.any():
        notes.append(
            f"{label} is above {high} at {steps_text(int(above.sum()))} (largest "
            f"{format_log10(logs[above].max())}): drawn at {high}, the top edge of the chart."
        )
    return notes
