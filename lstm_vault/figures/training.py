"""Training figures: loss curves of several runs against the task's baseline, and predictions against targets.

Pure builders (data in, ``go.Figure`` out). A history row is ``(step, train_loss, val_loss, grad_norm,
seconds)`` as ``lstm_vault.training.HistoryRow`` writes it; rows are read by position, so plain tuples
from a model file's ``meta["training"]["history"]`` work too.

Prediction shapes (``lstm_vault.tasks``): ``batch.x`` (T, B, I); ``batch.y`` (B, O) / (B,) for target
``"last"``, (T, B, O) / (T, B) for ``"all"``; ``batch.mask`` (T, B) or None; a model's outputs ``y_hat``
(T, B, O): the read-out at every step (logits for ``ce`` tasks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from .log_axis import log_range, log_ticks
from .style import COLORS, base_layout

STEP, TRAIN, VAL = 0, 1, 2  # columns of a history row
MAX_POINTS = 400  # prediction scatter points per run; more only slows the browser
FALLBACK = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")


def _color(arch: str, k: int) -> str:
    return COLORS.get(arch, FALLBACK[k % len(FALLBACK)])


def _finite(values) -> list[float | None]:
    """Plotly draws None as a gap; NaN/inf would break the log axis's range."""
    return [float(v) if v is not None and np.isfinite(v) else None for v in values]


def loss_curves(
    runs: Sequence[tuple[str, str, Sequence[Sequence[float]]]],
    baseline: float | None = None,
    baseline_label: str = "baseline",
    steps: int | None = None,
    log_y: bool = True,
    loss_name: str = "loss",
    height: int = 420,
) -> go.Figure:
    """Validation (solid) and training (dotted) loss of every run on one plot, plus the baseline.

    runs: ``(label, arch, history)`` per run; the arch picks the colour (``style.COLORS``).
    baseline: the trivial predictor's loss, drawn as a horizontal dashed line from step 0 to ``steps``
    (or the last step recorded). steps: fixes the x axis to ``[0, steps]`` so a live run grows into a
    frame that does not move. The log y axis spans every loss and the baseline, labelled by ``log_ticks``.
    """
    fig = go.Figure()
    last = 0
    for k, (label, arch, history) in enumerate(runs):
        rows = [tuple(row) for row in history]
        x = [int(row[STEP]) for row in rows]
        last = max([last, *x])
        color = _color(arch, k)
        fig.add_trace(go.Scatter(
            x=x, y=_finite(row[VAL] for row in rows), name=f"{label} validation", mode="lines+markers",
            line={"color": color, "width": 3}, marker={"size": 5}, legendgroup=label,
            meta={"run": label, "kind": "val"},
        ))  # fmt: skip
        fig.add_trace(go.Scatter(
            x=x, y=_finite(row[TRAIN] for row in rows), name=f"{label} training", mode="lines",
            line={"color": color, "width": 1.5, "dash": "dot"}, opacity=0.8, legendgroup=label,
            meta={"run": label, "kind": "train"},
        ))  # fmt: skip
    end = steps if steps is not None else max(last, 1)
    baseline = float(baseline) if baseline is not None and np.isfinite(baseline) else None
    if baseline is not None:
        fig.add_trace(go.Scatter(
            x=[0, end], y=[baseline, baseline], name=baseline_label, mode="lines",
            line={"color": COLORS["baseline"], "width": 2, "dash": "dash"}, hoverinfo="name+y",
            meta={"kind": "baseline"},
        ))  # fmt: skip
    base_layout(fig, height=height)
    fig.update_layout(showlegend=True)  # also with the baseline alone, before any run
    fig.update_xaxes(title_text="training step", range=[0, end] if steps is not None else None)
    fig.update_yaxes(title_text=loss_name, type="log" if log_y else "linear", hoverformat=".4g")
    losses = [y for trace in fig.data if trace.meta.get("run") for y in trace.y if y is not None and y > 0]
    values = losses + ([baseline] if baseline is not None and baseline > 0 else [])
    if log_y and values:
        low, high = log_range(min(values), max(values), empty=not losses)
        tickvals, ticktext = log_ticks(10**low, 10**high)
        fig.update_yaxes(range=[low, high], tickvals=tickvals, ticktext=ticktext)
    if not runs:
        fig.add_annotation(
            text="press Train to see the loss curves grow here",
            showarrow=False,
            xref="paper",
            yref="paper",
            x=0.5,
            y=0.35,
            font={"color": "#777777"},
        )
    return fig


# ------------------------------------------------------------------------------------------------
# predictions


def _decode(values: np.ndarray, encoding: Mapping) -> np.ndarray:
    """Model values to the task's real units: ``offset + scale * v``."""
    return float(encoding.get("offset", 0.0)) + float(encoding.get("scale", 1.0)) * np.asarray(values, float)


