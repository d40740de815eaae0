"""Figures of a trained memory: the gate-saturation scatter of Karpathy, Johnson & Fei-Fei (2015) and a series
coloured by one unit. Pure builders: data in, ``go.Figure`` out.

Saturation: one panel per gate, one point per unit, placed as in the paper's saturation plot: the fraction of
steps the gate is right-saturated (> high) across, the fraction left-saturated (< low) up. A point near the
bottom right is a gate almost always open, near the top left one almost always shut, near the origin one that
is rarely either.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..formatting import fmt
from .style import COLORS, DIVERGING, NAMES, base_layout


def saturation_figure(sat: dict, low: float = 0.1, high: float = 0.9) -> go.Figure:
    """``sat`` from :func:`lstm_vault.saturation.saturation` (``{gate: (left (H,), right (H,))}``, computed
    with the same ``low`` and ``high``): one panel per gate, x = right-saturated fraction, y = left."""
    gates = list(sat)
    if not gates:
        raise ValueError("no gates to plot (a vanilla RNN has none)")
    fig = make_subplots(
        rows=1, cols=len(gates), subplot_titles=[NAMES.get(g, g) for g in gates], horizontal_spacing=0.06
    )
    for k, gate in enumerate(gates, start=1):
        left, right = (np.asarray(a, dtype=float) for a in sat[gate])
        units = np.arange(len(left))
        fig.add_trace(
            go.Scatter(
                x=right,
                y=left,
                mode="markers",
                name=NAMES.get(gate, gate),
                marker={"color": COLORS.get(gate, "#333"), "size": 8, "opacity": 0.75},
                customdata=units,
                hovertemplate=f"unit %{{customdata}}<br>{gate} > {fmt(high, 1)}: %{{x:.0%}} of steps"
                f"<br>{gate} < {fmt(low, 1)}: %{{y:.0%}} of steps<extra></extra>",
                showlegend=False,
            ),
            row=1,
            col=k,
        )
        fig.update_xaxes(
            title_text=f"share of steps {gate} > {fmt(high, 1)}", range=[-0.03, 1.03], row=1, col=k
        )
        fig.update_yaxes(range=[-0.03, 1.03], row=1, col=k)
    fig.update_yaxes(title_text=f"share of steps < {fmt(low, 1)}", row=1, col=1)
    base_layout(fig, height=360)
    fig.update_layout(hovermode="closest")
    return fig


def series_figure(
    labels: Sequence,
    series: np.ndarray,
    unit_values: np.ndarray,
    unit: int,
    quantity: str,
    lo: float,
    hi: float,
    y_title: str = "value",
) -> go.Figure:
    """The series as a grey line with one marker per step, coloured by one unit's ``quantity`` on a
    diverging scale from ``lo`` to ``hi`` (the colour bar shows that range)."""
    series = np.asarray(series, dtype=float)
    unit_values = np.asarray(unit_values, dtype=float)
    if series.shape != unit_values.shape or series.ndim != 1:
        raise ValueError(f"series {series.shape} and unit values {unit_values.shape} must be (T,) alike")
    x = list(labels)
    name = NAMES.get(quantity, quantity)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=series, mode="lines", line={"color": "#bbbbbb"}, name="series"))
    fig.add_trace(
        go.Scatter(
            x=x,
            y=series,
            mode="markers",
            name=f"unit {unit}",
            marker={
                "color": unit_values,
                "colorscale": DIVERGING,
                "cmin": lo,
                "cmax": hi,
                "size": 7,
                "colorbar": {"title": {"text": f"{quantity}, unit {unit}"}},
            },
            customdata=unit_values,
            hovertemplate=f"%{{x}}<br>value %{{y:.3g}}<br>{name} %{{customdata:.3f}}<extra></extra>",
        )
    )
    base_layout(fig, height=380)
    fig.update_layout(hovermode="closest", showlegend=False, yaxis_title=y_title)
    return fig
