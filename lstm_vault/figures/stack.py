"""A stacked and a bidirectional recurrent model drawn with one unit's numbers at every step.

- :func:`stack_drawing`: the layers one above the other at step t, each one's h_t fed up as the next layer's
  input x_t, each layer's h_{t-1} coming in from the left and its h_t going on to step t + 1; the top
  layer's h_t is the model's output.
- :func:`bidirectional_drawing`: steps t - 1, t, t + 1 side by side; the forward direction reads left to
  right, the backward direction right to left (it starts at the last step); at every step the model's
  output is the two directions' h side by side, [h→ ; h←].

Both are :class:`~.drawing.Drawing` s on the cell drawing's canvas, rendered by its :func:`~.drawing.to_svg`,
and :func:`stack_frames` / :func:`bidirectional_frames` give the same :class:`~.drawing.CellFrames` as
:func:`~.drawing.cell_frames`: the SVG once as a template, and per step only the labels that change (no
fills), which a browser writes as text.
"""

from __future__ import annotations

import math

from ..explain import fmt
from .drawing import Y_RANGE, CellFrames, Drawing, Shape, Text, to_svg
from .palette import COLORS, FONT_SIZE

ARCH_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}
GREY, DARK_H = "#666666", "#1F6F99"


def _arrow(x0: float, y0: float, x1: float, y1: float, color: str, width: float = 2.5) -> Shape:
    """A line from (x0, y0) to (x1, y1) with a filled head at (x1, y1)."""
    n = math.hypot(x1 - x0, y1 - y0)
    dx, dy = (x1 - x0) / n, (y1 - y0) / n
    bx, by, w = x1 - 0.32 * dx, y1 - 0.32 * dy, 0.17
    head = ((x1, y1), (bx - w * dy, by + w * dx), (bx + w * dy, by - w * dx))
    return Shape("path", ((((x0, y0), (bx, by)), False), (head, True)), color, width, color)


def _box(d: Drawing, x0: float, y0: float, x1: float, y1: float, color: str) -> None:
    d.shapes.append(Shape("rect", (x0, y0, x1, y1), color, 2.5, "white"))


def _state_text(arch: str, h: float | None, c: float | None) -> str:
    if h is None:
        return "h = …" if arch != "lstm" else "h = …   c = …"
    return f"h = {fmt(h)}" if c is None else f"h = {fmt(h)}   c = {fmt(c)}"


def stack_drawing(
    arch: str, layers: int, values: list[dict] | None = None, x_text: str | None = None
) -> Drawing:
    """``layers`` layers of ``arch`` at one step. ``values[l]``: layer l's ``h_prev``, ``h`` (and for the
    LSTM ``c``) of one unit at that step (None: the symbolic drawing); ``x_text``: the input shown."""
    if not 1 <= layers <= 3:
        raise ValueError(f"the stack drawing shows 1 to 3 layers, got {layers}")
    d = Drawing(values=None if values is None else {"layers": [dict(v) for v in values]})
    color, hc = COLORS[arch], COLORS["h"]
    top = Y_RANGE[1] - 0.9
    bottom = 1.2
    pitch = (top - bottom) / layers
    box_h = min(1.6, pitch - 0.9)
    x0, x1 = 4.2, 11.8
    d.texts.append(Text(8.0, 0.2, f"xₜ = {x_text if x_text is not None else '…'}", COLORS["x"], key="x"))
    below = 0.55
    for layer in range(layers):
        y0 = bottom + layer * pitch + 0.35
        y1 = y0 + box_h
        d.shapes.append(_arrow(8.0, below, 8.0, y0, COLORS["x"] if layer == 0 else hc))
        if layer > 0:
            d.texts.append(Text(8.25, (below + y0) / 2, f"h of layer {layer} is x of layer {layer + 1}",
                                GREY, FONT_SIZE - 2, "start"))  # fmt: skip
        _box(d, x0, y0, x1, y1, color)
        mid = (y0 + y1) / 2
        d.texts.append(Text(8.0, mid + 0.3, f"layer {layer + 1} ({ARCH_NAMES[arch]})", color, FONT_SIZE - 1))
        v = None if values is None else values[layer]
        state = _state_text(arch, None if v is None else v["h"], None if v is None else v.get("c"))
        d.texts.append(Text(8.0, mid - 0.3, state, DARK_H, FONT_SIZE - 1, key=f"state{layer}"))
        d.shapes.append(_arrow(0.4, mid, x0, mid, hc))
        h_prev = "…" if v is None else fmt(v["h_prev"])
        d.texts.append(Text(0.4, mid + 0.35, f"hₜ₋₁ = {h_prev}", DARK_H, FONT_SIZE - 2, "start",
                            key=f"h_prev{layer}"))  # fmt: skip
        d.shapes.append(_arrow(x1, mid, 15.6, mid, hc))
        d.texts.append(Text(15.6, mid + 0.35, "to step t + 1", GREY, FONT_SIZE - 2, "end"))
        below = y1
    d.shapes.append(_arrow(8.0, below, 8.0, Y_RANGE[1] - 0.55, hc))
    out = "…" if values is None else fmt(values[-1]["h"])
    d.texts.append(Text(8.25, Y_RANGE[1] - 0.35, f"output yₜ = h of layer {layers} = {out}", DARK_H,
                        FONT_SIZE - 1, "start", key="y"))  # fmt: skip
    return d


def _line(points, color: str, width: float = 2.0) -> Shape:
    return Shape("path", ((tuple(points), False),), color, width, "none")


