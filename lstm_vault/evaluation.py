"""Reading training runs: progress per model, the verdict against the baseline, the best of several runs, the
held-out predictions of trained models, and the sentences the Train page says about them.

Runs are read from what ``training.TrainingWorker`` reports (``RunSnapshot``: ``label``, ``status``,
``step``, ``steps``, ``steps_per_second``, ``history``) and models from ``modelfile.SavedModel``. Imports
neither torch nor streamlit: predictions come from the NumPy reference model, the one the other pages trace.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from lstm_vault.modelfile import imported_from
from lstm_vault.tasks import TASKS, Batch, Task, options_text
from lstm_vault.train_config import ARCH_TITLES

RUNNING = ("pending", "running")  # the statuses of a run that has not finished
LOSS_NAMES = {"mse": "mean squared error", "ce": "cross-entropy"}

# ------------------------------------------------------------------------------------------------
# numbers as the Train page writes them


def duration(seconds: float) -> str:
    """``75`` -> "1 min 15 s"."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min" + (f" {seconds % 60:02d} s" if seconds % 60 else "")


def distinct(*values: float) -> list[str]:
    """``values`` with the fewest significant digits (3 or more) that tell the different ones apart."""
    for digits in range(3, 18):
        shown = [f"{v:.{digits}g}" for v in values]
        if len(set(shown)) == len(set(values)):
            return shown
    return [repr(v) for v in values]


def final_loss(history) -> float:
    """The validation loss of a run's last history row (NaN before the first)."""
    return float(history[-1][2]) if history else math.nan


# ------------------------------------------------------------------------------------------------
# while runs go


def time_left(snapshots) -> float:
    """Seconds until every run is done: the runs share one thread, so their times add up."""
    left = 0.0
    for s in snapshots:
        if s.status in RUNNING:
            if s.steps_per_second <= 0:
                return math.inf
            left += (s.steps - s.step) / s.steps_per_second
    return left


def progress_text(snapshots, elapsed: float) -> tuple[float, str]:
    """-> (fraction done, a progress line), counted per model: the models take turns on one thread.

    "step 817 of 3,000 for each of 2 models · 40 steps/s per model · about 1 min 49 s left". A model that
    stopped early (diverged, failed) counts as done; the step shown is that of the models still training,
    and the rate is that step over the ``elapsed`` wall-clock seconds since the job started.
    """
    snaps = list(snapshots)
    if not snaps:
        return 0.0, "starting"
    active = [s for s in snaps if s.status in RUNNING] or snaps
    step, steps = min(s.step for s in active), max(s.steps for s in snaps)
    finished = sum(s.steps if s.status not in RUNNING else s.step for s in snaps)
    fraction = min(1.0, finished / sum(s.steps for s in snaps))
    n = len(snaps)
    each = f" for each of {n} models" if n > 1 else ""
    if elapsed > 0 and step:
        rate = f"{step / elapsed:.0f} steps/s" + (" per model" if n > 1 else "")
    else:
        rate = "starting"
    left = time_left(snaps)
    eta = f"about {duration(left)} left" if math.isfinite(left) else "estimating the time left"
    return fraction, f"step {step:,} of {steps:,}{each} · {rate} · {eta}"


def runs_line(snapshots) -> str:
    """Each run's step and last validation loss, e.g. "**LSTM** step 400/3,000, validation loss 0.0123"."""
    parts = []
    for s in snapshots:
        part = f"**{s.label}** step {s.step:,}/{s.steps:,}"
        if s.history:
            part += f", validation loss {final_loss(s.history):.4g}"
        if s.status not in RUNNING:
            part += f" ({s.status})"
        parts.append(part)
    return " · ".join(parts)


# ------------------------------------------------------------------------------------------------
# finished runs: against the baseline, and the best of them

# A run counts as having beaten the trivial predictor only when its validation loss is at least this share
# below the baseline's: a rule of thumb, since a validation batch scatters around the expected loss and a
# model can shave a little off by using the easy part of a task (e.g. an adding mark near the end).
BASELINE_MARGIN = 0.05


def beats_baseline(loss: float, baseline: float, margin: float = BASELINE_MARGIN) -> bool:
    """True when ``loss`` is at least ``margin`` (a share, 0.05 = 5 %) below ``baseline``."""
    return loss <= (1 - margin) * baseline


