"""The app's look (:func:`.style.base_layout`) as plain layout settings, for figures rebuilt on every slider
move.

``base_layout`` sets plotly's ``plotly_white`` template, and plotly validates a template every time a
figure takes one: about 25 ms per figure, more than everything else in a small figure, and a template also
adds about 7 kB to every figure a page sends. :func:`plain_layout` gives the same look without one: the few
``plotly_white`` settings a 2-D chart uses (white background, light grid, axis and colour-bar style), read
from plotly's own template once, plus ``base_layout``'s font, margins, legend and hover mode, read from a
figure it styled once. The figure carries an empty template, so nothing else leaks in.
"""

from __future__ import annotations

import copy

import plotly.graph_objects as go
import plotly.io as pio

from .style import base_layout

_WHITE = pio.templates["plotly_white"].layout
#: plotly_white's style of every 2-D axis (a template styles them all; here each axis gets it)
AXIS = {
    "gridcolor": _WHITE.xaxis.gridcolor,
    "linecolor": _WHITE.xaxis.linecolor,
    "zerolinecolor": _WHITE.xaxis.zerolinecolor,
    "zerolinewidth": _WHITE.xaxis.zerolinewidth,
    "ticks": _WHITE.xaxis.ticks,
    "automargin": _WHITE.xaxis.automargin,
    "title": {"standoff": _WHITE.xaxis.title.standoff},
}
#: plotly_white's colour bar
COLORBAR = {"outlinewidth": _WHITE.coloraxis.colorbar.outlinewidth, "ticks": _WHITE.coloraxis.colorbar.ticks}
_BASE = {
    **{k: v for k, v in base_layout(go.Figure()).layout.to_plotly_json().items() if k != "template"},
    "template": {},
    "paper_bgcolor": _WHITE.paper_bgcolor,
    "plot_bgcolor": _WHITE.plot_bgcolor,
    "hoverlabel": {"align": _WHITE.hoverlabel.align},
    "shapedefaults": {"line": {"color": _WHITE.shapedefaults.line.color}},
    "annotationdefaults": _WHITE.annotationdefaults.to_plotly_json(),
}
_BASE["font"] = {**_BASE.get("font", {}), "color": _WHITE.font.color}


def axis(**settings) -> dict:
    """One axis in the app's look, with ``settings`` on top (``title`` as text or a dict)."""
    title = settings.pop("title", None)
    out = copy.deepcopy(AXIS) | settings
    if title is not None:
        out["title"] |= {"text": title} if isinstance(title, str) else title
    return out


def plain_layout(height: int | None = None, **settings) -> dict:
    """A layout dict with :func:`.style.base_layout`'s look and no template; ``settings`` on top (axes made
    with :func:`axis`). Pass it to ``go.Figure(data=..., layout=...)``."""
    out = copy.deepcopy(_BASE)
    if height:
        out["height"] = height
    for key, value in settings.items():
        out[key] = out[key] | value if isinstance(out.get(key), dict) and isinstance(value, dict) else value
    return out
