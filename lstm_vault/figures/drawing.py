"""The LSTM cell, drawn once as a list of primitives, then rendered as plotly or as SVG.

:func:`lstm_cell` lays the cell out on a canvas of x in [0, 16], y in [-0.4, 8.8] (y up): the
conveyor belt c_{t-1} -> c_t along the top, the bus [h_{t-1}, x_t] along the bottom feeding the
three gates and the candidate, f -> x on the belt, i and g -> x -> +, o -> x with tanh(c) -> h_t.
With a step's numbers (``values`` from :func:`lstm_vault.explain.step_values`) every label carries its
value and each gate box fills to it: a gate at 0.93 is 93 % full; the candidate g fills from the middle,
up when positive, down when negative.
A model's read-out, h_t -> linear -> y_t, is drawn right of the cell by :func:`add_readout` (with its
output, target and the shown unit's share w·h at one step), on a canvas widened to :data:`READOUT_X_MAX`.

Two renderers draw the same :class:`Drawing`:

- :func:`lstm_vault.figures.cell.cell_diagram`, a plotly figure (the home page, exports);
- :func:`cell_svg`, an SVG string, and :func:`cell_img`, that SVG as an ``<img>`` (for HTML
  sanitisers, like ``st.html``'s, that drop inline SVG): what the step-through page redraws on
  every timestep, since a plotly chart whose figure changed is rebuilt by the browser (about
  30 ms a step) while an image is only decoded and painted (a few ms).
"""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass, field, replace

from ..explain import fmt
from .palette import COLORS, FONT_SIZE

# canvas geometry (y up); the belt runs along y = BELT, the bus along y = BUS
X_RANGE, Y_RANGE = (0.0, 16.0), (-0.4, 8.8)
BELT, BUS, GATE_Y = 7.4, 1.3, 3.4
GATE_X = {"f": 4.0, "i": 6.3, "g": 8.6, "o": 10.9}
GATE_W, GATE_H = 2.0, 1.45
FILL_W, FILL_OPACITY = GATE_W - 0.12, 0.35  # a gate's level: a translucent bar inside its box
MUL_F, MUL_IG, ADD = (4.0, BELT), (7.45, 5.5), (7.45, BELT)
TANH_C, MUL_O = (12.8, 5.6), (12.8, GATE_Y)
GATE_ROLE = {"f": "forget", "i": "input", "g": "candidate", "o": "output"}
FONT_FAMILY = '"Open Sans", verdana, arial, sans-serif'  # plotly's default, so both renderers match
#: SVG pixels per canvas unit at the drawing's natural size (font sizes are pixels at that size)
SVG_SCALE = 36.0


@dataclass(frozen=True)
class Text:
    """A label at (x, y); ``anchor`` says which of its ends sits there: start, middle or end."""

    x: float
    y: float
    label: str
    color: str = "#222222"
    size: int = FONT_SIZE
    anchor: str = "middle"
    key: str | None = None  # names a label that changes with the step (see :func:`cell_frames`)


@dataclass(frozen=True)
class Shape:
    """A rectangle ``(x0, y0, x1, y1)``, a circle ``(cx, cy, r)`` or a path: a list of subpaths,
    each ``(points, closed)`` with points ``[(x, y), ...]``. A closed subpath is filled."""

    kind: str  # "rect", "circle" or "path"
    geometry: tuple
    stroke: str
    width: float
    fill: str


@dataclass(frozen=True)
class Fill:
    """A gate's level: a bar of width FILL_W centred on x, from ``base`` up by ``height`` (>= 0)."""

    x: float
    base: float
    height: float
    color: str
    key: str | None = None  # the gate it shows


@dataclass
class Drawing:
    """Primitives in paint order: shapes first (the skeleton, the same at every step), then the gate
    fills, then the texts. ``values`` are the numbers shown (None for the symbolic drawing)."""

    shapes: list[Shape] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    values: dict | None = None
    x_max: float = X_RANGE[1]  # the canvas's right edge: wider with a read-out (:func:`add_readout`)


