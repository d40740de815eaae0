"""Figures of one recurrent layer's forward pass: the drawn cell, the timeline of every gate, the input.

- :func:`cell_diagram`: the LSTM cell drawn with shapes and annotations (the conveyor belt on top,
  the gates below), either symbolic or carrying one unit's numbers at one step;
- :func:`timeline`: forget, input, output gates, candidate, cell and hidden state over all steps
  (lines for a few units, heatmaps time x unit for many), with the input on top;
- :func:`input_figure`: the input sequence with step t marked;
- :func:`gates_at_t`: every unit's gate values at one step, as bars.

Pure builders: data in, ``go.Figure`` out; the numbers they show are also kept in
``layout.meta`` so tests can compare them with the trace. No WebGL trace types.
Timeline geometry (margins, x domain, x range ``[-0.5, T - 0.5]``) is fixed, so a page can mark
step t over the figure from outside it: see :func:`marker_fraction`.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from ..explain import fmt
from .style import COLORS, DIVERGING, FONT_SIZE, NAMES, SEQUENTIAL, base_layout

#: lines up to this many units, heatmaps above
MAX_LINE_UNITS = 8
#: one colour per unit in line mode (Okabe-Ito order, then greys)
UNIT_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999")
#: timeline geometry, fixed so that a marker drawn outside the figure lines up with step t
TIMELINE_MARGIN = {"l": 100, "r": 10, "t": 10, "b": 45}
TIMELINE_X_DOMAIN = (0.0, 0.9)  # colour bars and legends live in the last 10 %
ROWS = {  # quantity -> (row title, kind) per architecture, top to bottom after the input
    "lstm": ("f", "i", "g", "c", "o", "h"),
    "gru": ("r", "z", "n", "h"),
    "rnn": ("h",),
}
GATE_KINDS = {"f", "i", "o", "r", "z"}  # values in [0, 1]


def _figure(data: list[dict], layout: dict) -> go.Figure:
    """A Figure from plain dicts without plotly's per-property validation (about 40x faster for a
    drawing of ~60 shapes, which matters inside the slider's rerun); tests re-validate every builder."""
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def _styled(fig: go.Figure, **kw) -> go.Figure:
    """:func:`base_layout`, with the template name it sets replaced by the template itself (an
    unvalidated figure would send the bare name, which plotly.js does not know)."""
    base_layout(fig, **kw)
    name = fig.layout._props.get("template")  # the raw value, before any property access coerces it
    if isinstance(name, str):
        fig.layout.template = pio.templates[name]
    return fig


def _sub(name: str) -> str:
    """``h_prev`` -> "hₜ₋₁", ``c`` -> "cₜ": Unicode subscripts, which plotly.js draws as one text run
    (``<sub>`` markup costs a tspan each on every redraw)."""
    return {"h_prev": "h\u209c\u208b\u2081", "c_prev": "c\u209c\u208b\u2081"}.get(name, f"{name}\u209c")


# ---------------------------------------------------------------------------------- cell diagram

# Canvas coordinates of the drawing: x in [0, 16], y in [0, 9]; the belt runs along y = BELT.
BELT, BUS, GATE_Y = 7.4, 1.3, 3.4
GATE_X = {"f": 4.0, "i": 6.3, "g": 8.6, "o": 10.9}
GATE_W, GATE_H = 2.0, 1.45
MUL_F, MUL_IG, ADD = (4.0, BELT), (7.45, 5.5), (7.45, BELT)
TANH_C, MUL_O = (12.8, 5.6), (12.8, GATE_Y)
GATE_ROLE = {"f": "forget", "i": "input", "g": "candidate", "o": "output"}


