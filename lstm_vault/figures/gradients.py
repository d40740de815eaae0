"""Vanishing-gradient figures: data in (a :class:`lstm_vault.vanishing.VanishingResult`), ``go.Figure`` out.

Every magnitude arrives as a base-10 logarithm (it may lie far outside float64) and is drawn on a log
axis through :func:`for_log_axis`, which clips to [10⁻³⁰⁰, 10³⁰⁰]: a log axis
cannot show 0, nor a number the browser cannot hold. Hover labels always give the true value
(``format_log10``), also for clipped points, and :func:`clip_notes` says in words what was clipped.
Arrays go into the figures as plain lists so the JSON a page sends (and a test reads) holds numbers.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..formatting import format_log10, power_of_ten, steps_text
from ..gradient_edge import EdgeSweep
from ..vanishing import VanishingResult
from .log_axis import DISPLAY_CEIL, DISPLAY_FLOOR, decade_step, decades_spanned, for_log_axis, power_ticks
from .style import COLORS, SEQUENTIAL, base_layout

#: the input-gradient colour scale spans at most this many decades below its largest value, so that a
#: trained LSTM's 0.2 against 0.001 stays visible beside an RNN's 10⁻⁴⁸ (smaller values: the darkest colour)
DX_DECADES = 6

#: the forget-gate product plot draws this many single units' lines (and the mean over all of them)
MAX_UNIT_LINES = 12

#: legend names, also used by the tests to find a trace
RNN_DH = "RNN  ‖∂L/∂hₜ‖"
LSTM_DH = "LSTM  ‖∂L/∂hₜ‖"
LSTM_DC = "LSTM  ‖∂L/∂cₜ‖ (cell state)"
PREDICTED = "RNN mean-field rule: Π ρ · rms tanh′(aₖ)"
F_MEAN = "mean over units of Π f"
F_UNIT = "one unit's Π f"
DC_MEASURED = "measured ‖∂L/∂cₜ‖ ÷ ‖∂L/∂c<sub>T−1</sub>‖"
EDGE_MEASURED = "measured factor per step back"
EDGE_RULE = "ρ · rms tanh′ (mean-field rule)"
EDGE_RHO = "ρ alone (a linear RNN)"
EDGE_SIGMA = "σ_max: the most one step can stretch"


def _strings(log10_values) -> list[str]:
    return [format_log10(v) for v in np.asarray(log10_values, dtype=np.float64).ravel()]


def _time_axis_title(T: int) -> str:
    return f"time step t  (loss at t = {T - 1})"


def _log_line(fig, t, log10_values, name, color, dash=None, width=3.0, hover=True, **kwargs) -> np.ndarray:
    """Add a log-axis line of 10**log10_values; return the mask of clipped points."""
    values, clipped = for_log_axis(log10_values)
    if hover:  # the true value, also where the drawn one is clipped
        kwargs.update(customdata=_strings(log10_values), hovertemplate="%{customdata}")
    else:
        kwargs.update(hoverinfo="skip")
    line = {"color": color, "width": width, "dash": dash}
    fig.add_trace(go.Scatter(x=t, y=values.tolist(), name=name, mode="lines", line=line, **kwargs))
    return clipped


def clip_notes(result: VanishingResult) -> list[str]:
    """One sentence per curve that has points a log axis cannot show as they are."""
    notes, floor, ceil = [], power_of_ten(DISPLAY_FLOOR), power_of_ten(DISPLAY_CEIL)
    curves = [("the RNN's ‖∂L/∂hₜ‖", result.rnn.log10_dh), ("the LSTM's ‖∂L/∂hₜ‖", result.lstm.log10_dh)]
    curves.append(("the LSTM's ‖∂L/∂cₜ‖", result.lstm.log10_dc))
    if result.prediction_applies:
        curves.append(("the mean-field line", result.log10_predicted))
    for label, logs in curves:
        logs = np.asarray(logs)
        zero, low, high = logs == -np.inf, (logs < DISPLAY_FLOOR) & (logs > -np.inf), logs > DISPLAY_CEIL
        if zero.any():
            notes.append(
                f"{label} is exactly 0 at {steps_text(int(zero.sum()))} (from t = "
                f"{int(np.nonzero(zero)[0][-1])} back): drawn at {floor}, since a log axis cannot show 0."
            )
        if low.any():
            notes.append(
                f"{label} is below {floor} at {steps_text(int(low.sum()))} (smallest "
                f"{format_log10(logs[low].min())}): drawn at {floor}; hover shows the true value."
            )
        if high.any():
            notes.append(
                f"{label} is above {ceil} at {steps_text(int(high.sum()))} (largest "
                f"{format_log10(logs[high].max())}): drawn at {ceil}; hover shows the true value."
            )
    return notes


def gradient_norms(result: VanishingResult, height: int = 410) -> go.Figure:
    """‖∂L/∂hₜ‖ of the RNN and the LSTM, the LSTM's ‖∂L/∂cₜ‖, log y-axis; for a fresh (random) RNN also
    its mean-field line Π ρ · rms tanh′(aₖ), which assumes a random W_hh and is left out for a trained one."""
    T = result.T
    t = list(range(T))
    fig = go.Figure()
    # drawn bottom to top; legendrank puts the legend in reading order (RNN, its mean-field line, LSTM)
    lines = [result.rnn.log10_dh, result.lstm.log10_dh, result.lstm.log10_dc]
    if result.prediction_applies:
        _log_line(
            fig, t, result.log10_predicted, PREDICTED, COLORS["baseline"], dash="dot", width=2.5, legendrank=2
        )
        lines.append(result.log10_predicted)
    _log_line(fig, t, result.rnn.log10_dh, RNN_DH, COLORS["rnn"], legendrank=1)
    _log_line(fig, t, result.lstm.log10_dc, LSTM_DC, COLORS["c"], dash="dash", width=2.5, legendrank=4)
    _log_line(fig, t, result.lstm.log10_dh, LSTM_DH, COLORS["lstm"], legendrank=3)
    base_layout(fig, height=height)
    fig.update_layout(margin={"t": 40})
    fig.update_xaxes(title=_time_axis_title(T), range=[0, max(T - 1, 1)])
    fig.update_yaxes(type="log", title="gradient norm (log scale)", exponentformat="power")
    fig.update_yaxes(dtick=decade_step(decades_spanned(*lines)))
    return fig


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
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        subplot_titles=("RNN: |∂L/∂xₜ|", "LSTM: |∂L/∂xₜ|"))  # fmt: skip
    for r, (_, path) in enumerate(rows, start=1):
        logs = path.log10_dx.T  # (I, T)
        z = np.where(np.isfinite(logs), np.clip(logs, DISPLAY_FLOOR, DISPLAY_CEIL), np.nan)
        signed = [
            [("−" if s < 0 else "") + format_log10(v) for s, v in zip(srow, lrow)]
            for srow, lrow in zip(path.sign_dx.T, logs)
        ]
        fig.add_trace(
            go.Heatmap(
                z=[[None if np.isnan(v) else float(v) for v in zrow] for zrow in z],
                x=list(range(T)),
                y=labels,
                coloraxis="coloraxis",
                customdata=signed,
                hovertemplate="t = %{x}, %{y}<br>∂L/∂x = %{customdata}<extra></extra>",
                name=path.arch.upper(),
            ),
            row=r,
            col=1,
        )
    base_layout(fig, height=height or (260 + 2 * 36 * min(I, 8)))
    fig.update_layout(
        hovermode="closest",
        margin={"t": 40},
        coloraxis={
            "colorscale": SEQUENTIAL,
            "cmin": lo,
            "cmax": hi,
            "colorbar": {"title": {"text": "|∂L/∂xₜ|", "side": "top"}, "tickvals": tickvals,
                         "ticktext": ticktext, "thickness": 16, "len": 1.0},
        },
    )  # fmt: skip
    fig.update_xaxes(title=_time_axis_title(T), row=2, col=1)
    fig.update_yaxes(autorange="reversed")  # x[0] on top, as in a table
    for step in marked:  # an arrow above the top row, so that the columns themselves stay visible
        fig.add_annotation(x=int(step), xref="x", y=1.0, yref="paper", text=f"marked t = {step}",
                           showarrow=True, arrowhead=2, ax=0, ay=-36, font={"size": 11},
                           arrowcolor=COLORS["x"])  # fmt: skip
    if marked:  # room above the row title for the labels
        fig.update_layout(margin={"t": 70})
    return fig


def forget_product(result: VanishingResult, max_units: int = MAX_UNIT_LINES, height: int = 380) -> go.Figure:
    """The LSTM's running product of forget gates Π_{k=t+1}^{T-1} f_k against t, log y-axis.

    Thin lines: the first ``max_units`` units; thick: the mean over all units; dashed: the measured
    ‖∂L/∂cₜ‖ relative to its value at T-1, which follows the product where the cell path dominates.
    """
    T, H = result.log10_forget_product.shape
    t = list(range(T))
    fig = go.Figure()
    for j in range(min(H, max_units)):
        _log_line(fig, t, result.log10_forget_product[:, j], F_UNIT, COLORS["f"], width=1.0, hover=False,
                  opacity=0.35, legendgroup="unit", showlegend=j == 0)  # fmt: skip
    _log_line(fig, t, result.log10_forget_product_mean, F_MEAN, COLORS["f"], width=3.5)
    dc = np.asarray(result.lstm.log10_dc)
    _log_line(fig, t, dc - dc[-1], DC_MEASURED, COLORS["c"], dash="dash", width=2.5)
    base_layout(fig, height=height)
    fig.update_layout(margin={"t": 40})
    fig.update_xaxes(title=_time_axis_title(T), range=[0, max(T - 1, 1)])
    fig.update_yaxes(type="log", title="Π f  (log scale)", exponentformat="power")
    fig.update_yaxes(
        dtick=decade_step(decades_spanned(result.log10_forget_product[:, :max_units], dc - dc[-1]))
    )
    return fig


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
    fig = go.Figure()
    for name, y, line in lines:
        fig.add_trace(
            go.Scatter(
                x=sweep.radii.tolist(),
                y=np.asarray(y, dtype=np.float64).tolist(),
                name=name,
                mode="lines",
                line=line,
                hovertemplate="ρ = %{x:.2f}: %{y:.3f}",
            )
        )
    fig.add_hline(y=1.0, line={"color": "#222222", "width": 1})
    if current_rho is not None:
        fig.add_vline(
            x=float(current_rho),
            line={"color": COLORS["rnn"], "dash": "dot", "width": 1.5},
            annotation_text=f"slider ρ = {current_rho:.2f}",
            # the label on the side with room: left of the line in the right half of the sweep
            annotation_position="top left" if current_rho > float(sweep.radii.mean()) else "top right",
        )
    base_layout(fig, height=height)
    fig.update_layout(margin={"t": 40}, hovermode="closest")
    fig.update_xaxes(title="spectral radius ρ of W_hh", range=[float(sweep.radii[0]), float(sweep.radii[-1])])
    # labelled factors of 2 around 1 (a log axis of less than two decades gets crowded minor labels)
    drawn = np.concatenate([measured, sweep.predicted, sweep.radii * sweep.singular_over_radius])
    drawn = drawn[np.isfinite(drawn) & (drawn > 0)]
    low, high = max(float(drawn.min()), 1 / 64), max(float(drawn.max()), 2.0)
    ticks = [2.0**k for k in range(-6, 8) if low / 2 <= 2.0**k <= high * 2]
    fig.update_yaxes(
        type="log",
        title="factor per step back (log scale)",
        tickvals=ticks,
        ticktext=[f"{v:g}" for v in ticks],
        range=[math.log10(low) - 0.05, math.log10(high) + 0.05],
    )
    return fig