def baseline_verdict(label: str, loss: float, baseline: float, hint: str = "") -> str | None:
    """A markdown sentence when run ``label`` did not beat the baseline by the margin; None when it did.

    ``hint`` (a sentence) says what to try. A non-finite loss gets no verdict: the run's own status says
    what happened.
    """
    if not math.isfinite(loss) or beats_baseline(loss, baseline):
        return None
    percent = f"{100 * BASELINE_MARGIN:g} %"
    if loss >= baseline:
        shown_loss, shown_base = distinct(loss, baseline)
        where = f"its validation loss, {shown_loss}, is not below the baseline's {shown_base}"
    else:
        shown_loss, shown_base, shown_need = distinct(loss, baseline, (1 - BASELINE_MARGIN) * baseline)
        where = (
            f"its validation loss, {shown_loss}, is below the baseline's {shown_base} by less than "
            f"{percent} (that would take {shown_need} or less)"
        )
    return (
        f"**{label}** has not beaten the baseline: {where}. So it has learned little or nothing beyond "
        f"the trivial predictor.{f' {hint}' if hint else ''}"
    )


def run_verdict(task: Task, label: str, status: str, history) -> str | None:
    """The baseline verdict of a finished run on ``task``; none for a diverged run (its loss curve ends at
    the last finite check, which says nothing about the weights that blew up)."""
    loss = final_loss(history) if status != "diverged" else math.nan
    return baseline_verdict(label, loss, task.baseline_loss(), task.advice)


def status_note(label: str, status: str, message: str) -> tuple[str, str] | None:
    """(kind, markdown) for a run that did not simply finish: kind is "warning", "error" or "info"."""
    text = f"**{label}**: {message}"
    if status == "diverged":
        return "warning", f"{text}. Its loss curve ends at the last finite check."
    if status == "error":
        return "error", text
    if status in ("stopped", "time-limit"):
        return "info", text
    return None


def best_run(histories: Mapping[str, Sequence]) -> str | None:
    """The label of the run with the lowest final validation loss (None when none has one): the model the
    other pages get. ``histories``: label -> history, of the runs that left a model."""
    finite = {label: final_loss(h) for label, h in histories.items() if math.isfinite(final_loss(h))}
    return min(finite, key=finite.get) if finite else None


# ------------------------------------------------------------------------------------------------
# held-out predictions of trained models, traced by the NumPy reference

PREDICT_SIZE = 256  # held-out examples in the predictions figure, at most
MIN_PREDICT = 8  # and at least, or no predictions
PREDICT_BUDGET = 4_000_000  # T * B * H of the NumPy forward pass behind it (its trace keeps ~10 such arrays)


@dataclass(frozen=True)
class HeldOut:
    """Held-out examples and what each model predicts for them."""

    batch: Batch
    outputs: dict  # label -> (arch, y_hat (T, B, O))
    samples: dict  # label -> a few examples as text lines (Task.sample_lines); empty lists for most tasks

    @property
    def examples(self) -> int:
        return self.batch.x.shape[1]


def held_out(task: Task, models: Mapping) -> HeldOut:
    """Every model's outputs on the same held-out batch of ``task`` (``models``: label -> SavedModel).

    The batch shrinks for long sequences and wide models so that the traced forward pass stays within
    ``PREDICT_BUDGET``; a short held-out tail gives each window once. ValueError when even ``MIN_PREDICT``
    examples would not fit (a model from elsewhere can be huge).
    """
    batch = held_out_batch(task, models.values())
    outputs = {label: (saved.arch, saved.predict(batch.x)[0]) for label, saved in models.items()}
    samples = {label: task.sample_lines(batch, np.asarray(y).argmax(-1)) for label, (_, y) in outputs.items()}
    return HeldOut(batch, outputs, samples)


