"""Anomaly figures: a series with its one-step forecast, the error against a threshold, the model's memory,
and where each forecaster raised a flag.

Pure builders (data in, ``go.Figure`` out). Shapes as in :mod:`lstm_vault.anomaly`: T steps, H units;
``dates`` (T,) strings ("1958-03"), ``values`` / ``pred`` / ``errors`` (T,) with NaN where a forecaster
makes no forecast (drawn as a gap), ``state`` (T, H), ``flags`` ascending step indices. Every trace carries
``meta={"kind": ...}`` so a test finds it by what it shows.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .style import COLORS, DIVERGING, base_layout

FLAG_COLOR = "#D55E00"  # vermilion, the colour of a raised flag on every panel
ANOMALY_FILL = "rgba(230, 159, 0, 0.18)"  # orange wash over planted anomalies
HELD_OUT_FILL = "rgba(0, 114, 178, 0.06)"  # pale blue wash over the held-out part
FORECASTER_SYMBOLS = ("x", "triangle-up", "square", "diamond")
FORECASTER_COLORS = (FLAG_COLOR, "#0072B2", "#009E73", "#CC79A7")


def _at(dates, idx) -> list[str]:
    return [dates[int(t)] for t in idx]


ROW_HEIGHTS = (0.36, 0.22, 0.17, 0.25)  # series, error, one unit's memory, every unit's memory
ROW_GAP = 0.05


def _domains(heights=ROW_HEIGHTS, gap: float = ROW_GAP) -> list[tuple[float, float]]:
    """(bottom, top) of each row, top row first, as fractions of the plot area."""
    scale = (1 - gap * (len(heights) - 1)) / sum(heights)
    out, top = [], 1.0
    for h in heights:
        out.append((max(top - h * scale, 0.0), top))
        top -= h * scale + gap
    return out


def _wash(dates, start: int, stop: int, fill: str, label: str = "", yrefs=("y",)) -> tuple[list, list]:
    """Shapes (and a label annotation) shading steps start <= t < stop (up to the date of step ``stop``) on
    each y axis of ``yrefs``: drawn as layout shapes in one go (``add_vrect`` per row is slow)."""
    end = dates[stop] if stop < len(dates) else dates[-1]
    shapes = [
        {
            "type": "rect",
            "xref": "x",
            "yref": f"{y} domain",
            "x0": dates[start],
            "x1": end,
            "y0": 0,
            "y1": 1,
            "fillcolor": fill,
            "line": {"width": 0},
            "layer": "below",
        }
        for y in yrefs
    ]
    notes = []
    if label:
        notes.append(
            {
                "x": dates[start],
                "xref": "x",
                "y": 1,
                "yref": f"{yrefs[0]} domain",
                "text": label,
                "showarrow": False,
                "xanchor": "left",
                "yanchor": "top",
                "font": {"size": 12},
            }
        )
    return shapes, notes


def series_figure(
    dates,
    values,
    pred,
    errors,
    threshold: float,
    flags,
    state,
    unit: int,
    state_name: str = "c",
    held_out_from: int | None = None,
    anomalies=(),
    model_label: str = "LSTM",
    value_label: str = "value",
    height: int = 780,
) -> go.Figure:
    """Four panels on one time axis: (1) the series and the model's forecast, flagged steps marked;
    (2) the error |forecast - value| and the threshold; (3) unit ``unit``'s memory (``state_name``);
    (4) every unit's memory as a heatmap (units up, time across). The held-out part and the planted
    ``anomalies`` (``lstm_vault.anomaly.Anomaly``) are shaded on the first three."""
    values, pred, errors = (np.asarray(a, dtype=np.float64) for a in (values, pred, errors))
    state = np.asarray(state, dtype=np.float64)  # (T, H)
    flags = np.asarray(flags, dtype=int)
    dates = list(dates)
    flag_dates = _at(dates, flags)
    marker = {"color": FLAG_COLOR, "size": 10, "symbol": "x"}

    def flagged(y, kind: str, axis: str, legend: bool = False) -> dict:
        return {
            "type": "scatter",
            "x": flag_dates,
            "y": y,
            "yaxis": axis,
            "mode": "markers",
            "name": "flagged",
            "marker": marker,
            "showlegend": legend,
            "meta": {"kind": kind},
        }

    finite = state[np.isfinite(state)]
    reach = float(np.abs(finite).max()) if finite.size else 1.0
    unit_color = COLORS.get(state_name, "#E69F00")
    data = [
        {
            "type": "scatter",
            "x": dates,
            "y": values,
            "yaxis": "y",
            "name": "series",
            "mode": "lines",
            "line": {"color": "#222222", "width": 1.5},
            "meta": {"kind": "series"},
        },
        {
            "type": "scatter",
            "x": dates,
            "y": pred,
            "yaxis": "y",
            "name": f"{model_label} forecast",
            "mode": "lines",
            "line": {"color": COLORS["lstm"], "width": 1.5},
            "meta": {"kind": "forecast"},
        },
        flagged(values[flags], "flags_series", "y", legend=True),
        {
            "type": "scatter",
            "x": dates,
            "y": errors,
            "yaxis": "y2",
            "name": "error",
            "mode": "lines",
            "line": {"color": "#555555", "width": 1.2},
            "showlegend": False,
            "meta": {"kind": "error"},
        },
        {
            "type": "scatter",
            "x": [dates[0], dates[-1]],
            "y": [threshold, threshold],
            "yaxis": "y2",
            "name": "threshold",
            "mode": "lines",
            "line": {"color": FLAG_COLOR, "width": 2, "dash": "dash"},
            "meta": {"kind": "threshold"},
        },
        flagged(errors[flags], "flags_error", "y2"),
        {
            "type": "scatter",
            "x": dates,
            "y": state[:, unit],
            "yaxis": "y3",
            "name": f"{state_name} of unit {unit}",
            "mode": "lines",
            "line": {"color": unit_color, "width": 1.5},
            "showlegend": False,
            "meta": {"kind": "unit_state", "unit": int(unit)},
        },
        flagged(state[flags, unit], "flags_state", "y3"),
        {
            "type": "heatmap",
            "x": dates,
            "y": list(range(state.shape[1])),
            "z": state.T,
            "yaxis": "y4",
            "colorscale": DIVERGING,
            "zmid": 0,
            "zmin": -reach,
            "zmax": reach,
            "name": state_name,
            "colorbar": {
                "title": {"text": state_name},
                "len": ROW_HEIGHTS[3],
                "y": 0,
                "yanchor": "bottom",
                "thickness": 12,
            },
            "hovertemplate": "%{x}<br>unit %{y}: %{z:.3f}<extra></extra>",
            "meta": {"kind": "state_heatmap"},
        },
    ]
    titles = (
        "The series and the model's one-step forecast",
        "Forecast error and the threshold",
        f"Memory of unit {unit} ({state_name}, when the forecast was made)",
        f"Memory of every unit ({state_name})",
    )
    axis_titles = (value_label, "error", state_name, "unit")
    layout: dict = {"xaxis": {"anchor": "y4", "type": "date"}}
    notes, shapes = [], []
    for k, ((bottom, top), title, axis_title) in enumerate(zip(_domains(), titles, axis_titles)):
        layout[f"yaxis{k + 1 if k else ''}"] = {
            "domain": [bottom, top],
            "anchor": "x",
            "title": {"text": axis_title},
        }
        notes.append(
            {
                "text": title,
                "x": 0,
                "xref": "paper",
                "y": top,
                "yref": "paper",
                "showarrow": False,
                "xanchor": "left",
                "yanchor": "bottom",
                "font": {"size": 14},
            }
        )
    layout["yaxis2"]["rangemode"] = "tozero"
    rows = ("y", "y2", "y3")
    if held_out_from is not None and 0 < held_out_from < len(dates):
        more = _wash(dates, held_out_from, len(dates), HELD_OUT_FILL, "held out", rows)
        shapes += more[0]
        notes += more[1]
    for a in anomalies:
        more = _wash(dates, a.start, a.stop, ANOMALY_FILL, a.kind.replace("_", " "), rows)
        shapes += more[0]
        notes += more[1]
    layout.update(shapes=shapes, annotations=notes)
    fig = go.Figure(data=data, layout=layout)
    base_layout(fig, height=height)
    fig.update_layout(hovermode="x", margin={"t": 70})
    return fig


def flag_strip(dates, flags: dict, anomalies=(), height: int = 220) -> go.Figure:
    """One row per forecaster (``flags``: {name: step indices}), a mark at every step it flagged, planted
    ``anomalies`` shaded: which forecaster raised a flag where."""
    dates = list(dates)
    fig = go.Figure()
    names = list(flags)
    for k, name in enumerate(names):
        idx = np.asarray(flags[name], dtype=int)
        fig.add_trace(
            go.Scatter(
                x=_at(dates, idx),
                y=np.full(len(idx), k),
                mode="markers",
                name=name,
                hovertemplate=f"{name}: %{{x}}<extra></extra>",
                marker={"symbol": FORECASTER_SYMBOLS[k % 4], "color": FORECASTER_COLORS[k % 4], "size": 10},
                meta={"kind": "flags", "forecaster": name},
            )
        )
    shapes, notes = [], []
    for a in anomalies:
        more = _wash(dates, a.start, a.stop, ANOMALY_FILL, a.kind.replace("_", " "))
        shapes += more[0]
        notes += more[1]
    fig.update_layout(shapes=shapes, annotations=notes)
    base_layout(fig, height=height)
    fig.update_layout(showlegend=False, hovermode="closest", margin={"t": 30})
    fig.update_xaxes(range=[dates[0], dates[-1]])
    fig.update_yaxes(
        tickvals=list(range(len(names))), ticktext=names, range=[len(names) - 0.5, -0.5], showgrid=True
    )
    return fig