class _Strokes:
    """Lines and arrowheads gathered into one path shape per colour and width: the diagram is
    re-created on every step (Streamlit remounts a chart whose figure changed), so fewer SVG
    elements means a faster step."""

    def __init__(self):
        self.paths: dict[tuple[str, float], list[str]] = {}

    def line(self, x0, y0, x1, y1, color, width=3):
        self.paths.setdefault((color, width), []).append(f"M{x0:.3f},{y0:.3f}L{x1:.3f},{y1:.3f}")

    def arrow(self, x, y, ax, ay, color, width=3, length=0.38, half_width=0.2):
        """A filled arrowhead with its tip at (x, y), pointing away from (ax, ay)."""
        d = np.array([x - ax, y - ay], dtype=float)
        d /= np.hypot(*d)
        n = np.array([-d[1], d[0]])
        base = np.array([x, y]) - length * d
        p1, p2 = base + half_width * n, base - half_width * n
        self.paths.setdefault((color, width), []).append(
            f"M{x:.3f},{y:.3f}L{p1[0]:.3f},{p1[1]:.3f}L{p2[0]:.3f},{p2[1]:.3f}Z"
        )

    def shapes(self) -> list[dict]:
        # a two-point subpath encloses no area, so one fill colours the arrowheads only
        return [
            {
                "type": "path",
                "path": "".join(parts),
                "line": {"color": color, "width": width},
                "fillcolor": color,
                "layer": "below",
            }
            for (color, width), parts in self.paths.items()
        ]


def _op(center, color, r=0.42):
    """A pointwise operation's circle (its symbol is a text item)."""
    x, y = center
    return {
        "type": "circle",
        "x0": x - r,
        "y0": y - r,
        "x1": x + r,
        "y1": y + r,
        "line": {"color": color, "width": 2.5},
        "fillcolor": "white",
        "layer": "below",
    }


