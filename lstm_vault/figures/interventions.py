"""What an experiment (a gate clamp or a silenced unit) changed, as one small figure: one unit's cell state c
and hidden state h, and the model's prediction, each without (grey, dashed) and with (in colour), over the
steps of one input; the steps the records act on are shaded. Data from :func:`lstm_vault.experiment.compare`
and :func:`~lstm_vault.experiment.effect`.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .style import COLORS, NAMES, base_layout

WITHOUT = "#777777"


def _rows(cmp, unit: int, layer: int, direction: int, prediction) -> list[tuple[str, str, object, object]]:
    """(title, colour, without (T,), with (T,)) per panel."""
    a, b = cmp.plain.layers[layer][direction], cmp.clamped.layers[layer][direction]
    rows = []
    if a.c is not None:
        rows.append((f"{NAMES['c']}, unit {unit}", COLORS["c"], a.c[:, 0, unit], b.c[:, 0, unit]))
    rows.append((f"{NAMES['h']}, unit {unit}", COLORS["h"], a.h[:, 0, unit], b.h[:, 0, unit]))
    if prediction is not None:
        what, y, y_c = prediction
        rows.append((what, COLORS[cmp.plain.arch], y, y_c))
    return rows


def effect_figure(cmp, eff, layer: int = 0, direction: int = 0, height_per_row: int = 150) -> go.Figure:
    """One panel per quantity (c for an LSTM, h, the prediction when the model has a read-out), sharing the
    time axis; traces are named "without" and "with" (their ``y`` are the arrays themselves)."""
    rows = _rows(cmp, eff.unit, layer, direction, eff.prediction)
    fig = make_subplots(
        rows=len(rows), cols=1, shared_xaxes=True, subplot_titles=[r[0] for r in rows], vertical_spacing=0.12
    )
    T = cmp.plain.T
    steps = list(range(T))
    for k, (title, color, without, with_) in enumerate(rows, start=1):
        first = k == 1
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=list(map(float, without)),
                name="without",
                legendgroup="without",
                showlegend=first,
                line={"color": WITHOUT, "dash": "dash"},
                meta=title,
            ),
            row=k,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=list(map(float, with_)),
                name="with",
                legendgroup="with",
                showlegend=first,
                line={"color": color},
                meta=title,
            ),
            row=k,
            col=1,
        )
    for start, stop in sorted({(r.start, T if r.stop is None else min(r.stop, T)) for r in cmp.clamps}):
        if stop > start:  # steps start..stop-1, each one unit wide around its index
            fig.add_vrect(x0=start - 0.5, x1=stop - 0.5, fillcolor="#999999", opacity=0.15, line_width=0)
    fig.update_xaxes(title_text="step t", row=len(rows), col=1)
    return base_layout(fig, height=60 + height_per_row * len(rows))