class _Strokes:
    """Lines and arrowheads gathered into one path per colour and width: fewer elements to draw."""

    def __init__(self):
        self.paths: dict[tuple[str, float], list] = {}

    def line(self, x0, y0, x1, y1, color, width=3):
        self.paths.setdefault((color, width), []).append((((x0, y0), (x1, y1)), False))

    def arrow(self, x, y, ax, ay, color, width=3, length=0.38, half_width=0.2):
        """A filled arrowhead with its tip at (x, y), pointing away from (ax, ay)."""
        norm = math.hypot(x - ax, y - ay)  # plain floats: a cell is drawn once per step of a sequence
        dx, dy = (x - ax) / norm, (y - ay) / norm
        bx, by = x - length * dx, y - length * dy
        points = (
            (x, y),
            (bx - half_width * dy, by + half_width * dx),
            (bx + half_width * dy, by - half_width * dx),
        )
        self.paths.setdefault((color, width), []).append((points, True))

    def shapes(self) -> list[Shape]:
        return [Shape("path", tuple(parts), c, w, c) for (c, w), parts in self.paths.items()]


def _sub(name: str) -> str:
    """``h_prev`` -> "hₜ₋₁", ``c`` -> "cₜ": Unicode subscripts, one text run in any renderer."""
    return {"h_prev": "h\u209c\u208b\u2081", "c_prev": "c\u209c\u208b\u2081"}.get(name, f"{name}\u209c")


def _texter(d: Drawing):
    def text(x, y, label, color="#222222", size=FONT_SIZE, anchor="middle", key=None):
        d.texts.append(Text(x, y, label, color, size, anchor, key))

    return text


def _gate_box(d: Drawing, text, name: str, gx: float, role: str, fn: str, v: dict | None, signed: bool):
    """A gate's box at (gx, GATE_Y) with its role and value, filled to the value (from the middle,
    up or down, when ``signed``)."""
    x0, x1, y0, y1 = gx - GATE_W / 2, gx + GATE_W / 2, GATE_Y - GATE_H / 2, GATE_Y + GATE_H / 2
    d.shapes.append(Shape("rect", (x0, y0, x1, y1), COLORS[name], 2.5, "white"))
    if v is not None:
        val = float(v[name])
        val = val if math.isnan(val) else min(1.0, max(-1.0, val))
        lo, hi = sorted((GATE_Y, GATE_Y + val * GATE_H / 2)) if signed else (y0, y0 + val * GATE_H)
        d.fills.append(Fill(gx, lo, hi - lo, COLORS[name], name))
    label = f"{name} = {fmt(v[name])}" if v is not None else f"{_sub(name)} = {fn}"
    text(gx, GATE_Y - 0.25, label, "#111111" if v is not None else COLORS[name], FONT_SIZE - 1, key=name)
    text(gx, GATE_Y + 0.33, role, COLORS[name], FONT_SIZE - 2)