def cell_diagram(
    values: dict | None = None,
    unit: int | None = None,
    t: int | None = None,
    height: int = 380,
    x_text: str | None = None,
) -> go.Figure:
    """The LSTM cell, drawn. ``values`` (from :func:`lstm_vault.explain.step_values`) puts one unit's
    numbers on it; None draws the symbolic version (the home page's). ``x_text`` replaces the shown
    input value (for an input of several features, whose first alone ``values["x"]`` holds).

    Each gate box fills up to its value (a gate at 0.93 is 93 % full; the candidate fills from the
    middle, up for positive, down for negative). ``layout.meta`` holds the numbers shown.

    Built for the slider: lines, boxes and arrowheads are shapes, and every label is one point of
    a single text trace (no annotations, which plotly.js measures one by one on every redraw).
    """
    v = values
    shapes = []  # the same for every step, so plotly.js leaves them alone when only numbers change
    texts = []  # (x, y, text, colour, size, textposition)
    fills = []  # gate levels: (x, bottom, height, colour), drawn as bars
    grey, cc, hc = "#666666", COLORS["c"], COLORS["h"]

    def text(x, y, label, color="#222222", size=FONT_SIZE, position="middle center"):
        texts.append((x, y, label, color, size, position))

    # the cell body, then every line: the conveyor belt c_{t-1} -> c_t along the top, the bus
    # [h_{t-1}, x_t] along the bottom feeding the four gates, f -> x on the belt, i and g -> x -> +,
    # o -> x with tanh(c) -> h_t
    shapes.append(
        {
            "type": "rect",
            "x0": 1.6,
            "y0": 0.55,
            "x1": 14.6,
            "y1": 8.35,
            "line": {"color": "#BBBBBB", "width": 1.5},
            "fillcolor": "#F7F7F7",
            "layer": "below",
        }
    )
    k = _Strokes()
    k.line(0.3, BELT, 15.6, BELT, cc, 5)
    k.arrow(15.95, BELT, 15.0, BELT, cc, 5, 0.42, 0.24)
    k.line(0.3, BUS, GATE_X["o"], BUS, grey)
    for gx in GATE_X.values():
        k.line(gx, BUS, gx, GATE_Y - GATE_H / 2, grey)
    k.line(2.6, -0.25, 2.6, BUS - 0.3, COLORS["x"])
    k.arrow(2.6, BUS - 0.05, 2.6, 0.2, COLORS["x"])
    k.line(GATE_X["f"], GATE_Y + GATE_H / 2, MUL_F[0], MUL_F[1] - 0.6, COLORS["f"])
    k.arrow(MUL_F[0], MUL_F[1] - 0.45, MUL_F[0], GATE_Y, COLORS["f"])
    k.line(GATE_X["i"], GATE_Y + GATE_H / 2, GATE_X["i"], MUL_IG[1], COLORS["i"])
    k.line(GATE_X["i"], MUL_IG[1], *MUL_IG, COLORS["i"])
    k.line(GATE_X["g"], GATE_Y + GATE_H / 2, GATE_X["g"], MUL_IG[1], COLORS["g"])
    k.line(GATE_X["g"], MUL_IG[1], *MUL_IG, COLORS["g"])
    k.line(MUL_IG[0], MUL_IG[1], ADD[0], ADD[1] - 0.6, "#444444")
    k.arrow(ADD[0], ADD[1] - 0.45, ADD[0], MUL_IG[1], "#444444")
    k.line(TANH_C[0], BELT, *TANH_C, cc)
    k.line(*TANH_C, *MUL_O, cc)
    k.line(GATE_X["o"] + GATE_W / 2, GATE_Y, *MUL_O, COLORS["o"])
    k.line(MUL_O[0], MUL_O[1], MUL_O[0], BUS, hc, 4)
    k.line(MUL_O[0], BUS, 15.6, BUS, hc, 4)
    k.arrow(15.95, BUS, 15.0, BUS, hc, 4, 0.42, 0.24)
    shapes += k.shapes()

    # the gates: a box that fills to the gate's value
    for g, gx in GATE_X.items():
        x0, x1, y0, y1 = gx - GATE_W / 2, gx + GATE_W / 2, GATE_Y - GATE_H / 2, GATE_Y + GATE_H / 2
        shapes.append(
            {
                "type": "rect",
                "x0": x0,
                "y0": y0,
                "x1": x1,
                "y1": y1,
                "fillcolor": "white",
                "line": {"color": COLORS[g], "width": 2.5},
                "layer": "below",
            }
        )
        if v is not None:
            val = float(np.clip(v[g], -1.0, 1.0))
            lo, hi = (y0, y0 + val * GATE_H) if g != "g" else sorted((GATE_Y, GATE_Y + val * GATE_H / 2))
            fills.append((gx, lo, hi - lo, COLORS[g]))
        fn = "tanh" if g == "g" else "σ"
        label = f"{g} = {fmt(v[g])}" if v is not None else f"{_sub(g)} = {fn}"
        text(gx, GATE_Y - 0.25, label, "#111111" if v is not None else COLORS[g], FONT_SIZE - 1)
        text(gx, GATE_Y + 0.33, GATE_ROLE[g], COLORS[g], FONT_SIZE - 2)

    # pointwise operations, drawn over the lines
    for center, sym, color in (
        (MUL_F, "×", COLORS["f"]),
        (MUL_IG, "×", COLORS["i"]),
        (ADD, "+", "#444444"),
        (MUL_O, "×", COLORS["o"]),
    ):
        shapes.append(_op(center, color))
        text(*center, sym, color, FONT_SIZE + 3)
    shapes.append(
        {
            "type": "rect",
            "x0": TANH_C[0] - 0.6,
            "y0": TANH_C[1] - 0.32,
            "x1": TANH_C[0] + 0.6,
            "y1": TANH_C[1] + 0.32,
            "fillcolor": "white",
            "line": {"color": cc, "width": 2.5},
            "layer": "below",
        }
    )
    text(*TANH_C, "tanh", cc)

    # what flows in and out ("middle right" = text to the right of its point), and the products
    def num(key):
        return "" if v is None else f" = {fmt(v[key])}"

    dark = (
        {"c": "#9A6700", "h": "#1F6F99", "x": COLORS["x"]}
        if v is not None
        else {"c": cc, "h": hc, "x": COLORS["x"]}
    )

    text(0.3, BELT + 0.42, f"{_sub('c_prev')}{num('c_prev')}", dark["c"], position="middle right")
    text(15.7, BELT + 0.42, f"{_sub('c')}{num('c')}", dark["c"], position="middle left")
    text(0.3, BUS + 0.4, f"{_sub('h_prev')}{num('h_prev')}", dark["h"], position="middle right")
    text(15.7, BUS - 0.42, f"{_sub('h')}{num('h')}", dark["h"], position="middle left")
    text(
        2.85,
        -0.05,
        f"{_sub('x')}{num('x') if x_text is None else ' = ' + x_text}",
        dark["x"],
        position="middle right",
    )
    small = FONT_SIZE - 1
    if v is None:
        text(MUL_F[0] + 0.55, BELT - 0.45, "keep", COLORS["f"], small, "middle right")
        text(MUL_IG[0] - 0.5, MUL_IG[1] + 0.45, "write", COLORS["i"], small, "middle left")
        text(MUL_O[0] + 0.55, MUL_O[1] - 0.5, "show", COLORS["o"], small, "middle right")
        text(8.2, BELT + 0.45, "cell state: the conveyor belt", cc, small, "middle right")
        text(
            3.0,
            BUS - 0.42,
            f"[{_sub('h_prev')}, {_sub('x')}] goes into every gate",
            "#555555",
            small,
            "middle right",
        )
    else:
        text(MUL_F[0] + 0.55, BELT - 0.45, f"f·c = {fmt(v['kept'])}", COLORS["f"], small, "middle right")
        text(
            MUL_IG[0] - 0.5, MUL_IG[1] + 0.45, f"i·g = {fmt(v['written'])}", COLORS["i"], small, "middle left"
        )
        text(TANH_C[0] + 0.7, TANH_C[1], f"= {fmt(v['tanh_c'])}", cc, small, "middle right")

    xs, ys, labels, colors, sizes, positions = (list(col) for col in zip(*texts))
    data = []
    if fills:
        fx, fbase, fheight, fcolor = (list(col) for col in zip(*fills))
        data.append(
            {
                "type": "bar",
                "x": fx,
                "y": fheight,
                "base": fbase,
                "width": GATE_W - 0.12,
                "opacity": 0.35,
                "marker": {"color": fcolor, "line": {"width": 0}},
                "hoverinfo": "skip",
                "showlegend": False,
            }
        )
    data += [
        {
            "type": "scatter",
            "mode": "text",
            "x": xs,
            "y": ys,
            "text": labels,
            "textposition": positions,
            "textfont": {"color": colors, "size": sizes},
            "hoverinfo": "skip",
            "showlegend": False,
        }
    ]
    layout = dict(
        shapes=shapes,
        height=height,
        showlegend=False,
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin={"l": 5, "r": 5, "t": 5, "b": 5},
        font={"size": FONT_SIZE},
        xaxis={"range": [0, 16], "visible": False, "fixedrange": True, "constrain": "domain"},
        yaxis={
            "range": [-0.4, 8.8],
            "visible": False,
            "fixedrange": True,
            "scaleanchor": "x",
            "constrain": "domain",
        },
        meta={"values": dict(v) if v is not None else None, "unit": unit, "t": t},
    )
    return _figure(data, layout)