def held_out_batch(task: Task, models) -> Batch:
    """The held-out batch that :func:`held_out` scores ``models`` (SavedModels) on: seed 0, as many examples
    as ``PREDICT_BUDGET`` allows for the widest of them (``MIN_PREDICT`` to ``PREDICT_SIZE``)."""
    hidden = max(saved.rnn.hidden_size * saved.rnn.num_layers for saved in models)
    if MIN_PREDICT * task.length * hidden > PREDICT_BUDGET:
        raise ValueError(
            f"sequences of {task.length:,} steps through {hidden:,} hidden units are too big to trace here "
            f"(T x H = {task.length * hidden:,}; at most {PREDICT_BUDGET // MIN_PREDICT:,})"
        )
    size = int(np.clip(PREDICT_BUDGET // (task.length * hidden), MIN_PREDICT, PREDICT_SIZE))
    size = min(size, getattr(task, "n_validation", size))
    return task.validation(size, seed=0)


def task_loss(task: Task, y_hat: np.ndarray, batch: Batch) -> float:
    """The loss of ``y_hat`` (T, B, O) on ``batch`` as the task defines it, in NumPy: the number training
    reports (``torch_backend.task_loss``, which a test holds this to) without importing torch.

    ``mse``: mean squared error over outputs; ``ce``: cross-entropy of the logits. Target ``last``: the final
    step only; ``all``: the mean over the steps the mask keeps (every step without one).
    """
    y_hat = np.asarray(y_hat, dtype=np.float64)
    if task.target == "last":
        y_hat, y, mask = y_hat[-1:], np.asarray(batch.y)[None], None  # (1, B, O) and (1, B[, O])
    else:
        y, mask = np.asarray(batch.y), batch.mask
    if task.loss == "mse":
        per_step = ((y_hat - y) ** 2).mean(axis=-1)  # (T, B)
    else:
        top = y_hat.max(axis=-1, keepdims=True)  # log-sum-exp without overflow
        log_z = np.log(np.exp(y_hat - top).sum(axis=-1)) + top[..., 0]
        per_step = log_z - np.take_along_axis(y_hat, y.astype(np.int64)[..., None], axis=-1)[..., 0]
    if mask is None:
        return float(per_step.mean())
    weights = np.asarray(mask, dtype=np.float64)
    return float((per_step * weights).sum() / max(weights.sum(), 1.0))


def model_held_out(saved, label: str) -> tuple[Task | None, HeldOut | None, str]:
    """(task, predictions of the model named ``label``, "") for a loaded model, or (task or None, None, why
    there are none)."""
    try:
        task = saved.task()
    except (ValueError, TypeError, OSError) as error:  # unknown task, bad options, missing asset
        return None, None, f"No predictions: the file's task cannot be rebuilt here ({error})."
    if task is None:
        return None, None, "No predictions: the file does not say which task it was trained on."
    if task.input_size != saved.rnn.input_size:
        return task, None, (
            f"No predictions: the model reads {saved.rnn.input_size} inputs but task {task.name!r} gives "
            f"{task.input_size}."
        )  # fmt: skip
    try:
        return task, held_out(task, {label: saved}), ""
    except ValueError as error:
        return task, None, f"No predictions: {error}."


# ------------------------------------------------------------------------------------------------
# what the Train page says


def loss_name(task: Task) -> str:
    return LOSS_NAMES[task.loss]


def baseline_caption(task: Task) -> str:
    return (
        f"Baseline: {task.baseline_description}, loss **{task.baseline_loss():.4g}** ({loss_name(task)}). "
        f"This page counts a model as having beaten it when its validation loss is at least "
        f"{100 * BASELINE_MARGIN:g} % lower."
    )


def baseline_label(task: Task) -> str:
    """The baseline's name on the loss curves."""
    return f"baseline: {task.baseline_description} ({task.baseline_loss():.3g})"


def last_training(task: Task, steps: int) -> str:
    shown = task.options_text()
    return f"Last training: {task.title}{f' ({shown})' if shown else ''}, up to {steps:,} steps per model."


def pick_label(label: str, history) -> str:
    """A trained run in the list of models to choose from."""
    return f"{label} (validation loss {final_loss(history):.3g})"


def predictions_caption(task: Task, examples: int) -> str:
    return (
        f"On {examples} held-out examples, {task.held_out()}; computed by the NumPy reference model that the "
        "other pages use."
    )


def kept_model_toast(best: str) -> str:
    """Why a finished run did not replace the model the user loaded while it ran."""
    return (
        "Training finished. The model you loaded during the run stays the other pages' model; pick "
        f"{best} below to use the trained one with the lowest validation loss."
    )


def describe_model(saved) -> str:
    """A saved model, its task by label and its score against the task's baseline: "LSTM, hidden size 32,
    trained on Adding problem (sequence length 100); validation loss 0.000741 (baseline 0.167)". A model
    imported with no task says where it came from: "LSTM, hidden size 8, imported from a torch state dict
    (module 'lstm'); no task or training record"."""
    meta = saved.meta
    task = meta.get("task")
    origin = imported_from(meta)
    if not task and origin:
        return (
            f"{ARCH_TITLES.get(saved.arch, saved.arch)}, hidden size {saved.rnn.hidden_size}, imported from "
            f"{origin}; no task or training record"
        )
    title = TASKS[task].title if task in TASKS else (task or "an unnamed task")
    options = options_text(task, meta.get("task_options") or {})
    training = meta.get("training") or {}
    loss = training.get("val_loss")
    try:  # the task's baseline as this version computes it, the same number the task's caption shows
        rebuilt = saved.task()
    except (ValueError, TypeError, OSError):  # a task or options unknown here: the number in the file
        rebuilt = None
    base = rebuilt.baseline_loss() if rebuilt is not None else training.get("baseline_loss")
    score = f"; validation loss {loss:.3g} (baseline {base:.3g})" if loss is not None and base else ""
    return (
        f"{ARCH_TITLES.get(saved.arch, saved.arch)}, hidden size {saved.rnn.hidden_size}, "
        f"trained on {title}{f' ({options})' if options else ''}{score}"
    )
