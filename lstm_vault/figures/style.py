"""One palette and layout for every figure, so a gate has the same colour on every page.

Colours are from the Okabe-Ito palette (distinguishable with the common colour-vision
deficiencies) and large enough fonts for a projector.
"""

from __future__ import annotations

import plotly.graph_objects as go

from .palette import COLORS, DIVERGING, FONT_SIZE, NAMES, SEQUENTIAL  # noqa: F401  (re-exported)


def base_layout(fig: go.Figure, title: str | None = None, height: int | None = None) -> go.Figure:
    """Apply the shared look: white template, readable fonts, compact margins, legend on top."""
    fig.update_layout(
        template="plotly_white",
        font={"size": FONT_SIZE},
        margin={"l": 60, "r": 20, "t": 60 if title else 30, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        hovermode="x unified",
    )
    if title:
        fig.update_layout(title={"text": title, "x": 0})
    if height:
        fig.update_layout(height=height)
    return fig
