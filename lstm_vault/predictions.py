"""What a model predicts at every step, beside its gates: built on :meth:`SavedModel.predict` alone.

The read-out is ``y_t = W h_t + b`` (``modelfile``); this module only reads it out for people:

- :func:`predict_steps`: a model's outputs over one input, as :class:`Predictions`: for a model of one real
  output the value in the data's units (``offset + scale * y``, from the task's encoding), for a model of
  several outputs the softmax probabilities of its classes (characters, symbols), with the target of each
  step where the task has one and which steps the model was scored on in training;
- :func:`example_with_target`: a task's held-out example with its targets (the same ``x`` as
  ``SavedModel.example``);
- :func:`fitted_readout`: the hand-set cell's optional read-out, a linear map from h_t to the next input
  fitted by least squares (not trained), as a :class:`~lstm_vault.modelfile.SavedModel` whose ``predict``
  is used like any other's;
- :func:`window_table`: the next-number example, each window of the input read from a zero state, as the
  task trains it;
- :func:`panel` and :func:`readout_labels`: the sentences and labels a page shows at each step.

Shapes: T steps, O outputs, H hidden units. Nothing here imports streamlit or torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import explain
from .modelfile import SavedModel

#: classes listed per step for a model of several outputs
TOP_K = 5
#: the label of a step a model was not trained to answer at
UNTRAINED = "untrained output (the model is scored on the last step only)"
UNTRAINED_MASKED = "untrained output (the model is not scored at this step)"
FITTED = "fitted by least squares, not trained"
#: tasks whose output is the next value of the sequence read: the next input is each step's target
NEXT_VALUE_TASKS = ("next-number", "sine", "sunspots", "co2", "nile")


@dataclass(frozen=True)
class Predictions:
    """One input's read-out at every step (batch column 0).

    kind:    "value" (one real output) or "classes" (several outputs, read through a softmax)
    y:       (T, O) the read-out's output, ``SavedModel.predict(x)[0][:, 0]``
    value:   (T,) "value": the prediction in the data's units; "classes": the top class's probability
    target:  (T,) "value": the target in the data's units, NaN where none; "classes": the class id, -1 none
    probs:   (T, O) "classes": softmax of y; "value": (T, 0)
    scored:  (T,) bool, the steps the model was trained to answer at (all True when not known to differ)
    names:   (O,) "classes": how each class is shown ('e', '␣', symbol 3); "value": ()
    units:   "value": the data's unit ("ppmv"), "" when none
    untrained_label: what an unscored step is called
    fitted:  True for a read-out fitted by least squares (the hand-set cell's), not trained
    """

    kind: str
    y: np.ndarray
    value: np.ndarray
    target: np.ndarray
    probs: np.ndarray
    scored: np.ndarray
    names: tuple[str, ...] = ()
    units: str = ""
    untrained_label: str = UNTRAINED
    fitted: bool = False

    @property
    def T(self) -> int:
        return self.y.shape[0]

    def top(self, t: int, k: int = TOP_K) -> list[tuple[int, float]]:
        """The k most likely classes at step t as (class id, probability), most likely first."""
        order = np.argsort(-self.probs[t], kind="stable")[:k]
        return [(int(c), float(self.probs[t, c])) for c in order]


def softmax(y: np.ndarray) -> np.ndarray:
    """(..., O) -> probabilities along the last axis (shifted by the max: no overflow)."""
    z = np.exp(y - y.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def visible(char: str) -> str:
    """A character as it is shown: quoted, whitespace as ␣ ↵ ⇥ (``explain.describe_input``'s way)."""
    return f"'{explain._VISIBLE.get(char, char if char.isprintable() else repr(char)[1:-1])}'"


def class_names(encoding: dict | None, O: int) -> tuple[str, ...]:
    """How each of O classes is shown: characters of a "chars" encoding, the channels of a "symbols" one,
    else "class k"."""
    encoding = encoding if isinstance(encoding, dict) else {}
    names = encoding.get("vocab") if encoding.get("type") == "chars" else encoding.get("channels")
    if isinstance(names, (str, list)) and len(names) >= O and all(isinstance(n, str) for n in names[:O]):
        return tuple(visible(n) if encoding.get("type") == "chars" else n for n in names[:O])
    return tuple(f"class {k}" for k in range(O))


def real_scale(encoding: dict | None) -> tuple[float, float, str]:
    """(offset, scale, unit) of a real encoding, data = offset + scale * model value; (0, 1, "") else."""
    e = encoding if isinstance(encoding, dict) else {}
    if e.get("type") != "real":
        return 0.0, 1.0, ""
    offset, scale = e.get("offset", 0.0), e.get("scale", 1.0)
    ok = all(isinstance(v, (int, float)) and math.isfinite(v) for v in (offset, scale)) and scale != 0
    return (float(offset), float(scale), str(e.get("unit") or "")) if ok else (0.0, 1.0, "")


def predicts_next_value(saved: SavedModel) -> bool:
    """Whether the model's task asks for the next value of the one sequence it reads (then the next input
    is each step's target)."""
    return saved.meta.get("task") in NEXT_VALUE_TASKS and saved.rnn.input_size == 1


def example_with_target(saved: SavedModel, seed: int = 0):
    """A held-out example of the model's task: (x (T, 1, I) float64, y, mask) of ``task.validation(1,
    seed)``, column 0 (y (T, ...) for a task scored at every step, else the last step's);
    the same x as ``saved.example(seed)``. ValueError as ``saved.example``'s."""
    x, _ = saved.example(seed)
    task = saved.task()
    batch = task.validation(1, seed=seed)
    mask = None if batch.mask is None else batch.mask[:, 0]  # (T,)
    y = batch.y[:, 0] if task.target == "all" else batch.y[0]  # (T, ...) or (O,) / ()
    return x, y, mask


def predict_steps(
    saved: SavedModel,
    x: np.ndarray,
    *,
    target=None,
    mask: np.ndarray | None = None,
    example: bool = False,
    fitted: bool = False,
) -> Predictions:
    """The read-out of ``saved`` on x (T, 1, I) at every step, for people (:class:`Predictions`).

    target, mask: the task's (``example_with_target``), for a task example (``example=True``): the step
        scored in training (the last one, or the mask's) and their answers;
    a next-value model (:func:`predicts_next_value`) also takes the next input as each earlier step's target;
    without ``example`` every step counts as scored (the model reads an input of the user's).
    """
    if not saved.has_readout:
        raise ValueError("the model has no read-out (output size 0): it makes no prediction to show")
    x = np.asarray(x, dtype=np.float64)
    y = saved.predict(x)[0][:, 0]  # (T, O)
    T, O = y.shape
    meta = saved.meta
    task_kind = _task_kind(saved)
    if task_kind is not None:
        target_where = task_kind[1]
    else:  # a model whose task is not known here: a target per step is scored at every step
        target_where = "all" if target is not None and np.size(target) == T else "last"
    scored = np.ones(T, dtype=bool)
    label = UNTRAINED
    if example and target_where == "last":
        scored = np.arange(T) == T - 1
    elif example and mask is not None:
        scored = np.asarray(mask, dtype=bool).reshape(T)
        label = UNTRAINED_MASKED
    if O == 1 and (task_kind is None or task_kind[0] == "mse"):
        offset, scale, units = real_scale(meta.get("encoding"))
        value = offset + scale * y[:, 0]
        goal = np.full(T, np.nan)
        if predicts_next_value(saved) or fitted:
            goal[:-1] = offset + scale * x[1:, 0, 0]
        if example and target is not None:
            t_arr = np.asarray(target, dtype=np.float64)
            if target_where == "last":
                goal[-1] = offset + scale * float(t_arr.reshape(-1)[0])
            else:
                goal = offset + scale * t_arr.reshape(T, -1)[:, 0]
        return Predictions("value", y, value, goal, np.zeros((T, 0)), scored, (), units, label, fitted)
    probs = softmax(y)
    goal = np.full(T, -1, dtype=np.int64)
    if example and target is not None and target_where == "all":
        goal = np.asarray(target, dtype=np.int64).reshape(T)
        if mask is not None:  # a target the task leaves out of the loss is no answer
            goal = np.where(scored, goal, -1)
    names = class_names(meta.get("encoding"), O)
    return Predictions("classes", y, probs.max(axis=1), goal, probs, scored, names, "", label, fitted)


def _task_kind(saved: SavedModel) -> tuple[str, str] | None:
    """(loss, target) of the model's task, None when the file names no task this version knows."""
    from .tasks import TASKS

    cls = TASKS.get(saved.meta.get("task"))
    return None if cls is None else (cls.loss, cls.target)


# ----------------------------------------------------------------------------------- hand-set read-out


@dataclass(frozen=True)
class Fit:
    """A read-out fitted by least squares: the model, its root-mean-square error and what it was fitted to."""

    saved: SavedModel  # the hand-set cell's rnn with W (1, H) and b (1,) fitted
    rmse: float  # sqrt(mean((W h_t + b - x_{t+1})^2)) over the N fitted steps
    n: int  # N = T - 1 pairs (h_t, x_{t+1})
    exact: bool  # N <= H + 1: as many numbers to fit as pairs, so the fit can pass through every one


def fitted_readout(rnn, x: np.ndarray) -> Fit:
    """The linear map ``x_{t+1} ≈ W h_t + b`` fitted by least squares on one input (x: (T, 1, 1)),
    h_t from ``rnn``'s forward pass (a zero state). Not trained: a straight line through the hidden states.
    ValueError for fewer than 2 steps."""
    x = np.asarray(x, dtype=np.float64)
    T = x.shape[0]
    if T < 2:
        raise ValueError("a read-out of the next input needs at least 2 steps")
    out = rnn.forward(x)[0][:, 0]  # (T, D*H)
    A = np.hstack([out[:-1], np.ones((T - 1, 1))])  # (N, D*H + 1)
    coef, *_ = np.linalg.lstsq(A, x[1:, 0, 0], rcond=None)
    W, b = coef[None, :-1], coef[-1:]
    saved = SavedModel(rnn, W, b, {"encoding": {"type": "real", "offset": 0.0, "scale": 1.0}})
    rmse = float(np.sqrt(np.mean((A @ coef - x[1:, 0, 0]) ** 2)))
    return Fit(saved, rmse, T - 1, A.shape[1] >= T - 1)


def fit_sentence(fit: Fit) -> str:
    """What the fitted read-out is, with its error (markdown)."""
    H = fit.saved.readout_weight.shape[1]
    text = (
        f"Read-out {FITTED}: the next input ≈ W h_t + b, with the {H + 1} numbers of W and b chosen to "
        f"fit the {fit.n} pairs (h_t, x_t+1) of this input; root-mean-square error "
        f"**{explain.fmt(fit.rmse)}**."
    )
    if fit.exact:
        text += (
            f" With {H + 1} numbers for {fit.n} pairs the line can pass through every pair, so a small "
            "error says nothing about the cell."
        )
    return text


# ------------------------------------------------------------------------------------ next-number table


@dataclass(frozen=True)
class WindowRow:
    window: tuple[float, ...]  # the numbers read, in the data's units
    prediction: float  # the model's next number, in the data's units
    true_next: float | None  # the number after the window in the input, None after the last


def window_table(saved: SavedModel, numbers, window: int) -> list[WindowRow]:
    """Each window of ``window`` consecutive numbers, read from a zero state as the task trains the model
    (one batch column per window), and the next number it predicts, via ``SavedModel.predict``: the
    numbers are encoded with the model's encoding (model value = (number - offset) / scale) and the
    prediction decoded back. ValueError when the input is shorter than a window."""
    numbers = np.asarray(numbers, dtype=np.float64).reshape(-1)
    n = len(numbers) - window + 1
    if window < 1 or n < 1:
        raise ValueError(f"{len(numbers)} numbers hold no window of {window}")
    offset, scale, _ = real_scale(saved.meta.get("encoding"))
    windows = np.stack([numbers[k : k + window] for k in range(n)], axis=1)  # (window, n)
    y = saved.predict(((windows - offset) / scale)[:, :, None])[0]  # (window, n, 1)
    pred = offset + scale * y[-1, :, 0]
    return [
        WindowRow(
            tuple(float(v) for v in windows[:, k]),
            float(pred[k]),
            float(numbers[k + window]) if k + window < len(numbers) else None,
        )
        for k in range(n)
    ]


# --------------------------------------------------------------------------------------- what is shown


def _num(v: float, units: str = "") -> str:
    return f"{explain.fmt(v)}{' ' + units if units else ''}"


def panel(p: Predictions, t: int) -> dict:
    """What the prediction panel shows at step t: ``title``, ``rows`` ([label, value] pairs),
    ``lines`` (sentences) and ``muted`` (an output the model was not trained to give). Plain text: a
    browser writes it with textContent."""
    muted = not bool(p.scored[t])
    lines = [p.untrained_label] if muted else []
    if p.fitted:
        lines.append(f"Read-out {FITTED}.")
    if p.kind == "value":
        rows = [["predicted", _num(p.value[t], p.units)]]
        if not math.isnan(p.target[t]):
            rows.append(["target", _num(p.target[t], p.units)])
            rows.append(["error", _num(p.value[t] - p.target[t], p.units)])
        title = f"Prediction at t = {t}" + (" (the next input)" if p.fitted else "")
        return {"title": title, "rows": rows, "lines": lines, "muted": muted}
    rows = [[p.names[c], f"{100 * q:.1f} %"] for c, q in p.top(t)]
    if p.target[t] >= 0:
        c = int(p.target[t])
        rank = int(np.sum(p.probs[t] > p.probs[t, c])) + 1
        lines.append(
            f"came: {p.names[c]} (given {100 * p.probs[t, c]:.1f} %, ranked {rank} of {len(p.names)})"
        )
    title = f"Next, at t = {t}: the {min(TOP_K, len(p.names))} most likely"
    return {"title": title, "rows": rows, "lines": lines, "muted": muted}


def readout_labels(p: Predictions, t: int, contribution: float | None, unit: int) -> dict[str, str]:
    """The read-out's labels on the drawn cell at step t: ``y`` (the output), ``target``, ``note`` ("untrained
    output" at a step the model is not scored on, else empty) and ``share``
    (what the shown unit adds, w·h, to that output; None: the shown layer is not the one read out)."""
    note = "" if p.scored[t] else "untrained output"
    if p.kind == "value":
        y = f"ŷ\u209c = {_num(p.value[t], p.units)}"
        target = "target: none" if math.isnan(p.target[t]) else f"target {_num(p.target[t], p.units)}"
        of = "ŷ"
    else:
        c, q = p.top(t, 1)[0]
        y = f"ŷ\u209c: {p.names[c]} {100 * q:.0f} %"
        target = "came: none" if p.target[t] < 0 else f"came: {p.names[int(p.target[t])]}"
        of = "its logit"
    share = (
        "reads the last layer"
        if contribution is None
        else f"unit {unit}: w·h = {explain.fmt(contribution)} of {of}"
    )
    return {"y": y, "target": target, "note": note, "share": share}


def contributions(saved: SavedModel, p: Predictions, h: np.ndarray, unit: int, direction: int = 0):
    """What the shown unit adds to the output drawn at each step, w[o, d·H + unit] · h_t (T,): o the one
    output (a value) or the top class; h (T,) the unit's hidden state in the last layer."""
    H = saved.rnn.hidden_size
    col = direction * H + unit
    rows = np.zeros(p.T, dtype=np.int64) if p.kind == "value" else np.argmax(p.probs, axis=1)
    return saved.readout_weight[rows, col] * np.asarray(h, dtype=np.float64)


def timeline_line(p: Predictions) -> dict:
    """The prediction row of the timeline: ``y`` (T,) what is drawn, ``target`` (T,) NaN where none,
    ``scored`` (T,), ``title`` and ``range`` (None: automatic). A value model draws its prediction
    against the target; a model of classes the probability it gave to what came (NaN where unknown)."""
    if p.kind == "value":
        title = "prediction ŷ" + (f" ({p.units})" if p.units else "")
        return {"y": p.value, "target": p.target, "scored": p.scored, "title": title, "range": None}
    known = p.target >= 0
    given = np.where(known, p.probs[np.arange(p.T), np.maximum(p.target, 0)], np.nan)
    top = p.value
    return {
        "y": np.where(known, given, top),
        "target": np.full(p.T, np.nan),
        "scored": p.scored,
        "title": "p(what came)" if known.any() else "p(top class)",
        "range": [0.0, 1.0],
    }
