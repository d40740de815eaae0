"""Vanishing-gradient figures: data in (a :class:`lstm_vault.vanishing.VanishingResult`), ``go.Figure`` out.

Every magnitude arrives as a base-10 logarithm (it may lie far outside float64) and is drawn on a log
axis through :func:`lstm_vault.vanishing.for_log_axis`, which clips to [10⁻³⁰⁰, 10³⁰⁰]: a log axis
cannot show 0, nor a number the browser cannot hold. Hover labels always give the true value
(``format_log10``), also for clipped points, and :func:`clip_notes` says in words what was clipped.
Arrays go into the figures as plain lists so the JSON a page sends (and a test reads) holds numbers.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..vanishing import (
    DISPLAY_CEIL,
    DISPLAY_FLOOR,
    VanishingResult,
    for_log_axis,
    format_log10,
    power_of_ten,
    steps_text,
)
from .style import COLORS, SEQUENTIAL, base_layout

#: legend names, also used by the tests to find a trace
RNN_DH = "RNN  ‖∂L/∂hₜ‖"
LSTM_DH = "LSTM  ‖∂L/∂hₜ‖"
LSTM_DC = "LSTM  ‖∂L/∂cₜ‖ (cell state)"
PREDICTED = "RNN predicted: (ρ · rms tanh′)^(T−1−t)"
F_MEAN = "mean over units of Π f"
F_UNIT = "one unit's Π f"
DC_MEASURED = "measured ‖∂L/∂cₜ‖ ÷ ‖∂L/∂c<sub>T−1</sub>‖"


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
    curves.append(("the predicted RNN decay", result.log10_predicted))
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
    """‖∂L/∂hₜ‖ of the RNN and the LSTM, the LSTM's ‖∂L/∂cₜ‖ and the RNN's predicted decay, log y-axis."""
    T = result.T
    t = list(range(T))
    fig = go.Figure()
    # drawn bottom to top; legendrank puts the legend in reading order (RNN, its prediction, LSTM)
    _log_line(
        fig, t, result.log10_predicted, PREDICTED, COLORS["baseline"], dash="dot", width=2.5, legendrank=2
    )
    _log_line(fig, t, result.rnn.log10_dh, RNN_DH, COLORS["rnn"], legendrank=1)
    _log_line(fig, t, result.lstm.log10_dc, LSTM_DC, COLORS["c"], dash="dash", width=2.5, legendrank=4)
    _log_line(fig, t, result.lstm.log10_dh, LSTM_DH, COLORS["lstm"], legendrank=3)
    base_layout(fig, height=height)
    fig.update_layout(margin={"t": 40})
    fig.update_xaxes(title=_time_axis_title(T), range=[0, max(T - 1, 1)])
    fig.update_yaxes(type="log", title="gradient norm (log scale)", exponentformat="power")
    _log_ticks(fig, result.log10_predicted, result.rnn.log10_dh, result.lstm.log10_dh, result.lstm.log10_dc)
    return fig


def _decade_step(decades: float, max_ticks: int = 6) -> int:
    """Decades between labelled ticks so that a log range of ``decades`` gets at most ``max_ticks`` labels."""
    return next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500) if max(decades, 1.0) / s <= max_ticks - 1)


def _log_ticks(fig: go.Figure, *logs) -> None:
    """A labelled tick every 1, 2, 5, 10, ... decades on the y log axis (no 2-and-5 clutter)."""
    values = np.concatenate([np.clip(np.ravel(v).astype(float), DISPLAY_FLOOR, DISPLAY_CEIL) for v in logs])
    values = values[np.isfinite(values)]
    decades = float(values.max() - values.min()) if values.size else 1.0
    fig.update_yaxes(dtick=_decade_step(decades))


def _colorbar_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    step = _decade_step(hi - lo)
    first = np.ceil(lo / step) * step
    vals = np.arange(first, hi + 1e-9, step)
    return vals.tolist(), [power_of_ten(int(v)) if v else "1" for v in vals]


def input_gradients(result: VanishingResult, height: int | None = None) -> go.Figure:
    """|∂L/∂xₜ| over time as two heatmaps (RNN on top, LSTM below), one shared log colour scale.

    Rows are input features, columns time steps; colour is log10 |∂L/∂xₜ|, clipped to the display range;
    exact zeros are left blank. Hover gives the signed value.
    """
    T, I = result.x.shape
    rows = [("RNN", result.rnn), ("LSTM", result.lstm)]
    finite = np.concatenate([p.log10_dx[np.isfinite(p.log10_dx)] for _, p in rows])
    hi = float(np.clip(finite.max(), DISPLAY_FLOOR, DISPLAY_CEIL)) if finite.size else 0.0
    lo = float(np.clip(finite.min(), DISPLAY_FLOOR, DISPLAY_CEIL)) if finite.size else -1.0
    lo = min(lo, hi - 1.0)
    tickvals, ticktext = _colorbar_ticks(lo, hi)
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
    return fig


def forget_product(result: VanishingResult, max_units: int = 12, height: int = 380) -> go.Figure:
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
    _log_ticks(fig, result.log10_forget_product[:, :max_units], dc - dc[-1])
    return fig
