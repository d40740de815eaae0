"""The architectures page's gradient figure: every model's ||dL/dh_t|| on one log axis (data in, figure out).

The norms arrive as base-10 logarithms (:mod:`lstm_vault.compare`, log-safe) and are drawn through
:func:`~.log_axis.for_log_axis`, which clips to what a log axis can show; hover gives the true value.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..formatting import format_log10
from .log_axis import decade_step, decades_spanned, for_log_axis
from .palette import COLORS
from .plain import axis, plain_layout

#: one colour and dash per model of the page, in its order; a trained model takes its architecture's colour
LINES = {
    "lstm": (COLORS["lstm"], None),
    "gru": (COLORS["gru"], None),
    "rnn": (COLORS["rnn"], None),
    "stacked": (COLORS["c"], "dash"),
    "bidirectional": (COLORS["o"], "dot"),
}


def gradient_curves(entries, height: int = 400) -> go.Figure:
    """One line per :class:`lstm_vault.compare.Compared`: ``10**log10_dh`` against t, named by its title."""
    data, logs = [], []
    for e in entries:
        color, dash = LINES.get(e.key, (COLORS.get(e.model.arch, "#333333"), None))
        values, _ = for_log_axis(e.log10_dh)
        line = {"color": color, "width": 3} | ({"dash": dash} if dash else {})
        data.append(
            {
                "type": "scatter",
                "x": np.arange(len(e.log10_dh)),
                "y": values,
                "name": e.title,
                "mode": "lines",
                "line": line,
                "customdata": [format_log10(v) for v in e.log10_dh],
                "hovertemplate": "%{customdata}",
            }
        )
        logs.append(e.log10_dh)
    T = len(entries[0].log10_dh)
    layout = plain_layout(
        height,
        margin={"t": 40},
        xaxis=axis(title=f"time step t  (loss at t = {T - 1})", range=[0, max(T - 1, 1)]),
        yaxis=axis(
            type="log",
            title="‖∂L/∂hₜ‖ (log scale)",
            exponentformat="power",
            dtick=decade_step(decades_spanned(*logs)),
        ),
    )
    return go.Figure(data=data, layout=layout)