# -------------------------------------------------------------------------------------- timeline


def marker_fraction(t: int, T: int) -> float:
    """Where step t's centre sits across the timeline's x domain, as a fraction in (0, 1)."""
    return (t + 0.5) / T


def _input_matrix(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x[:, None] if x.ndim == 1 else x.reshape(x.shape[0], -1)


def timeline(
    lt,
    batch: int = 0,
    t: int | None = None,
    row_height: int | None = None,
    max_line_units: int = MAX_LINE_UNITS,
) -> go.Figure:
    """Every gate, the candidate, cell and hidden state over time for one layer trace, input on top.

    Lines (one per unit) when H <= ``max_line_units``, else heatmaps with time across and units
    down. ``t`` draws a vertical line at that step (pages may mark it from outside instead).
    The heatmaps' ``z`` are the trace's arrays transposed to (H, T), in float32 to halve what is sent.
    """
    T, H = lt.h.shape[0], lt.h.shape[-1]
    rows = ["x", *ROWS[lt.arch]]
    lines = max_line_units >= H
    row_height = row_height or (70 if lines else max(70, min(110, 40 + 2 * H)))
    input_height = 70
    gap = 12
    plot_px = input_height + row_height * (len(rows) - 1) + gap * (len(rows) - 1)
    height = plot_px + TIMELINE_MARGIN["t"] + TIMELINE_MARGIN["b"]
    xs = np.arange(T)
    data, layout = [], {}
    top = plot_px
    for k, name in enumerate(rows):
        px = input_height if name == "x" else row_height
        domain = [max(0.0, (top - px) / plot_px), top / plot_px]
        top -= px + gap
        axis = "" if k == 0 else str(k + 1)
        title = "input x" if name == "x" else NAMES[name].replace(" gate ", " ").replace("state ", "")
        layout[f"yaxis{axis}"] = {
            "domain": domain,
            "title": {"text": title, "font": {"size": FONT_SIZE - 2, "color": COLORS[name]}},
            "automargin": False,
            "fixedrange": True,
            "showgrid": name == "x" or lines,
            "nticks": 3,
        }
        layout[f"xaxis{axis}"] = {
            "domain": list(TIMELINE_X_DOMAIN),
            "range": [-0.5, T - 0.5],
            "anchor": f"y{axis}",
            "showticklabels": k == len(rows) - 1,
            "automargin": False,
            "fixedrange": True,
            **({"matches": "x"} if k else {}),
        }
        xa, ya = f"x{axis}", f"y{axis}"
        if name == "x":
            xin = _input_matrix(lt.x[:, batch])
            if xin.shape[1] == 1:
                data.append(
                    {
                        "type": "scatter",
                        "x": xs,
                        "y": xin[:, 0],
                        "mode": "lines",
                        "name": "input",
                        "line": {"color": COLORS["x"], "width": 2},
                        "xaxis": xa,
                        "yaxis": ya,
                        "showlegend": False,
                        "hovertemplate": "t=%{x}<br>x=%{y:.3f}<extra></extra>",
                    }
                )
            else:
                data.append(
                    {
                        "type": "heatmap",
                        "z": xin.T,
                        "x": xs,
                        "colorscale": "Greys",
                        "reversescale": True,  # 0 white, 1 black: one-hot symbols and markers stand out
                        "showscale": False,
                        "xaxis": xa,
                        "yaxis": ya,
                        "hovertemplate": "t=%{x}, input %{y}: %{z:.3f}<extra></extra>",
                    }
                )
            continue
        values = np.asarray(getattr(lt, name)[:, batch, :])  # (T, H)
        gate = name in GATE_KINDS
        if lines:
            for u in range(H):
                data.append(
                    {
                        "type": "scatter",
                        "x": xs,
                        "y": values[:, u],
                        "mode": "lines",
                        "xaxis": xa,
                        "yaxis": ya,
                        "line": {"color": UNIT_COLORS[u % len(UNIT_COLORS)], "width": 2},
                        "name": f"unit {u}",
                        "legendgroup": f"u{u}",
                        "showlegend": k == 1,
                        "hovertemplate": f"unit {u}, t=%{{x}}: %{{y:.3f}}<extra>{name}</extra>",
                    }
                )
            if gate:
                layout[f"yaxis{axis}"]["range"] = [-0.05, 1.05]
            elif name in ("g", "h", "n"):
                layout[f"yaxis{axis}"]["range"] = [-1.05, 1.05]
        else:
            zmax = 1.0 if name != "c" else max(1.0, float(np.abs(values).max()))
            data.append(
                {
                    "type": "heatmap",
                    "z": values.T.astype(
                        np.float32
                    ),  # half the bytes; 7 significant digits is plenty to look at
                    "x": xs,
                    "y": np.arange(H),
                    "xaxis": xa,
                    "yaxis": ya,
                    "colorscale": SEQUENTIAL if gate else DIVERGING,
                    "zmin": 0.0 if gate else -zmax,
                    "zmax": zmax,
                    "colorbar": {
                        "x": TIMELINE_X_DOMAIN[1] + 0.01,
                        "xanchor": "left",
                        "y": sum(domain) / 2,
                        "len": domain[1] - domain[0],
                        "thickness": 12,
                        "tickfont": {"size": FONT_SIZE - 4},
                        "outlinewidth": 0,
                    },
                    "hovertemplate": f"t=%{{x}}, unit %{{y}}: %{{z:.3f}}<extra>{name}</extra>",
                }
            )
            layout[f"yaxis{axis}"].update({"range": [H - 0.5, -0.5], "nticks": 4})
    layout[f"xaxis{len(rows)}"]["title"] = {"text": "time step t", "standoff": 5}
    if t is not None:
        layout["shapes"] = [_marker(t)]
    fig = _styled(_figure(data, layout), height=height)
    fig.update_layout(
        margin=TIMELINE_MARGIN,
        hovermode="closest",
        legend={
            "orientation": "v",
            "x": TIMELINE_X_DOMAIN[1] + 0.01,
            "y": 1,
            "yanchor": "top",
            "font": {"size": FONT_SIZE - 3},
        },
    )
    return fig


def _marker(t: int) -> dict:
    return {
        "type": "line",
        "x0": t,
        "x1": t,
        "xref": "x",
        "y0": 0,
        "y1": 1,
        "yref": "paper",
        "line": {"color": "#111111", "width": 2},
        "name": "t marker",
    }


def input_figure(x, t: int | None = None, height: int = 160, title: str | None = None) -> go.Figure:
    """The input sequence (first feature when x is (T, I)) with step t marked by a line and a dot."""
    xin = _input_matrix(np.asarray(x).reshape(len(x), -1))[:, 0]
    T = len(xin)
    data = [
        {
            "type": "scatter",
            "x": np.arange(T),
            "y": xin,
            "mode": "lines",
            "name": "input",
            "line": {"color": COLORS["x"], "width": 2},
            "hovertemplate": "t=%{x}<br>x=%{y:.3f}<extra></extra>",
        }
    ]
    layout = {"showlegend": False, "xaxis": {"range": [-0.5, T - 0.5], "title": {"text": "time step t"}}}
    if t is not None:
        layout["shapes"] = [_marker(t)]
        data.append(
            {
                "type": "scatter",
                "x": [t],
                "y": [xin[t]],
                "mode": "markers",
                "name": f"x at t = {t}",
                "marker": {"size": 11, "color": "#111111"},
                "hovertemplate": "t=%{x}<br>x=%{y:.3f}<extra></extra>",
            }
        )
    fig = _styled(_figure(data, layout), title=title, height=height)
    fig.update_layout(margin={"t": 40 if title else 10, "b": 40})
    return fig


def gates_at_t(lt, t: int, batch: int = 0, height: int = 260) -> go.Figure:
    """Each unit's gate values (and candidate) at step t as grouped bars: the whole layer at a glance.
    A vanilla RNN has no gates: its hidden state is shown instead."""
    H = lt.h.shape[-1]
    units = np.arange(H)
    data = [
        {
            "type": "bar",
            "x": units,
            "y": np.asarray(getattr(lt, name)[t, batch]),
            "name": NAMES[name],
            "marker": {"color": COLORS[name]},
            "hovertemplate": f"unit %{{x}}: %{{y:.3f}}<extra>{name}</extra>",
        }
        for name in lt.gates or ("h",)
    ]
    layout = {
        "barmode": "group",
        "bargap": 0.15,
        "yaxis": {"range": [-1.05, 1.05], "title": {"text": "value at t"}},
        "xaxis": {"title": {"text": "unit"}, **({"dtick": 1} if H <= 16 else {})},
        "meta": {"t": t},
    }
    fig = _styled(_figure(data, layout), height=height)
    fig.update_layout(hovermode="closest", margin={"t": 40, "b": 45, "l": 60})
    return fig