def lstm_cell(values: dict | None = None, x_text: str | None = None) -> Drawing:
    """The LSTM cell as primitives; ``values`` puts one unit's numbers of one step on it (keys as in
    :func:`lstm_vault.explain.step_values`: x, h_prev, c_prev, f, i, g, o, c, h, kept, written,
    tanh_c). ``x_text`` replaces the shown input value (an input of several features)."""
    v = values
    d = Drawing(values=dict(v) if v is not None else None)
    text = _texter(d)
    grey, cc, hc = "#666666", COLORS["c"], COLORS["h"]

    d.shapes.append(Shape("rect", (1.6, 0.55, 14.6, 8.35), "#BBBBBB", 1.5, "#F7F7F7"))  # the cell body
    k = _Strokes()
    k.line(0.3, BELT, 15.6, BELT, cc, 5)
    k.arrow(15.95, BELT, 15.0, BELT, cc, 5, 0.42, 0.24)
    k.line(0.3, BUS, GATE_X["o"], BUS, grey)
    for gx in GATE_X.values():
        k.line(gx, BUS, gx, GATE_Y - GATE_H / 2, grey)
    k.line(2.6, -0.25, 2.6, BUS - 0.3, COLORS["x"])
    k.arrow(2.6, BUS - 0.05, 2.6, 0.2, COLORS["x"])
    k.line(GATE_X["f"], GATE_Y + GATE_H / 2, MUL_F[0], MUL_F[1] - 0.6, COLORS["f"])
    k.arrow(MUL_F[0], MUL_F[1] - 0.45, MUL_F[0], GATE_Y, COLORS["f"])
    for g in "ig":
        k.line(GATE_X[g], GATE_Y + GATE_H / 2, GATE_X[g], MUL_IG[1], COLORS[g])
        k.line(GATE_X[g], MUL_IG[1], *MUL_IG, COLORS[g])
    k.line(MUL_IG[0], MUL_IG[1], ADD[0], ADD[1] - 0.6, "#444444")
    k.arrow(ADD[0], ADD[1] - 0.45, ADD[0], MUL_IG[1], "#444444")
    k.line(TANH_C[0], BELT, *TANH_C, cc)
    k.line(*TANH_C, *MUL_O, cc)
    k.line(GATE_X["o"] + GATE_W / 2, GATE_Y, *MUL_O, COLORS["o"])
    k.line(MUL_O[0], MUL_O[1], MUL_O[0], BUS, hc, 4)
    k.line(MUL_O[0], BUS, 15.6, BUS, hc, 4)
    k.arrow(15.95, BUS, 15.0, BUS, hc, 4, 0.42, 0.24)
    d.shapes += k.shapes()

    for g, gx in GATE_X.items():  # the gates: a box that fills to the gate's value
        _gate_box(d, text, g, gx, GATE_ROLE[g], "tanh" if g == "g" else "σ", v, signed=g == "g")

    # pointwise operations, drawn over the lines
    for (x, y), sym, color in (
        (MUL_F, "×", COLORS["f"]),
        (MUL_IG, "×", COLORS["i"]),
        (ADD, "+", "#444444"),
        (MUL_O, "×", COLORS["o"]),
    ):
        d.shapes.append(Shape("circle", (x, y, 0.42), color, 2.5, "white"))
        text(x, y, sym, color, FONT_SIZE + 3)
    tx, ty = TANH_C
    d.shapes.append(Shape("rect", (tx - 0.6, ty - 0.32, tx + 0.6, ty + 0.32), cc, 2.5, "white"))
    text(tx, ty, "tanh", cc)

    # what flows in and out, and the products
    def num(key):
        return "" if v is None else f" = {fmt(v[key])}"

    dark = {"c": cc, "h": hc, "x": COLORS["x"]}
    if v is not None:  # darker shades: a number must be readable, not only its colour
        dark |= {"c": "#9A6700", "h": "#1F6F99"}
    text(0.3, BELT + 0.42, f"{_sub('c_prev')}{num('c_prev')}", dark["c"], anchor="start", key="c_prev")
    text(15.5, BELT + 0.5, f"{_sub('c')}{num('c')}", dark["c"], anchor="end", key="c")
    text(0.3, BUS + 0.4, f"{_sub('h_prev')}{num('h_prev')}", dark["h"], anchor="start", key="h_prev")
    text(15.5, BUS - 0.5, f"{_sub('h')}{num('h')}", dark["h"], anchor="end", key="h")
    x_label = num("x") if x_text is None else " = " + x_text
    text(2.85, -0.05, f"{_sub('x')}{x_label}", dark["x"], anchor="start", key="x")
    small = FONT_SIZE - 1
    if v is None:
        text(MUL_F[0] + 0.55, BELT - 0.45, "keep", COLORS["f"], small, "start")
        text(MUL_IG[0] - 0.5, MUL_IG[1] + 0.45, "write", COLORS["i"], small, "end")
        text(MUL_O[0] + 0.55, MUL_O[1] - 0.5, "show", COLORS["o"], small, "start")
        text(8.2, BELT + 0.45, "cell state: the conveyor belt", cc, small, "start")
        bus = f"[{_sub('h_prev')}, {_sub('x')}] goes into the gates and the candidate"
        text(3.0, BUS - 0.42, bus, "#555555", small, "start")
    else:
        text(MUL_F[0] + 0.55, BELT - 0.45, f"f·c = {fmt(v['kept'])}", COLORS["f"], small, "start", key="kept")
        text(
            MUL_IG[0] - 0.5,
            MUL_IG[1] + 0.45,
            f"i·g = {fmt(v['written'])}",
            COLORS["i"],
            small,
            "end",
            key="written",
        )
        text(TANH_C[0] + 0.7, TANH_C[1], f"= {fmt(v['tanh_c'])}", cc, small, "start", key="tanh_c")
    return d


