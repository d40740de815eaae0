"""Figures of one recurrent layer's forward pass: the drawn cell, the timeline of every gate, the input.

- :func:`cell_diagram`: the LSTM cell (the conveyor belt on top, the gates below), either symbolic
  or carrying one unit's numbers at one step: :mod:`.drawing`'s primitives as a plotly figure;
- :func:`timeline`: forget, input, output gates, candidate, cell and hidden state over all steps
  (lines for a few units, heatmaps time x unit for many), with the input on top and, for a model with a
  read-out, its prediction and target under it;
- :func:`input_figure`: the input sequence with step t marked;
- :func:`gates_at_t`: every unit's gate values at one step, as bars.

Pure builders: data in, ``go.Figure`` out; the numbers they show are also kept in
``layout.meta`` so tests can compare them with the trace. No WebGL trace types.
Timeline geometry (margins, x domain, x range ``[-0.5, T - 0.5]``) is fixed, so a page can mark
step t over the figure from outside it: see :func:`marker_fraction`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from . import drawing
from .drawing import GATE_H, GATE_W  # noqa: F401  (re-exported: the drawing's geometry)
from .style import COLORS, DIVERGING, FONT_SIZE, NAMES, SEQUENTIAL, base_layout

#: lines up to this many units, heatmaps above
MAX_LINE_UNITS = 8
#: one colour per unit in line mode (Okabe-Ito, with wine in place of its black: black is the step marker)
UNIT_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#882255", "#999999")
#: timeline geometry, fixed so that a marker drawn outside the figure lines up with step t
TIMELINE_MARGIN = {"l": 100, "r": 10, "t": 10, "b": 45}
TIMELINE_X_DOMAIN = (0.0, 0.9)  # colour bars and legends live in the last 10 %
ROWS = {  # quantity -> (row title, kind) per architecture, top to bottom after the input
    "lstm": ("f", "i", "g", "c", "o", "h"),
    "gru": ("r", "z", "n", "h"),
    "rnn": ("h",),
}
GATE_KINDS = {"f", "i", "o", "r", "z"}  # values in [0, 1]
MAX_TEXT_STEPS = 160  # an input row written as text stays readable up to this many steps


def _figure(data: list[dict], layout: dict) -> go.Figure:
    """A Figure from plain dicts (plotly validates them: about 0.1 s for a 200-step timeline, paid once per
    trace, since the pages cache these figures)."""
    return go.Figure(data=data, layout=layout)


_styled = base_layout


# ---------------------------------------------------------------------------------- cell diagram

_POSITION = {"start": "middle right", "middle": "middle center", "end": "middle left"}  # plotly's words


def _plotly_shape(s: drawing.Shape) -> dict:
    paint = {"line": {"color": s.stroke, "width": s.width}, "fillcolor": s.fill, "layer": "below"}
    if s.kind == "rect":
        x0, y0, x1, y1 = s.geometry
        return {"type": "rect", "x0": x0, "y0": y0, "x1": x1, "y1": y1, **paint}
    if s.kind == "circle":
        x, y, r = s.geometry
        return {"type": "circle", "x0": x - r, "y0": y - r, "x1": x + r, "y1": y + r, **paint}
    # a two-point subpath encloses no area, so the one fill colours the arrowheads only
    path = "".join(
        "M" + "L".join(f"{x:.3f},{y:.3f}" for x, y in points) + ("Z" if closed else "")
        for points, closed in s.geometry
    )
    return {"type": "path", "path": path, **paint}


def cell_diagram(
    values: dict | None = None,
    unit: int | None = None,
    t: int | None = None,
    height: int = 380,
    x_text: str | None = None,
    arch: str = "lstm",
) -> go.Figure:
    """The cell of ``arch`` (lstm, gru or rnn), drawn (:data:`lstm_vault.figures.drawing.CELLS`) as
    a plotly figure.
    ``values`` (from :func:`lstm_vault.explain.step_values`) puts one unit's numbers on it; None
    draws the symbolic version (the home page's). ``x_text`` replaces the shown input value (for an
    input of several features, whose first alone ``values["x"]`` holds).

    Each gate box fills up to its value (a gate at 0.93 is 93 % full; the candidate fills from the
    middle, up for positive, down for negative). ``layout.meta`` holds the numbers shown.
    Lines, boxes and arrowheads are shapes, the fills one bar trace, and every label one point of a
    single text trace (no annotations, which plotly.js measures one by one on every redraw).
    """
    d = drawing.CELLS[arch](values, x_text)
    data = []
    if d.fills:
        data.append(
            {
                "type": "bar",
                "x": [f.x for f in d.fills],
                "y": [f.height for f in d.fills],
                "base": [f.base for f in d.fills],
                "width": drawing.FILL_W,
                "opacity": drawing.FILL_OPACITY,
                "marker": {"color": [f.color for f in d.fills], "line": {"width": 0}},
                "hoverinfo": "skip",
                "showlegend": False,
            }
        )
    data.append(
        {
            "type": "scatter",
            "mode": "text",
            "x": [tx.x for tx in d.texts],
            "y": [tx.y for tx in d.texts],
            "text": [tx.label for tx in d.texts],
            "textposition": [_POSITION[tx.anchor] for tx in d.texts],
            "textfont": {"color": [tx.color for tx in d.texts], "size": [tx.size for tx in d.texts]},
            "hoverinfo": "skip",
            "showlegend": False,
        }
    )
    layout = dict(
        shapes=[_plotly_shape(s) for s in d.shapes],
        height=height,
        showlegend=False,
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin={"l": 5, "r": 5, "t": 5, "b": 5},
        font={"size": FONT_SIZE},
        xaxis={"range": list(drawing.X_RANGE), "visible": False, "fixedrange": True, "constrain": "domain"},
        yaxis={
            "range": list(drawing.Y_RANGE),
            "visible": False,
            "fixedrange": True,
            "scaleanchor": "x",
            "constrain": "domain",
        },
        meta={"values": d.values, "unit": unit, "t": t},
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
    input_text: list[str] | None = None,
    prediction: dict | None = None,
    input_names: Sequence[str] | None = None,
) -> go.Figure:
    """Every gate, the candidate, cell and hidden state over time for one layer trace, input on top.

    Lines (one per unit) when H <= ``max_line_units``, else heatmaps with time across and units
    down. ``t`` draws a vertical line at that step (pages may mark it from outside instead).
    The heatmaps' ``z`` are the trace's arrays transposed to (H, T), in float32 to halve what is sent.
    ``input_text`` (one short label per step, e.g. the characters of a text model's input) writes
    the input row as text when there are at most ``MAX_TEXT_STEPS`` steps, instead of a heatmap of
    one-hot channels that nobody can read.
    ``prediction`` (:func:`lstm_vault.predictions.timeline_line`) adds a row under the input: the model's
    prediction at every step (grey dots where it was not trained to answer), and its target as crosses;
    ``layout.meta["prediction"]`` holds them.
    ``input_names`` (one per input column, e.g. a CSV's chosen columns in order) label the rows of a
    several-column input: one row of the input heatmap per name, on a diverging scale centred on 0.
    """
    T, H = lt.h.shape[0], lt.h.shape[-1]
    rows = ["x", *(["y"] if prediction is not None else []), *ROWS[lt.arch]]
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
        if name in ("x", "y"):
            title = "input x" if name == "x" else prediction["title"]
        else:
            title = NAMES[name].replace(" gate ", " ").replace("state ", "")
        layout[f"yaxis{axis}"] = {
            "domain": domain,
            "title": {"text": title, "font": {"size": FONT_SIZE - 2, "color": COLORS.get(name, PREDICTION)}},
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
        if name == "y":
            data += _prediction_traces(prediction, xs, xa, ya)
            if prediction.get("range") is not None:
                layout[f"yaxis{axis}"]["range"] = [r + d for r, d in zip(prediction["range"], (-0.05, 0.05))]
            continue
        if name == "x":
            xin = _input_matrix(lt.x[:, batch])
            if input_text is not None and len(input_text) == T and T <= MAX_TEXT_STEPS:
                data.append(
                    {
                        "type": "scatter",
                        "x": xs,
                        "y": np.zeros(T),
                        "mode": "text",
                        "text": list(input_text),
                        "textfont": {"size": FONT_SIZE - 1, "color": COLORS["x"]},
                        "name": "input",
                        "xaxis": xa,
                        "yaxis": ya,
                        "showlegend": False,
                        "hovertemplate": "t=%{x}: %{text}<extra></extra>",
                    }
                )
                layout[f"yaxis{axis}"].update({"range": [-1, 1], "showticklabels": False, "showgrid": False})
            elif xin.shape[1] == 1:
                data.append(
                    {
                        "type": "scatter",
                        "x": xs,
                        "y": xin[:, 0],
                        "mode": "lines" if T > 2 else "lines+markers",
                        "name": "input",
                        "line": {"color": COLORS["x"], "width": 2},
                        "xaxis": xa,
                        "yaxis": ya,
                        "showlegend": False,
                        "hovertemplate": "t=%{x}<br>x=%{y:.3f}<extra></extra>",
                    }
                )
            elif input_names is not None and len(input_names) == xin.shape[1]:
                reach = float(np.max(np.abs(xin))) or 1.0
                data.append(
                    {
                        "type": "heatmap",
                        "z": xin.T,
                        "x": xs,
                        # tick labels: plotly reads a few HTML tags in them, so a name from a file is escaped
                        "y": [html.escape(str(name), quote=False) for name in input_names],
                        "colorscale": "RdBu",
                        "reversescale": True,  # positive red, negative blue, 0 white
                        "zmin": -reach,
                        "zmax": reach,
                        "showscale": False,
                        "name": "input",
                        "xaxis": xa,
                        "yaxis": ya,
                        "hovertemplate": "t=%{x}, %{y}: %{z:.3f}<extra></extra>",
                    }
                )
                layout[f"yaxis{axis}"].update({"showticklabels": True, "autorange": "reversed"})
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
                        "mode": "lines" if T > 2 else "lines+markers",  # a lone point needs a marker
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
            else:  # the cell state is unbounded: a few more ticks, or only "0" may fit the range
                layout[f"yaxis{axis}"]["nticks"] = 6
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
    if prediction is not None:
        layout["meta"] = {
            "prediction": {k: _plain(prediction[k]) for k in ("y", "target", "scored")},
        }
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


PREDICTION = "#222222"  # the prediction row's line; its target in vermilion crosses


def _plain(values) -> list:
    """An array as a JSON-ready list, NaN as None."""
    return [None if isinstance(v, float) and v != v else v for v in np.asarray(values).tolist()]


def _prediction_traces(prediction: dict, xs, xa: str, ya: str) -> list[dict]:
    """The prediction row: the line over every step, dots on the steps the model was trained to answer
    at (grey on the others), the target as crosses."""
    y = np.asarray(prediction["y"], dtype=np.float64)
    scored = np.asarray(prediction["scored"], dtype=bool)
    target = np.asarray(prediction["target"], dtype=np.float64)
    common = {"xaxis": xa, "yaxis": ya, "showlegend": False}
    out = [
        {
            "type": "scatter",
            "x": xs,
            "y": y,
            "mode": "lines",
            "name": "prediction",
            "line": {"color": PREDICTION if scored.all() else "#AAAAAA", "width": 2},
            "hovertemplate": "t=%{x}: %{y:.4g}<extra>prediction</extra>",
            **common,
        }
    ]
    if not scored.all():
        out.append(
            {
                "type": "scatter",
                "x": xs[scored],
                "y": y[scored],
                "mode": "markers",
                "name": "prediction (scored step)",
                "marker": {"color": PREDICTION, "size": 8},
                "hovertemplate": "t=%{x}: %{y:.4g}<extra>prediction, scored</extra>",
                **common,
            }
        )
    known = ~np.isnan(target)
    if known.any():
        out.append(
            {
                "type": "scatter",
                "x": xs[known],
                "y": target[known],
                "mode": "markers",
                "name": "target",
                "marker": {"color": COLORS["f"], "symbol": "x", "size": 8},
                "hovertemplate": "t=%{x}: %{y:.4g}<extra>target</extra>",
                **common,
            }
        )
    return out


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