def bidirectional_drawing(arch: str, columns: list[dict | None] | None = None) -> Drawing:
    """Steps t - 1, t, t + 1 of a bidirectional layer of ``arch``. ``columns[k]`` (k = 0, 1, 2): that step's
    ``x`` (text), ``fwd`` and ``bwd`` (one unit's h of each direction), or None where the step is outside the
    sequence (drawn as a dash); ``columns`` None: the symbolic drawing."""
    d = Drawing(values=None if columns is None else {"columns": columns})
    color, hc = COLORS[arch], COLORS["h"]
    xs, names = (2.9, 8.0, 13.1), ("t − 1", "t", "t + 1")
    y_fwd, y_bwd, bw, bh, lane = 5.3, 2.5, 3.2, 1.25, 3.9  # lane: between the rows
    for k, (cx, name) in enumerate(zip(xs, names)):
        col = None if columns is None else columns[k]
        for y, key, label in ((y_fwd, "fwd", "forward →"), (y_bwd, "bwd", "← backward")):
            _box(d, cx - bw / 2, y - bh / 2, cx + bw / 2, y + bh / 2, color)
            d.texts.append(Text(cx, y + 0.28, label, color, FONT_SIZE - 2))
            value = "…" if columns is None else "—" if col is None else fmt(col[key])
            d.texts.append(Text(cx, y - 0.28, f"h = {value}", DARK_H, FONT_SIZE - 1, key=f"{key}{k}"))
        # x_t goes into both directions: straight up into the backward box, round it into the forward one
        d.shapes.append(_arrow(cx - 0.6, 0.75, cx - 0.6, y_bwd - bh / 2, COLORS["x"], 2))
        d.shapes.append(_line(((cx - 0.6, 1.2), (cx - bw / 2 - 0.15, 1.2), (cx - bw / 2 - 0.15, lane),
                               (cx - 0.6, lane)), COLORS["x"], 1.5))  # fmt: skip
        d.shapes.append(_arrow(cx - 0.6, lane, cx - 0.6, y_fwd - bh / 2, COLORS["x"], 1.5))
        x_label = "…" if columns is None else "—" if col is None else col["x"]
        d.texts.append(Text(cx, 0.35, f"x at {name}: {x_label}", COLORS["x"], FONT_SIZE - 2, key=f"x{k}"))
    for a, b in ((0, 1), (1, 2)):
        d.shapes.append(_arrow(xs[a] + bw / 2, y_fwd, xs[b] - bw / 2, y_fwd, hc))
        d.shapes.append(_arrow(xs[b] - bw / 2, y_bwd, xs[a] + bw / 2, y_bwd, hc))
    cx, top = xs[1], 7.25
    d.shapes.append(_arrow(cx - 0.4, y_fwd + bh / 2, cx - 0.4, top, hc))
    d.shapes.append(_line(((cx + 0.8, y_bwd + bh / 2), (cx + 0.8, lane), (cx + bw / 2 + 0.35, lane),
                           (cx + bw / 2 + 0.35, 6.7), (cx + 0.4, 6.7)), hc, 2.5))  # fmt: skip
    d.shapes.append(_arrow(cx + 0.4, 6.7, cx + 0.4, top, hc))
    _box(d, 4.0, top, 12.0, 8.55, hc)
    out = "…" if columns is None else f"[{fmt(columns[1]['fwd'])} ; {fmt(columns[1]['bwd'])}]"
    d.texts.append(Text(8.0, 8.15, "output yₜ = [h→ₜ ; h←ₜ], side by side", DARK_H, FONT_SIZE - 1))
    d.texts.append(Text(8.0, 7.65, out, DARK_H, FONT_SIZE - 1, key="y"))
    return d


def _frames(drawings: list[Drawing], title: str, max_height: int) -> CellFrames:
    first = drawings[0]
    keys = tuple(t.key for t in first.texts if t.key)
    texts = []
    for d in drawings:
        keyed = [t for t in d.texts if t.key]
        if tuple(t.key for t in keyed) != keys:
            raise ValueError("the drawing's slots changed from one step to another")
        texts.append(tuple(t.label for t in keyed))
    return CellFrames(
        to_svg(first, title, max_height, template=True), keys, (), tuple(texts), tuple(() for _ in texts)
    )


def stack_frames(trace, unit: int, x_texts: list[str], max_height: int = 390) -> CellFrames:
    """A stacked model's :func:`stack_drawing` at every step of ``trace`` (a one-direction
    :class:`~lstm_vault.trace.Trace`, batch row 0), for ``unit``."""
    L, arch = len(trace.layers), trace.layers[0][0].arch
    drawings = []
    for t in range(trace.T):
        values = []
        for layer in range(L):
            lt = trace.layers[layer][0]
            v = {"h_prev": float(lt.h_prev_at(t)[0, unit]), "h": float(lt.h[t, 0, unit])}
            if arch == "lstm":
                v["c"] = float(lt.c[t, 0, unit])
            values.append(v)
        drawings.append(stack_drawing(arch, L, values, x_texts[t]))
    return _frames(drawings, f"A stack of {L} {ARCH_NAMES[arch]} layers, unit {unit}", max_height)


def bidirectional_frames(trace, unit: int, x_texts: list[str], max_height: int = 390) -> CellFrames:
    """A bidirectional model's first layer (:func:`bidirectional_drawing`) at every step, for ``unit``."""
    fwd, bwd = trace.layers[0][0], trace.layers[0][1]
    T = trace.T

    def column(t):
        if not 0 <= t < T:
            return None
        return {"x": x_texts[t], "fwd": float(fwd.h[t, 0, unit]), "bwd": float(bwd.h[t, 0, unit])}

    drawings = [bidirectional_drawing(fwd.arch, [column(t - 1), column(t), column(t + 1)]) for t in range(T)]
    return _frames(drawings, f"A bidirectional {ARCH_NAMES[fwd.arch]} layer, unit {unit}", max_height)