GRU_X = {"z": 4.0, "r": 6.8, "n": 10.4}
GRU_ROLE = {"z": "update", "r": "reset", "n": "candidate"}
MUL_Z, ONE_MINUS, MUL_N, ADD_H = (4.0, BELT), (6.1, 5.6), (10.4, 5.6), (10.4, BELT)


def gru_cell(values: dict | None = None, x_text: str | None = None) -> Drawing:
    """The GRU cell (torch's equations) as primitives: the hidden state runs along the top, where
    h_t = z ⊙ h_{t-1} + (1 − z) ⊙ n; the reset gate r scales h_{t-1}'s share of the candidate n.
    ``values`` keys as in :func:`lstm_vault.explain.step_values`: x, h_prev, r, z, n, h, kept,
    written."""
    v = values
    d = Drawing(values=dict(v) if v is not None else None)
    text = _texter(d)
    grey, hc = "#666666", COLORS["h"]
    d.shapes.append(Shape("rect", (1.6, 0.55, 14.6, 8.35), "#BBBBBB", 1.5, "#F7F7F7"))
    k = _Strokes()
    k.line(0.3, BELT, 15.6, BELT, hc, 5)  # the hidden state, the GRU's only memory
    k.arrow(15.95, BELT, 15.0, BELT, hc, 5, 0.42, 0.24)
    k.line(0.9, BELT, 0.9, BUS, hc)  # h_{t-1} also feeds the gates
    k.line(0.9, BUS, GRU_X["n"], BUS, grey)
    for gx in GRU_X.values():
        k.line(gx, BUS, gx, GATE_Y - GATE_H / 2, grey)
    k.line(2.6, -0.25, 2.6, BUS - 0.3, COLORS["x"])
    k.arrow(2.6, BUS - 0.05, 2.6, 0.2, COLORS["x"])
    top = GATE_Y + GATE_H / 2
    k.line(GRU_X["z"], top, MUL_Z[0], MUL_Z[1] - 0.6, COLORS["z"])
    k.arrow(MUL_Z[0], MUL_Z[1] - 0.45, MUL_Z[0], GATE_Y, COLORS["z"])
    k.line(GRU_X["z"], ONE_MINUS[1], ONE_MINUS[0] - 0.5, ONE_MINUS[1], COLORS["z"])
    k.line(ONE_MINUS[0] + 0.5, ONE_MINUS[1], *MUL_N, COLORS["z"])
    k.line(GRU_X["n"], top, *MUL_N, COLORS["n"])
    k.line(MUL_N[0], MUL_N[1], ADD_H[0], ADD_H[1] - 0.6, "#444444")
    k.arrow(ADD_H[0], ADD_H[1] - 0.45, ADD_H[0], MUL_N[1], "#444444")
    k.line(GRU_X["r"] + GATE_W / 2, GATE_Y, GRU_X["n"] - GATE_W / 2 - 0.1, GATE_Y, COLORS["r"])
    k.arrow(GRU_X["n"] - GATE_W / 2, GATE_Y, GRU_X["r"], GATE_Y, COLORS["r"])
    d.shapes += k.shapes()

    for g, gx in GRU_X.items():
        _gate_box(d, text, g, gx, GRU_ROLE[g], "tanh" if g == "n" else "σ", v, signed=g == "n")
    for (x, y), sym, color in ((MUL_Z, "×", COLORS["z"]), (MUL_N, "×", COLORS["n"]), (ADD_H, "+", "#444444")):
        d.shapes.append(Shape("circle", (x, y, 0.42), color, 2.5, "white"))
        text(x, y, sym, color, FONT_SIZE + 3)
    ox, oy = ONE_MINUS
    d.shapes.append(Shape("rect", (ox - 0.5, oy - 0.32, ox + 0.5, oy + 0.32), COLORS["z"], 2.5, "white"))
    text(ox, oy, "1 −", COLORS["z"])

    def num(key):
        return "" if v is None else f" = {fmt(v[key])}"

    dark = {"h": "#1F6F99" if v is not None else hc, "x": COLORS["x"]}
    text(0.3, BELT + 0.42, f"{_sub('h_prev')}{num('h_prev')}", dark["h"], anchor="start", key="h_prev")
    text(15.5, BELT + 0.5, f"{_sub('h')}{num('h')}", dark["h"], anchor="end", key="h")
    x_label = num("x") if x_text is None else " = " + x_text
    text(2.85, -0.05, f"{_sub('x')}{x_label}", dark["x"], anchor="start", key="x")
    small = FONT_SIZE - 1
    rx = (GRU_X["r"] + GRU_X["n"]) / 2
    text(rx, GATE_Y - 0.45, "r ⊙ h", COLORS["r"], small)
    if v is None:
        text(MUL_Z[0] + 0.55, BELT - 0.45, "keep", COLORS["z"], small, "start")
        text(MUL_N[0] + 0.55, MUL_N[1], "write", COLORS["n"], small, "start")
        text(11.0, BELT + 0.45, "hidden state: the memory", hc, small, "end")
        bus = f"[{_sub('h_prev')}, {_sub('x')}] goes into the gates and the candidate"
        text(3.0, BUS - 0.42, bus, "#555555", small, "start")
    else:
        text(MUL_Z[0] + 0.55, BELT - 0.45, f"z·h = {fmt(v['kept'])}", COLORS["z"], small, "start", key="kept")
        text(
            MUL_N[0] + 0.55,
            MUL_N[1],
            f"(1−z)·n = {fmt(v['written'])}",
            COLORS["n"],
            small,
            "start",
            key="written",
        )
    return d


