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
from plotly.subplots import make_subplots

from .style import COLORS, DIVERGING, base_layout

FLAG_COLOR = "#D55E00"  # vermilion, the colour of a raised flag on every panel
ANOMALY_FILL = "rgba(230, 159, 0, 0.18)"  # orange wash over planted anomalies
HELD_OUT_FILL = "rgba(0, 114, 178, 0.06)"  # pale blue wash over the held-out part
FORECASTER_SYMBOLS = ("x", "triangle-up", "square", "diamond")
FORECASTER_COLORS = (FLAG_COLOR, "#0072B2", "#009E73", "#CC79A7")


def _at(dates, idx) -> list[str]:
    return [dates[int(t)] for t in idx]


def _wash(fig: go.Figure, dates, start: int, stop: int, fill: str, label: str = "", rows=None) -> None:
    """Shade steps start <= t < stop (up to the date of step ``stop``) on each of ``rows`` of a figure with
    subplots, or across a figure without (``rows=None``); the label goes on the first row shaded."""
    end = dates[stop] if stop < len(dates) else dates[-1]
    for k, row in enumerate(rows or (None,)):
        where = {} if row is None else {"row": row, "col": 1}
        text = {"annotation_text": label, "annotation_position": "top left"} if label and k == 0 else {}
        fig.add_vrect(x0=dates[start], x1=end, fillcolor=fill, line_width=0, layer="below", **where, **text)


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
    height: int = 760,
) -> go.Figure:
    """Four panels on one time axis: (1) the series and the model's forecast, flagged steps marked;
    (2) the error |forecast - value| and the threshold; (3) unit ``unit``'s memory (``state_name``);
    (4) every unit's memory as a heatmap (units up, time across). The held-out part and the planted
    ``anomalies`` (``lstm_vault.anomaly.Anomaly``) are shaded."""
    values, pred, errors = (np.asarray(a, dtype=np.float64) for a in (values, pred, errors))
    state = np.asarray(state, dtype=np.float64)  # (T, H)
    flags = np.asarray(flags, dtype=int)
    dates = list(dates)
    fig = make_subplots(
        rows=4,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.04,
        row_heights=[0.36, 0.22, 0.17, 0.25],
        subplot_titles=(
            "The series and the model's one-step forecast",
            "Forecast error and the threshold",
            f"Memory of unit {unit} ({state_name}, when the forecast was made)",
            f"Memory of every unit ({state_name})",
        ),
    )
    fig.add_trace(
        go.Scatter(
            x=dates,
            y=values,
            name="series",
            mode="lines",
            line={"color": "#222222", "width": 1.5},
            meta={"kind": "series"},
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=dates,
            y=pred,
            name=f"{model_label} forecast",
            mode="lines",
            line={"color": COLORS["lstm"], "width": 1.5},
            meta={"kind": "forecast"},
        ),
        row=1,
        col=1,
    )
    flagged = {"x": _at(dates, flags), "mode": "markers", "showlegend": False, "hoverinfo": "x+y+name"}
    marker = {"color": FLAG_COLOR, "size": 10, "symbol": "x"}
    fig.add_trace(
        go.Scatter(
            y=values[flags],
            name="flagged",
            marker=marker,
            meta={"kind": "flags_series"},
            **{**flagged, "showlegend": True},
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=dates,
            y=errors,
            name="error",
            mode="lines",
            line={"color": "#555555", "width": 1.2},
            meta={"kind": "error"},
            showlegend=False,
        ),
        row=2,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=[dates[0], dates[-1]],
            y=[threshold, threshold],
            name="threshold",
            mode="lines",
            line={"color": FLAG_COLOR, "width": 2, "dash": "dash"},
            meta={"kind": "threshold"},
        ),
        row=2,
        col=1,
    )
    fig.add_trace(
        go.Scatter(y=errors[flags], name="flagged", marker=marker, meta={"kind": "flags_error"}, **flagged),
        row=2,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=dates,
            y=state[:, unit],
            name=f"{state_name} of unit {unit}",
            mode="lines",
            line={"color": COLORS.get(state_name, "#E69F00"), "width": 1.5},
            meta={"kind": "unit_state", "unit": unit},
            showlegend=False,
        ),
        row=3,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            y=state[flags, unit], name="flagged", marker=marker, meta={"kind": "flags_state"}, **flagged
        ),
        row=3,
        col=1,
    )
    finite = state[np.isfinite(state)]
    reach = float(np.abs(finite).max()) if finite.size else 1.0
    fig.add_trace(
        go.Heatmap(
            x=dates,
            y=list(range(state.shape[1])),
            z=state.T,
            colorscale=DIVERGING,
            zmid=0,
            zmin=-reach,
            zmax=reach,
            colorbar={"title": {"text": state_name}, "len": 0.25, "y": 0.12, "thickness": 12},
            name=state_name,
            meta={"kind": "state_heatmap"},
            hovertemplate="%{x}<br>unit %{y}: %{z:.3f}<extra></extra>",
        ),
        row=4,
        col=1,
    )
    if held_out_from is not None and 0 < held_out_from < len(dates):
        _wash(fig, dates, held_out_from, len(dates), HELD_OUT_FILL, "held out", rows=(1, 2, 3))
    for a in anomalies:
        _wash(fig, dates, a.start, a.stop, ANOMALY_FILL, a.kind.replace("_", " "), rows=(1, 2, 3))
    base_layout(fig, height=height)
    fig.update_yaxes(title_text=value_label, row=1, col=1)
    fig.update_yaxes(title_text="error", rangemode="tozero", row=2, col=1)
    fig.update_yaxes(title_text=state_name, row=3, col=1)
    fig.update_yaxes(title_text="unit", row=4, col=1)
    fig.update_layout(hovermode="x", margin={"t": 60})
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
    for a in anomalies:
        _wash(fig, dates, a.start, a.stop, ANOMALY_FILL, a.kind.replace("_", " "))
    base_layout(fig, height=height)
    fig.update_layout(showlegend=False, hovermode="closest", margin={"t": 30})
    fig.update_xaxes(range=[dates[0], dates[-1]])
    fig.update_yaxes(
        tickvals=list(range(len(names))), ticktext=names, range=[len(names) - 0.5, -0.5], showgrid=True
    )
    return fig