def predictions(task, batch, outputs: Mapping[str, tuple[str, np.ndarray]], height: int = 440) -> go.Figure:
    """What the models predict on held-out examples, next to the targets.

    outputs: ``{label: (arch, y_hat)}`` with ``y_hat`` (T, B, O), all on the same ``batch`` of ``task``.
    Regression tasks: predicted against true values, in the task's units (a series task draws both along
    time instead, since its validation windows are in time order). Classification tasks: accuracy at each
    step that counts in the loss, against the uniform guess ``1/O``.
    """
    if task.loss == "ce":
        return _accuracy_by_step(task, batch, outputs, height)
    encoding = task.encoding()
    if task.target == "last":
        true = _decode(np.asarray(batch.y)[:, 0], encoding)  # (B,)
        preds = {
            label: (arch, _decode(np.asarray(y_hat)[-1, :, 0], encoding))
            for label, (arch, y_hat) in outputs.items()
        }
    else:  # every step (masked): flatten the steps that count
        keep = np.ones(np.asarray(batch.y).shape[:2], bool) if batch.mask is None else np.asarray(batch.mask)
        true = _decode(np.asarray(batch.y)[..., 0][keep], encoding)
        preds = {
            label: (arch, _decode(np.asarray(y_hat)[..., 0][keep], encoding))
            for label, (arch, y_hat) in outputs.items()
        }
    unit = encoding.get("unit") or ""
    if encoding.get("series") and task.target == "last":
        return _series(true, preds, unit, height)
    return _scatter(true, preds, unit, height)


def _series(true: np.ndarray, preds: Mapping, unit: str, height: int) -> go.Figure:
    fig = go.Figure()
    x = np.arange(1, len(true) + 1)
    fig.add_trace(
        go.Scatter(
            x=x,
            y=true,
            name="true next value",
            mode="lines",
            line={"color": "#222222", "width": 2},
            meta={"kind": "target"},
        )
    )
    for k, (label, (arch, pred)) in enumerate(preds.items()):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=pred,
                name=f"{label} prediction",
                mode="lines",
                line={"color": _color(arch, k), "width": 2},
                meta={"run": label},
            )
        )
    base_layout(fig, height=height)
    fig.update_xaxes(title_text="held-out window (in time order)")
    fig.update_yaxes(title_text=f"value ({unit})" if unit else "value")
    return fig


def _scatter(true: np.ndarray, preds: Mapping, unit: str, height: int) -> go.Figure:
    fig = go.Figure()
    n = min(len(true), MAX_POINTS)
    all_values = [true[:n]] + [pred[:n] for _, pred in preds.values()]
    lo = float(min(np.min(v) for v in all_values)) if n else 0.0
    hi = float(max(np.max(v) for v in all_values)) if n else 1.0
    fig.add_trace(
        go.Scatter(
            x=[lo, hi],
            y=[lo, hi],
            name="perfect (prediction = target)",
            mode="lines",
            line={"color": COLORS["baseline"], "dash": "dash"},
            hoverinfo="skip",
            meta={"kind": "diagonal"},
        )
    )
    for k, (label, (arch, pred)) in enumerate(preds.items()):
        fig.add_trace(go.Scatter(
            x=true[:n], y=pred[:n], name=label, mode="markers", meta={"run": label},
            marker={"color": _color(arch, k), "size": 7, "opacity": 0.6},
            hovertemplate="target %{x:.3f}<br>prediction %{y:.3f}<extra>" + label + "</extra>",
        ))  # fmt: skip
    base_layout(fig, height=height)
    fig.update_layout(hovermode="closest")
    suffix = f" ({unit})" if unit else ""
    fig.update_xaxes(title_text="target" + suffix)
    pad = 0.05 * (hi - lo) or 0.5
    span = [lo - pad, hi + pad]  # the same range on both axes, so the diagonal is at 45 degrees
    fig.update_xaxes(range=span)
    fig.update_yaxes(title_text="prediction" + suffix, range=span)
    return fig


def accuracy_by_step(task, batch, y_hat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """-> (steps (S,) 0-based, accuracy (S,)): the share of examples whose arg-max output is the target,
    at every step that counts in the loss. y_hat (T, B, O)."""
    y_hat = np.asarray(y_hat)
    y = np.asarray(batch.y)
    if task.target == "last":  # y (B,)
        return np.array([y_hat.shape[0] - 1]), np.array([np.mean(y_hat[-1].argmax(-1) == y)])
    hit = y_hat.argmax(-1) == y  # (T, B)
    mask = np.ones_like(hit) if batch.mask is None else np.asarray(batch.mask, bool)
    counted = mask.sum(axis=1)  # (T,)
    steps = np.flatnonzero(counted)
    return steps, (hit & mask).sum(axis=1)[steps] / counted[steps]


def _accuracy_by_step(task, batch, outputs: Mapping, height: int) -> go.Figure:
    fig = go.Figure()
    first = None
    for k, (label, (arch, y_hat)) in enumerate(outputs.items()):
        steps, acc = accuracy_by_step(task, batch, y_hat)
        first = steps if first is None else first
        # copy task: the recall steps are the last S; number them 1..S so the axis reads "symbol k"
        x = steps - steps[0] + 1 if task.name == "copy" else steps + 1
        fig.add_trace(
            go.Scatter(
                x=x,
                y=acc,
                name=label,
                mode="lines+markers",
                meta={"run": label},
                line={"color": _color(arch, k), "width": 3},
                marker={"size": 8},
            )
        )
    if first is not None:
        x = first - first[0] + 1 if task.name == "copy" else first + 1
        chance = 1.0 / task.output_size
        fig.add_trace(
            go.Scatter(
                x=[x[0], x[-1]],
                y=[chance, chance],
                name=f"uniform guess (1/{task.output_size})",
                mode="lines",
                line={"color": COLORS["baseline"], "dash": "dash"},
                meta={"kind": "chance"},
            )
        )
    base_layout(fig, height=height)
    title = "recalled symbol (1 = first shown)" if task.name == "copy" else "step (characters read)"
    fig.update_xaxes(title_text=title, dtick=1 if first is not None and len(first) <= 20 else None)
    fig.update_yaxes(title_text="accuracy (arg-max = target)", range=[0, 1.02])
    return fig