RNN_BOX_W, TANH_H = 4.6, (8.0, 5.6)


def rnn_cell(values: dict | None = None, x_text: str | None = None) -> Drawing:
    """The vanilla (Elman) RNN cell as primitives: no gates, no belt; h_t = tanh(a) with
    a = W_ih x_t + W_hh h_{t-1} + b rewrites the whole state at every step. ``values`` keys:
    x, h_prev, a, h."""
    v = values
    d = Drawing(values=dict(v) if v is not None else None)
    text = _texter(d)
    grey, hc, ac = "#666666", COLORS["h"], COLORS["rnn"]
    d.shapes.append(Shape("rect", (1.6, 0.55, 14.6, 8.35), "#BBBBBB", 1.5, "#F7F7F7"))
    k = _Strokes()
    k.line(0.3, BUS, TANH_H[0], BUS, grey)
    k.line(TANH_H[0], BUS, TANH_H[0], GATE_Y - GATE_H / 2, grey)
    k.line(2.6, -0.25, 2.6, BUS - 0.3, COLORS["x"])
    k.arrow(2.6, BUS - 0.05, 2.6, 0.2, COLORS["x"])
    k.line(TANH_H[0], GATE_Y + GATE_H / 2, *TANH_H, ac)
    k.line(*TANH_H, TANH_H[0], BELT, hc, 4)
    k.line(TANH_H[0], BELT, 15.6, BELT, hc, 4)
    k.arrow(15.95, BELT, 15.0, BELT, hc, 4, 0.42, 0.24)
    d.shapes += k.shapes()
    x0, x1 = TANH_H[0] - RNN_BOX_W / 2, TANH_H[0] + RNN_BOX_W / 2
    d.shapes.append(Shape("rect", (x0, GATE_Y - GATE_H / 2, x1, GATE_Y + GATE_H / 2), ac, 2.5, "white"))
    tx, ty = TANH_H
    d.shapes.append(Shape("rect", (tx - 0.6, ty - 0.32, tx + 0.6, ty + 0.32), hc, 2.5, "white"))
    text(tx, ty, "tanh", hc)

    def num(key):
        return "" if v is None else f" = {fmt(v[key])}"

    a_label = "a = W x + W h + b" if v is None else f"a = {fmt(v['a'])}"
    text(TANH_H[0], GATE_Y - 0.25, a_label, "#111111" if v is not None else ac, FONT_SIZE - 1, key="a")
    text(TANH_H[0], GATE_Y + 0.33, "pre-activation", ac, FONT_SIZE - 2)
    dark = {"h": "#1F6F99" if v is not None else hc, "x": COLORS["x"]}
    text(0.3, BUS + 0.4, f"{_sub('h_prev')}{num('h_prev')}", dark["h"], anchor="start", key="h_prev")
    text(15.5, BELT + 0.5, f"{_sub('h')}{num('h')}", dark["h"], anchor="end", key="h")
    x_label = num("x") if x_text is None else " = " + x_text
    text(2.85, -0.05, f"{_sub('x')}{x_label}", dark["x"], anchor="start", key="x")
    small = FONT_SIZE - 1
    text(2.0, BELT - 0.1, "no gates, no belt: every step", "#555555", small, "start")
    text(2.0, BELT - 0.65, "rewrites the whole state", "#555555", small, "start")
    return d


