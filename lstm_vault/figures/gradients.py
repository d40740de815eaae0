"""Vanishing-gradient figures: data in (a :class:`lstm_vault.vanishing.VanishingResult`), ``go.Figure`` out.

Every magnitude arrives as a base-10 logarithm (it may lie far outside float64) and is drawn on a log
axis through :func:`~.log_axis.for_log_axis`, which clips to [10⁻³⁰⁰, 10³⁰⁰]: a log axis
cannot show 0, nor a number the browser cannot hold. Hover labels always give the true value
(``format_log10``), also for clipped points.

The page's main two charts (the gradient norms and the forget-gate products) are not here: they follow ρ
and the forget-gate bias in the browser, drawn once as SVG templates (:mod:`.live_chart`,
:mod:`lstm_vault.gradient_live`). These are drawn by Python for the committed values, each made in one
``go.Figure(data, layout)`` call: traces as dicts holding NumPy arrays (plotly sends those as typed arrays,
smaller than decimal text and validated at once) and the app's look as plain settings
(:func:`~.plain.plain_layout`) rather than a template. A test reads the numbers back from ``fig.to_json()``,
where an array is ``{"dtype", "bdata"}`` (base64 of its bytes).
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from ..formatting import format_log10
from ..gradient_edge import EdgeSweep
from ..vanishing import ForgetClamp, VanishingResult
from .log_axis import DISPLAY_CEIL, DISPLAY_FLOOR, decade_step, decades_spanned, for_log_axis, power_ticks
from .plain import COLORBAR, axis, plain_layout
from .style import COLORS, SEQUENTIAL

#: the input-gradient colour scale spans at most this many decades below its largest value, so that a
#: trained LSTM's 0.2 against 0.001 stays visible beside an RNN's 10⁻⁴⁸ (smaller values: the darkest colour)
DX_DECADES = 6

#: legend names, also used by the tests to find a trace
F_CLAMPED = "Π f, every f clamped to 1"
DC_CLAMPED = "‖∂L/∂cₜ‖, every f clamped to 1"
EDGE_MEASURED = "measured factor per step back"
EDGE_RULE = "ρ · rms tanh′ (mean-field rule)"
EDGE_RHO = "ρ alone (a linear RNN)"
EDGE_SIGMA = "σ_max: the most one step can stretch"


def _strings(log10_values) -> list[str]:
    return [format_log10(v) for v in np.asarray(log10_values, dtype=np.float64).ravel()]


def _time_axis_title(T: int) -> str:
    return f"time step t  (loss at t = {T - 1})"


def _log_line(t, log10_values, name, color, dash=None, width=3.0, hover=True, **extra) -> dict:
    """A log-axis line of 10**log10_values (clipped to what the axis can draw), as a trace dict."""
    values, _ = for_log_axis(log10_values)
    trace = {"type": "scatter", "x": t, "y": values, "name": name, "mode": "lines", **extra}
    trace["line"] = {"color": color, "width": width} | ({"dash": dash} if dash else {})
    if hover:  # the true value, also where the drawn one is clipped
        return trace | {"customdata": _strings(log10_values), "hovertemplate": "%{customdata}"}
    return trace | {"hoverinfo": "skip"}


def _log_axis(title: str, *drawn) -> dict:
    """A log y axis labelled every 1, 2, 5, 10, ... decades, as powers of ten."""
    return axis(type="log", title=title, exponentformat="power", dtick=decade_step(decades_spanned(*drawn)))


def input_gradients(result: VanishingResult, height: int | None = None, marked=()) -> go.Figure:
    """|∂L/∂xₜ| over time as two heatmaps (RNN on top, LSTM below), one shared log colour scale.

    Rows are input features, columns time steps; colour is log10 |∂L/∂xₜ| over at most DX_DECADES decades
    below the largest value (smaller values get the darkest colour); exact zeros are left blank. Hover
    gives the signed value. ``marked``: steps to point at with an arrow above the heatmaps (the adding
    problem's marked steps).
    """
    T, I = result.x.shape
    rows = [("RNN", result.rnn), ("LSTM", result.lstm)]
    finite = np.concatenate([p.log10_dx[np.isfinite(p.log10_dx)] for _, p in rows])
    hi = float(np.clip(finite.max(), DISPLAY_FLOOR, DISPLAY_CEIL)) if finite.size else 0.0
    lo = float(np.clip(finite.min(), DISPLAY_FLOOR, DISPLAY_CEIL)) if finite.size else -1.0
    lo = min(max(lo, hi - DX_DECADES), hi - 1.0)  # below hi - DX_DECADES: the darkest colour
    tickvals, ticktext = power_ticks(lo, hi)
    labels = ["x"] if I == 1 else [f"x[{i}]" for i in range(I)]
    data = []
    for row, (_, path) in enumerate(rows, start=1):
        logs = path.log10_dx.T  # (I, T)
        signed = [
            [("−" if s < 0 else "") + format_log10(v) for s, v in zip(srow, lrow)]
            for srow, lrow in zip(path.sign_dx.T, logs)
        ]
        data.append(
            {
                "type": "heatmap",
                "z": np.where(np.isfinite(logs), np.clip(logs, DISPLAY_FLOOR, DISPLAY_CEIL), np.nan),
                "x": np.arange(T),
                "y": labels,
                "coloraxis": "coloraxis",
                "customdata": signed,
                "hovertemplate": "t = %{x}, %{y}<br>∂L/∂x = %{customdata}<extra></extra>",
                "name": path.arch.upper(),
                "xaxis": "x" if row == 1 else "x2",
                "yaxis": "y" if row == 1 else "y2",
            }
        )
    # two rows sharing the time axis, as make_subplots(rows=2, shared_xaxes=True) lays them out
    titles = [
        {
            "text": f"{name}: |∂L/∂xₜ|",
            "x": 0.5,
            "xref": "paper",
            "xanchor": "center",
            "y": y,
            "yref": "paper",
            "yanchor": "bottom",
            "showarrow": False,
            "font": {"size": 16},
        }
        for (name, _), y in zip(rows, (1.0, 0.44))
    ]
    arrows = [  # above the top row, so that the columns themselves stay visible
        {
            "x": int(step),
            "xref": "x",
            "y": 1.0,
            "yref": "paper",
            "text": f"marked t = {step}",
            "showarrow": True,
            "arrowhead": 2,
            "ax": 0,
            "ay": -36,
            "font": {"size": 11},
            "arrowcolor": COLORS["x"],
        }
        for step in marked
    ]
    layout = plain_layout(
        height or (260 + 2 * 36 * min(I, 8)),
        hovermode="closest",
        margin={"t": 70 if marked else 40},  # room above the row title for the arrows' labels
        xaxis=axis(anchor="y", domain=[0.0, 1.0], matches="x2", showticklabels=False),
        xaxis2=axis(anchor="y2", domain=[0.0, 1.0], title=_time_axis_title(T)),
        yaxis=axis(anchor="x", domain=[0.56, 1.0], autorange="reversed"),  # x[0] on top, as in a table
        yaxis2=axis(anchor="x2", domain=[0.0, 0.44], autorange="reversed"),
        annotations=titles + arrows,
        coloraxis={
            "colorscale": SEQUENTIAL,
            "cmin": lo,
            "cmax": hi,
            "colorbar": COLORBAR
            | {
                "title": {"text": "|∂L/∂xₜ|", "side": "top"},
                "tickvals": tickvals,
                "ticktext": ticktext,
                "thickness": 16,
                "len": 1.0,
            },
        },
    )
    return go.Figure(data=data, layout=layout)


def forget_clamp_plot(clamp: ForgetClamp, height: int = 340) -> go.Figure:
    """The f = 1 experiment: the running product of f (exactly 1), ‖∂L/∂cₜ‖ of the clamped run; log y."""
    T = clamp.T
    t = np.arange(T)
    data = [
        _log_line(t, clamp.log10_forget_product, F_CLAMPED, COLORS["f"], width=3.5),
        _log_line(t, clamp.log10_dc, DC_CLAMPED, COLORS["c"], dash="dash", width=2.5),
    ]
    layout = plain_layout(
        height,
        margin={"t": 40},
        xaxis=axis(title=_time_axis_title(T), range=[0, max(T - 1, 1)]),
        yaxis=_log_axis("log scale", clamp.log10_forget_product, clamp.log10_dc),
    )
    return go.Figure(data=data, layout=layout)


def edge_sweep(sweep: EdgeSweep, current_rho: float | None = None, height: int = 330) -> go.Figure:
    """The RNN's factor per step back against ρ: measured, the mean-field ρ · rms tanh′, ρ alone and σ_max.

    Log y-axis with a line at 1, the edge between shrinking and growing; a dotted vertical line at
    ``current_rho`` (the slider's value).
    """
    measured = np.power(10.0, np.nan_to_num(sweep.log10_measured, nan=DISPLAY_FLOOR, neginf=DISPLAY_FLOOR))
    grey = COLORS["baseline"]
    lines = [  # drawn bottom to top
        (EDGE_SIGMA, sweep.radii * sweep.singular_over_radius, {"color": grey, "width": 1.5, "dash": "dash"}),
        (EDGE_RHO, sweep.radii, {"color": grey, "width": 1.5}),
        (EDGE_RULE, sweep.predicted, {"color": grey, "width": 2.5, "dash": "dot"}),
        (EDGE_MEASURED, measured, {"color": COLORS["rnn"], "width": 3}),
    ]
    data = [
        {
            "type": "scatter",
            "x": sweep.radii,
            "y": np.asarray(y, dtype=np.float64),
            "name": name,
            "mode": "lines",
            "line": line,
            "hovertemplate": "ρ = %{x:.2f}: %{y:.3f}",
        }
        for name, y, line in lines
    ]
    shapes = [  # the line at 1, across the plot
        {
            "type": "line",
            "xref": "x domain",
            "x0": 0,
            "x1": 1,
            "yref": "y",
            "y0": 1.0,
            "y1": 1.0,
            "line": {"color": "#222222", "width": 1},
        }
    ]
    annotations = []
    if current_rho is not None:
        rho = float(current_rho)
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "x0": rho,
                "x1": rho,
                "yref": "y domain",
                "y0": 0,
                "y1": 1,
                "line": {"color": COLORS["rnn"], "dash": "dot", "width": 1.5},
            }
        )
        # the label on the side with room: left of the line in the right half of the sweep
        left = rho > float(sweep.radii.mean())
        annotations.append(
            {
                "text": f"slider ρ = {rho:.2f}",
                "x": rho,
                "xref": "x",
                "y": 1,
                "yref": "y domain",
                "xanchor": "right" if left else "left",
                "yanchor": "top",
                "showarrow": False,
            }
        )
    # labelled factors of 2 around 1 (a log axis of less than two decades gets crowded minor labels)
    drawn = np.concatenate([measured, sweep.predicted, sweep.radii * sweep.singular_over_radius])
    drawn = drawn[np.isfinite(drawn) & (drawn > 0)]
    low, high = max(float(drawn.min()), 1 / 64), max(float(drawn.max()), 2.0)
    ticks = [2.0**k for k in range(-6, 8) if low / 2 <= 2.0**k <= high * 2]
    layout = plain_layout(
        height,
        margin={"t": 40},
        hovermode="closest",
        shapes=shapes,
        annotations=annotations,
        xaxis=axis(title="spectral radius ρ of W_hh", range=[float(sweep.radii[0]), float(sweep.radii[-1])]),
        yaxis=axis(
            type="log",
            title="factor per step back (log scale)",
            tickvals=ticks,
            ticktext=[f"{v:g}" for v in ticks],
            range=[math.log10(low) - 0.05, math.log10(high) + 0.05],
        ),
    )
    return go.Figure(data=data, layout=layout)