#: the drawing of each architecture's cell
CELLS = {"lstm": lstm_cell, "gru": gru_cell, "rnn": rnn_cell}
TITLES = {"lstm": "The LSTM cell", "gru": "The GRU cell", "rnn": "The vanilla RNN cell"}

# the read-out, right of the cell: h_t -> linear -> y_t
READOUT_X, READOUT_W, READOUT_H = 17.5, 1.9, 1.1
READOUT_X_MAX = 23.0
#: where h_t leaves each cell (the read-out's line)
H_OUT_Y = {"lstm": BUS, "gru": BELT, "rnn": BELT}
READOUT_KEYS = ("y", "target", "note", "share")


def add_readout(d: Drawing, arch: str, labels: dict | None = None, fitted: bool = False) -> Drawing:
    """``d`` with the read-out drawn right of the cell, where h_t leaves it: h_t -> [linear, W h + b] -> y_t.

    ``labels`` (:func:`lstm_vault.predictions.readout_labels`) are its numbers at one step: ``y`` the
    output, ``target``, ``note`` (empty, or why the output is untrained) and ``share`` (what the shown
    unit adds, w·h); None draws it symbolic. ``fitted`` names a read-out fitted by least squares rather
    than trained. The canvas widens to :data:`READOUT_X_MAX`.
    """
    y = H_OUT_Y[arch]
    x0, x1 = READOUT_X - READOUT_W / 2, READOUT_X + READOUT_W / 2
    grey, hc = "#444444", "#1F6F99"
    k = _Strokes()
    k.line(15.95, y, x0, y, COLORS["h"], 3)  # on from the cell's h_t arrow
    k.line(x1, y, x1 + 0.55, y, grey, 3)
    k.arrow(x1 + 0.9, y, x1, y, grey, 3)
    d.shapes += k.shapes()
    d.shapes.append(Shape("rect", (x0, y - READOUT_H / 2, x1, y + READOUT_H / 2), grey, 2.5, "white"))
    text = _texter(d)
    small = FONT_SIZE - 2
    text(READOUT_X, y + 0.2, "linear", grey, FONT_SIZE - 1)
    text(READOUT_X, y - 0.25, "W h + b", grey, small)
    below = ("least squares," if fitted else "read-out", "not trained" if fitted else "")
    text(READOUT_X, y - READOUT_H / 2 - 0.3, below[0], grey, small)
    if below[1]:
        text(READOUT_X, y - READOUT_H / 2 - 0.75, below[1], grey, small)
    tx = x1 + 1.05
    v = labels or {}

    def slot(name):
        return name if labels else None

    text(tx, y + 0.3, v.get("y", "y\u209c"), "#111111", FONT_SIZE, "start", key=slot("y"))
    text(tx, y - 0.3, v.get("target", "prediction"), grey, small, "start", key=slot("target"))
    if labels:
        text(tx, y - 0.8, v.get("note", ""), "#888888", small, "start", key="note")
    share = v.get("share", "h\u209c, all units")
    text(x0 - 0.9, y + 0.95, share, hc, small, "start", key=slot("share"))
    d.x_max = READOUT_X_MAX
    return d


# ---------------------------------------------------------------------------------------------- SVG


def _px(x: float, y: float) -> tuple[float, float]:
    """Canvas (y up) -> SVG user units (y down)."""
    return (x - X_RANGE[0]) * SVG_SCALE, (Y_RANGE[1] - y) * SVG_SCALE


def _svg_shape(s: Shape) -> str:
    paint = f'stroke="{s.stroke}" stroke-width="{s.width:g}" fill="{s.fill}"'
    if s.kind == "rect":
        x0, y0, x1, y1 = s.geometry
        (ax, ay), (bx, by) = _px(x0, y1), _px(x1, y0)
        return f'<rect x="{ax:.1f}" y="{ay:.1f}" width="{bx - ax:.1f}" height="{by - ay:.1f}" {paint}/>'
    if s.kind == "circle":
        cx, cy, r = s.geometry
        px, py = _px(cx, cy)
        return f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{r * SVG_SCALE:.1f}" {paint}/>'
    parts = []
    for points, closed in s.geometry:
        xy = [_px(*p) for p in points]
        parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in xy) + ("Z" if closed else ""))
    return f'<path d="{"".join(parts)}" {paint} stroke-linejoin="round"/>'


def fill_box(f: Fill) -> tuple[float, float, float, float]:
    """A fill bar's ``(x, y, width, height)`` in SVG user units (y down), rounded as the SVG writes them."""
    (x0, y0), (x1, y1) = _px(f.x - FILL_W / 2, f.base + f.height), _px(f.x + FILL_W / 2, f.base)
    return round(x0, 1), round(y0, 1), round(x1 - x0, 1), round(y1 - y0, 1)


def _svg_fill(f: Fill, template: bool = False) -> str:
    x, y, w, h = fill_box(f)
    slot = f' data-fill="{f.key}"' if template else ""
    return (
        f'<rect class="lv-fill"{slot} x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
        f'fill="{f.color}" fill-opacity="{FILL_OPACITY}" stroke="none"/>'
    )


def _svg_text(t: Text, template: bool = False) -> str:
    x, y = _px(t.x, t.y)
    slot, label = (f' data-text="{t.key}"', "") if template and t.key else ("", t.label)
    return (
        f'<text{slot} x="{x:.1f}" y="{y:.1f}" fill="{t.color}" font-size="{t.size}" text-anchor="{t.anchor}" '
        f'dominant-baseline="central">{html.escape(label, quote=False)}</text>'
    )


def to_svg(
    drawing: Drawing, title: str = "The LSTM cell", max_height: int = 390, template: bool = False
) -> str:
    """The drawing as one ``<svg>`` element that scales to its container's width (at most
    ``max_height`` px tall); ``title`` is its accessible name. As a ``template``, every keyed text is
    empty and marked ``data-text="<key>"``, every fill marked ``data-fill="<key>"``: the slots that
    :func:`cell_frames` fills at each step."""
    w, h = (drawing.x_max - X_RANGE[0]) * SVG_SCALE, (Y_RANGE[1] - Y_RANGE[0]) * SVG_SCALE
    body = "".join(
        [_svg_shape(s) for s in drawing.shapes]
        + [_svg_fill(f, template) for f in drawing.fills]
        + [_svg_text(t, template) for t in drawing.texts]
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0f} {h:.0f}" role="img" '
        f'class="lv-cell" style="width: 100%; height: auto; max-height: {max_height}px; display: block" '
        f"font-family='{FONT_FAMILY}'><title>{html.escape(title, quote=False)}</title>{body}</svg>"
    )


@dataclass(frozen=True)
class CellFrames:
    """One unit's cell over a whole sequence: the SVG drawn once, and per step only what changes in it.

    svg:       (:func:`to_svg` as a template) the cell with every keyed text empty and every fill flat
    text_keys: (K,) the ``data-text`` slots in the SVG, in drawing order
    fill_keys: (F,) the ``data-fill`` slots (gate names), in drawing order
    texts:     (T, K) the label of each text slot at each step
    fills:     (T, F, 2) the ``y`` and ``height`` of each fill bar at each step, SVG user units (y down)
    """

    svg: str
    text_keys: tuple[str, ...]
    fill_keys: tuple[str, ...]
    texts: tuple[tuple[str, ...], ...]
    fills: tuple[tuple[tuple[float, float], ...], ...]


def cell_frames(
    steps: list[dict],
    x_texts: list[str | None] | None = None,
    arch: str = "lstm",
    title: str | None = None,
    max_height: int = 390,
    readouts: list[dict] | None = None,
    fitted: bool = False,
) -> CellFrames:
    """The cell of ``arch`` at every step: ``steps[t]`` is one unit's numbers at step t and
    ``x_texts[t]`` the input shown (None: x's number), as :func:`cell_svg` takes them. Each step is drawn
    by :data:`CELLS`, exactly as :func:`cell_svg` draws it; its keyed texts and its fills are kept, and
    the rest, the same at every step, is rendered once as the template (which holds no label of the
    data: a browser fills the slots as text). ``readouts[t]`` adds the read-out with its labels at step t
    (:func:`add_readout`; ``fitted`` for a least-squares one)."""
    if not steps:
        raise ValueError("no steps to draw")
    x_texts = [None] * len(steps) if x_texts is None else list(x_texts)
    if len(x_texts) != len(steps):
        raise ValueError(f"{len(x_texts)} input labels for {len(steps)} steps")
    drawings = [CELLS[arch](v, x) for v, x in zip(steps, x_texts)]
    if readouts is not None:
        if len(readouts) != len(steps):
            raise ValueError(f"{len(readouts)} read-out labels for {len(steps)} steps")
        drawings = [add_readout(d, arch, r, fitted) for d, r in zip(drawings, readouts)]
    first = drawings[0]
    text_keys = tuple(t.key for t in first.texts if t.key)
    fill_keys = tuple(f.key for f in first.fills)
    texts, fills = [], []
    for d in drawings:
        keyed = [t for t in d.texts if t.key]
        if tuple(t.key for t in keyed) != text_keys or tuple(f.key for f in d.fills) != fill_keys:
            raise ValueError("the drawing's slots changed from one step to another")
        texts.append(tuple(t.label for t in keyed))
        fills.append(tuple(fill_box(f)[1::2] for f in d.fills))
    flat = Drawing(
        first.shapes,
        [replace(f, base=GATE_Y, height=0.0) for f in first.fills],
        first.texts,
        x_max=first.x_max,
    )
    svg = to_svg(flat, title or TITLES[arch], max_height, template=True)
    return CellFrames(svg, text_keys, fill_keys, tuple(texts), tuple(fills))


def cell_svg(
    values: dict | None = None,
    unit: int | None = None,
    t: int | None = None,
    x_text: str | None = None,
    max_height: int = 390,
    arch: str = "lstm",
) -> str:
    """The cell of ``arch`` (lstm, gru, rnn) as SVG markup, with one unit's numbers at step t when
    ``values`` is given (see :data:`CELLS`); the same drawing as
    :func:`lstm_vault.figures.cell.cell_diagram`. :func:`cell_img` wraps it in an ``<img>``."""
    return _cell(values, unit, t, x_text, max_height, arch, as_img=False)


def cell_img(values=None, unit=None, t=None, x_text=None, max_height: int = 390, arch: str = "lstm") -> str:
    """:func:`cell_svg` (same arguments) as an ``<img>`` whose alt text reads out every label."""
    return _cell(values, unit, t, x_text, max_height, arch, as_img=True)


def _cell(values, unit, t, x_text, max_height: int, arch: str, as_img: bool) -> str:
    d = CELLS[arch](values, x_text)
    title = TITLES[arch] if values is None else f"{TITLES[arch]} at step t = {t}, unit {unit}"
    svg = to_svg(d, title, max_height)
    if not as_img:
        return svg
    alt = f"{title}: " + "; ".join(text.label for text in d.texts)
    aspect = (X_RANGE[1] - X_RANGE[0]) / (Y_RANGE[1] - Y_RANGE[0])
    return svg_img(svg, alt, max_width=max_height * aspect)


def svg_img(svg: str, alt: str, max_width: float | None = None) -> str:
    """SVG markup as an ``<img>`` with a base64 data URI, as wide as its container (at most
    ``max_width`` px), its height following the drawing's aspect ratio."""
    data = base64.b64encode(svg.encode()).decode("ascii")
    cap = "" if max_width is None else f" max-width: {max_width:.0f}px;"
    return (
        f'<img src="data:image/svg+xml;base64,{data}" alt="{html.escape(alt)}" '
        f'style="width: 100%;{cap} height: auto; display: block">'
    )
