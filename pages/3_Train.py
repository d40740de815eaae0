"""Train: pick a task and up to three architectures, train them side by side, watch the loss, keep the model.

Training never runs inside a script run (any click reruns the script). It runs in the library's
``TrainingWorker``, a daemon thread, kept in this browser session's ``st.session_state``; a fragment polls it
once a second while it runs and redraws the curves and the progress, then reruns the page once to show the
result and stops polling. Leaving the page leaves the run going; coming back shows it (unless its slot's
lease lapsed meanwhile and another tab took it: see below).

One process serves every browser tab, and a tab is a session of its own. So that one tab cannot starve the
others, a process-wide ``RunSlots`` (``pages/common/run_slots.py``) admits ``MAX_RUNNING`` training runs at
a time; a tab that asks for one more is told who holds the CPU and for about how long. Every run has a time
budget.
"""

from __future__ import annotations

import io
import math
import os
import re
import time
import uuid
from dataclasses import dataclass, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

import numpy as np
import streamlit as st

from lstm_vault import modelfile
from lstm_vault.figures.training import loss_curves, predictions
from lstm_vault.tasks import TASKS, TEXTS, get_task, task_names
from lstm_vault.torch_backend import set_threads
from lstm_vault.training import (
    BASELINE_MARGIN,
    TrainConfig,
    TrainingWorker,
    baseline_verdict,
    duration,
    progress_text,
)
from pages.common.navigation import sidebar
from pages.common.run_slots import LEASE_SECONDS, Holder, run_slots
from pages.common.session import current_model, set_current_model, set_last_run_models

# ------------------------------------------------------------------------------------------------
# limits and defaults

DEFAULTS = TrainConfig()  # the training module's defaults are the form's defaults
ARCH_NAMES = {"lstm": "LSTM", "rnn": "RNN (tanh)", "gru": "GRU"}
# (low, high) of each setting; beyond these a CPU run takes hours or the optimiser is sure to blow up
LIMITS = {
    "hidden_size": (1, 256),
    "steps": (10, 20_000),
    "batch_size": (1, 1024),
    "lr": (1e-5, 1.0),
    "clip": (0.0, 100.0),  # 0 = no clipping
    "seed": (0, 2**31 - 1),
}
MAX_LENGTH = 1000  # sequence length offered in the task options
RUN_SECONDS = 600.0  # compute budget of one run; the run stops (and keeps its weights) when it is spent
POLL_SECONDS = 1.0  # how often the live view redraws
MAX_RUNNING = max(
    1, (os.cpu_count() or 2) // 4
)  # concurrent runs per process; torch uses half the cores each
PREDICT_SIZE = 256  # held-out examples in the predictions figure, at most
MIN_PREDICT = 8  # and at least, or no predictions
PREDICT_BUDGET = 4_000_000  # T * B * H of the NumPy forward pass behind it (its trace keeps ~10 such arrays)
CURVE_HEIGHT = 460  # px
# a model trained on this page always fits the predictions' budget (uploaded ones may not: see _outputs)
assert MIN_PREDICT * MAX_LENGTH * LIMITS["hidden_size"][1] <= PREDICT_BUDGET
MODELS_DIR = ROOT / "assets" / "models"

# every task option by its name in lstm_vault.tasks -> (label, help) for the widgets and the text around them
OPTION_TEXT = {
    "length": ("sequence length", "steps the model reads in each example"),
    "n_symbols": (
        "alphabet size",
        "how many different symbols can be shown; more symbols, more to tell apart",
    ),
    "seq_len": ("symbols to remember", "how many symbols the model is shown and must recall, in order"),
    "window": (
        "numbers shown",
        "how many numbers of the sequence the model reads before it predicts the next",
    ),
    "noise": ("noise", "standard deviation of the Gaussian noise added to every value of the wave"),
    "source": ("text", "the text whose next character the model learns to predict"),
}
LENGTH_HELP = {  # what "sequence length" means for each task
    "adding": "steps in each sequence; the first marked number can be up to this many steps back",
    "copy": "all steps of an example: the symbols, a blank delay, the cue and the recall; at least "
    "2 x symbols to remember + 1",
    "sine": "values of the wave the model reads before it predicts the next",
    "text": "characters the model reads in each example",
}
SERIES_LENGTH_HELP = "past values the model reads before it predicts the next"
# (low, high) of the options that lstm_vault.tasks bounds more tightly than the sequence length
OPTION_BOUNDS = {"n_symbols": (2, 64), "seq_len": (1, 50), "window": (1, 20), "noise": (0.0, 1.0)}

# session-state keys, all prefixed "lv_train_"
JOB, RUNS, LOADED, TOKEN = "lv_train_job", "lv_train_runs", "lv_train_loaded", "lv_train_token"
UPLOAD, UPLOAD_ERROR, SHIP_ERROR = "lv_train_upload", "lv_train_upload_error", "lv_train_ship_error"

set_threads()  # once per process, first caller wins: leaves cores for the app's reruns


# ------------------------------------------------------------------------------------------------
# what the session keeps


@dataclass
class Job:
    """A training job in progress, owned by this browser session."""

    worker: TrainingWorker
    task: object  # lstm_vault.tasks.Task
    steps: int  # per run
    started: float  # time.monotonic()
    stopping: bool = False  # Stop was pressed
    notes: tuple[str, ...] = ()  # warnings about the settings, shown while it runs
    model_before: int | None = None  # id() of the session's model when the run started


@dataclass
class Run:
    """A finished run: its curve, its outcome and (when it trained at all) the model."""

    label: str
    arch: str
    status: str  # "done", "stopped", "diverged", "time-limit" or "error"
    message: str
    history: tuple
    saved: modelfile.SavedModel | None  # NumPy reference + read-out, as the other pages read it
    data: bytes | None  # the model file


@dataclass
class Finished:
    task: object
    steps: int
    runs: list[Run]
    figure: object | None  # predictions of every run on the same held-out examples
    samples: dict  # label -> text lines (copy and text tasks)
    examples: int = 0  # held-out examples behind the figure


@dataclass
class Loaded:
    """A model loaded from the shipped folder or an upload."""

    source: str  # e.g. "shipped adding_lstm.npz"
    saved: modelfile.SavedModel
    figure: object | None
    note: str  # why there is no figure, or ""


def _token() -> str:
    if TOKEN not in st.session_state:
        st.session_state[TOKEN] = uuid.uuid4().hex
    return st.session_state[TOKEN]


def option_label(name: str) -> str:
    return OPTION_TEXT.get(name, (name.replace("_", " "), ""))[0]


def option_help(task_name: str, name: str) -> str:
    if name == "length":
        return LENGTH_HELP.get(task_name, SERIES_LENGTH_HELP)
    return OPTION_TEXT.get(name, ("", ""))[1]


def option_bounds(name: str, default) -> tuple:
    """(low, high) offered for a task option: what lstm_vault.tasks accepts, capped for a CPU run."""
    if name in OPTION_BOUNDS:
        return OPTION_BOUNDS[name]
    if isinstance(default, float):
        return 0.0, 10_000.0
    return 1, MAX_LENGTH if name == "length" else 10_000


def options_text(options: dict) -> str:
    """``{"n_symbols": 8, "source": "sonnets"}`` -> "alphabet size 8, text Shakespeare's Sonnets"."""
    parts = []
    for name, value in options.items():
        if name == "source" and value in TEXTS:
            value = TEXTS[value].title
        parts.append(f"{option_label(name)} {value}")
    return ", ".join(parts)


def human(text: str) -> str:
    """Raw option names in a task's text ("ln(n_symbols)", "option 'seq_len'") -> their labels."""
    text = re.sub(r"^task '[^']*': option '(\w+)'", lambda m: option_label(m[1]).capitalize(), text)
    names = "|".join(n for n in OPTION_TEXT if "_" in n)
    return re.sub(rf"\b({names})\b", lambda m: option_label(m[1]), text)


def describe(saved) -> str:
    meta = saved.meta
    task = meta.get("task")
    title = TASKS[task].title if task in TASKS else (task or "an unnamed task")
    options = options_text(meta.get("task_options") or {})
    training = meta.get("training") or {}
    loss = training.get("val_loss")
    try:  # the task's baseline as this version computes it, the same number the task's caption shows
        rebuilt = saved.task()
    except (ValueError, TypeError, OSError):  # a task or options unknown here: the number in the file
        rebuilt = None
    base = rebuilt.baseline_loss() if rebuilt is not None else training.get("baseline_loss")
    score = f"; validation loss {loss:.3g} (baseline {base:.3g})" if loss is not None and base else ""
    return (
        f"{ARCH_NAMES.get(saved.arch, saved.arch)}, hidden size {saved.rnn.hidden_size}, "
        f"trained on {title}{f' ({options})' if options else ''}{score}"
    )


# ------------------------------------------------------------------------------------------------
# predictions of finished or loaded models


def _outputs(task, saved_models: dict) -> tuple:
    """Held-out batch and each model's outputs (T, B, O), from the NumPy reference the other pages use.

    The batch shrinks for long sequences and wide models so that the traced forward pass stays small;
    ValueError when even a few examples would not fit (a model from elsewhere can be huge).
    """
    hidden = max(saved.rnn.hidden_size * saved.rnn.num_layers for saved in saved_models.values())
    if MIN_PREDICT * task.length * hidden > PREDICT_BUDGET:
        raise ValueError(
            f"sequences of {task.length:,} steps through {hidden:,} hidden units are too big to trace here "
            f"(T x H = {task.length * hidden:,}; at most {PREDICT_BUDGET // MIN_PREDICT:,})"
        )
    size = int(np.clip(PREDICT_BUDGET // (task.length * hidden), MIN_PREDICT, PREDICT_SIZE))
    size = min(size, getattr(task, "n_validation", size))  # a short held-out tail: each window once
    batch = task.validation(size, seed=0)
    outputs = {label: (saved.arch, saved.predict(batch.x)[0]) for label, saved in saved_models.items()}
    return batch, outputs


def _samples(task, batch, outputs: dict, n: int = 3) -> dict:
    """A few held-out examples as text: the symbols shown and recalled (copy), the next characters (text)."""
    out = {}
    for label, (_, y_hat) in outputs.items():
        pred = np.asarray(y_hat).argmax(-1)  # (T, B)
        lines = []
        if task.name == "copy":
            S = task.seq_len
            for b in range(min(n, batch.x.shape[1])):
                shown = " ".join(str(s) for s in batch.y[-S:, b])
                recalled = " ".join(str(s) for s in pred[-S:, b])
                lines.append(f"shown {shown}   recalled {recalled}")
        elif task.name == "text":
            vocab = task.vocab
            true = "".join(vocab[i] for i in batch.y[:, 0])
            guess = "".join(vocab[i] for i in pred[:, 0])
            lines = [f"text:      {true!r}", f"predicted: {guess!r}"]
        out[label] = lines
    return out


def _loaded(source: str, saved) -> Loaded:
    try:
        task = saved.task()
    except (ValueError, OSError) as error:  # unknown task, bad options, missing asset
        return Loaded(
            source, saved, None, f"No predictions: the file's task cannot be rebuilt here ({error})."
        )
    if task is None:
        return Loaded(
            source, saved, None, "No predictions: the file does not say which task it was trained on."
        )
    if task.input_size != saved.rnn.input_size:
        return Loaded(
            source,
            saved,
            None,
            f"No predictions: the model reads {saved.rnn.input_size} inputs but "
            f"task {task.name!r} gives {task.input_size}.",
        )
    try:
        batch, outputs = _outputs(task, {source: saved})
    except ValueError as error:
        return Loaded(source, saved, None, f"No predictions: {error}.")
    return Loaded(source, saved, predictions(task, batch, outputs), "")


def handle_upload(name: str, data: bytes) -> str | None:
    """Load an uploaded model file and make it the session's model; the error message, or None if it worked.

    The file goes through ``modelfile.load`` (no pickle, every array checked); on any failure the session
    keeps what it had.
    """
    try:
        saved = modelfile.load(data)
        loaded = _loaded(f"uploaded {name}", saved)
    except modelfile.ModelFileError as error:
        return f"{name}: {error}"
    except (ValueError, TypeError, KeyError, OSError, MemoryError) as error:  # its task or predictions
        return f"{name}: could not load this file ({type(error).__name__}: {error})"
    st.session_state[LOADED] = loaded
    set_current_model(saved)
    return None


def on_upload() -> None:
    """The uploader's callback: runs before the page, so every part of it shows the new model."""
    upload = st.session_state.get(UPLOAD)
    st.session_state[UPLOAD_ERROR] = None if upload is None else handle_upload(upload.name, upload.getvalue())


def use_shipped() -> None:
    path = st.session_state["lv_train_ship"]
    try:
        saved = load_shipped(str(path), path.stat().st_mtime)
    except (modelfile.ModelFileError, OSError) as error:
        st.session_state[SHIP_ERROR] = f"{path.name}: {error}"
        return
    st.session_state[SHIP_ERROR] = None
    st.session_state[LOADED] = _loaded(f"shipped {path.name}", saved)
    set_current_model(saved)


@st.cache_resource(max_entries=8)
def load_shipped(path: str, mtime: float) -> modelfile.SavedModel:
    """A shipped model, read once per process (mtime in the key so a new file is read again); read-only."""
    return modelfile.load(path)


# ------------------------------------------------------------------------------------------------
# starting and finishing a job


def check_settings(values: dict) -> list[str]:
    """One message per setting outside LIMITS (the widgets already clamp; this catches the rest)."""
    errors = []
    for name, (low, high) in LIMITS.items():
        value = values[name]
        if not (isinstance(value, (int, float)) and math.isfinite(value) and low <= value <= high):
            errors.append(f"{name.replace('_', ' ')} must be between {low:g} and {high:g}, got {value!r}")
    if not values["archs"]:
        errors.append("pick at least one architecture to train")
    return errors


def start(task, options: dict, archs: list[str], values: dict, notes: tuple[str, ...] = ()) -> str | None:
    """Start training ``archs`` on ``task``; None on success, else the message to show."""
    steps = int(values["steps"])
    common = dict(
        task=task.name,
        task_options=dict(options),
        hidden_size=int(values["hidden_size"]),
        batch_size=int(values["batch_size"]),
        lr=float(values["lr"]),
        steps=steps,
        clip=float(values["clip"]) or None,
        seed=int(values["seed"]),
        eval_every=max(1, min(DEFAULTS.eval_every, steps // 30)),  # at least ~30 points on the curve
        max_seconds=RUN_SECONDS,
    )
    configs = [TrainConfig(arch=arch, **common) for arch in archs]
    try:
        for config in configs:
            config.check()
    except ValueError as error:
        return str(error)
    worker = TrainingWorker(configs, labels=[ARCH_NAMES[a].split(" ")[0] for a in archs])
    title = f"{', '.join(a.upper() for a in archs)} on {task.title}, {steps} steps"
    holder = Holder(_token(), worker, title)
    refused = run_slots(MAX_RUNNING).claim(holder)
    if refused:
        return refused
    worker.start()
    before = current_model()
    st.session_state[JOB] = Job(
        worker,
        task,
        steps,
        time.monotonic(),
        notes=tuple(notes),
        model_before=None if before is None else id(before),
    )
    st.session_state.pop(RUNS, None)
    return None


def finish(job: Job) -> None:
    """Finished job -> Runs with model files; the best model goes to the other pages; the slot is freed."""
    runs, saved_models = [], {}
    for snap, result in zip(job.worker.snapshot(), job.worker.results):
        run = Run(snap.label, snap.config.arch, snap.status, snap.message, snap.history, None, None)
        if result is not None and result.history:
            try:
                buffer = io.BytesIO()
                result.save(buffer)  # the model file, exactly what Download gives and Upload reads
                run.data = buffer.getvalue()
                run.saved = saved_models[snap.label] = modelfile.load(run.data)
            except (modelfile.ModelFileError, ValueError, OSError) as error:  # shown as this run's error
                run.status, run.message = "error", f"could not convert the trained model: {error}"
        runs.append(run)
    figure, samples, examples = None, {}, 0
    if saved_models:
        batch, outputs = _outputs(job.task, saved_models)
        figure = predictions(job.task, batch, outputs)
        samples = _samples(job.task, batch, outputs)
        examples = batch.x.shape[1]
        best = min((r for r in runs if r.saved is not None), key=lambda r: r.history[-1][2])
        now = current_model()
        if (None if now is None else id(now)) == job.model_before:
            set_current_model(best.saved)
        else:  # the user loaded or picked a model while this ran: theirs stays
            st.toast(
                f"Training finished. The model you loaded during the run stays the other pages' model; "
                f"pick {best.label} below to use the trained one with the lowest validation loss."
            )
    set_last_run_models({r.arch: r.saved for r in runs if r.saved is not None})
    st.session_state[RUNS] = Finished(job.task, job.steps, runs, figure, samples, examples)
    del st.session_state[JOB]
    run_slots(MAX_RUNNING).release(_token())


# ------------------------------------------------------------------------------------------------
# the shareable link: task, its options and the settings live in the query string

SETTING_PARAMS = {"H": "hidden_size", "steps": "steps", "batch": "batch_size", "lr": "lr", "clip": "clip",
                  "seed": "seed"}  # fmt: skip
LINK_APPLIED = "lv_train_link_applied"
SUBMITTED = "lv_train_submitted"  # the form's values across the rerun that follows a start


def _number(text: str, integer: bool):
    value = float(text)
    if not math.isfinite(value) or (integer and value != int(value)):
        raise ValueError
    return int(value) if integer else value


def apply_link(params) -> list[str]:
    """Set the widgets from a shared link, once per session; one warning per value that was ignored."""
    if st.session_state.get(LINK_APPLIED):
        return []
    st.session_state[LINK_APPLIED] = True
    state, warnings = st.session_state, []
    name = params.get("task")
    if name is not None and name not in TASKS:
        warnings.append(f"link parameter task={name!r} ignored: choose one of {', '.join(TASKS)}")
        name = None
    if name is not None:
        state["lv_train_task"] = name
    name = name or "adding"
    for f in fields(TASKS[name]):
        if f.name not in params:
            continue
        text = params[f.name]
        try:
            if isinstance(f.default, str):
                if text not in TEXTS:
                    raise ValueError
                value = text
            else:
                value = _number(text, isinstance(f.default, int))
                low, high = option_bounds(f.name, f.default)
                if not low <= value <= high:
                    raise ValueError
            state[f"lv_train_opt_{name}_{f.name}"] = value
        except ValueError:
            warnings.append(f"link parameter {f.name}={text!r} ignored: not a valid {option_label(f.name)}")
    if "arch" in params:
        archs = [a for a in params["arch"].split(",") if a]
        if (
            archs
            and len(archs) <= 3
            and all(a in ARCH_NAMES for a in archs)
            and len(set(archs)) == len(archs)
        ):
            state["lv_train_archs"] = archs
        else:
            warnings.append(f"link parameter arch={params['arch']!r} ignored: up to three of lstm, rnn, gru")
    for param, setting in SETTING_PARAMS.items():
        if param not in params:
            continue
        low, high = LIMITS[setting]
        try:
            value = _number(params[param], isinstance(low, int))
            if not low <= value <= high:
                raise ValueError
            state[f"lv_train_{setting}"] = value
        except ValueError:
            warnings.append(f"link parameter {param}={params[param]!r} ignored: {setting.replace('_', ' ')} "
                            f"must be a number from {low:g} to {high:g}")  # fmt: skip
    return warnings


def link_of(task, options: dict, archs: list[str], values: dict) -> dict[str, str]:
    out = {"task": task.name, **{k: str(v) for k, v in options.items()}, "arch": ",".join(archs)}
    out.update({param: f"{values[setting]:g}" for param, setting in SETTING_PARAMS.items()})
    return out


# ------------------------------------------------------------------------------------------------
# the page


def what_to_try(task) -> str:
    """The advice under a run that did not beat the baseline."""
    shorter = ", a shorter sequence" if task.name in ("adding", "copy") else ""
    return f"Try more steps{shorter} or another architecture."


def baseline_label(task) -> str:
    return f"baseline: {human(task.baseline_description)} ({task.baseline_loss():.3g})"


def reading_guide(task) -> str:
    """How to read the predictions figure of ``task``."""
    if task.loss == "ce":
        what, among = ("recalled symbol", "symbols") if task.name == "copy" else ("step", "characters")
        return (
            f"Each line is one model's accuracy at each {what}: the share of held-out examples where its "
            f"most likely output is the right one. The dashed line is a uniform guess among the "
            f"{task.output_size} {among} (1/{task.output_size})."
        )
    if task.encoding().get("series"):
        return (
            "The black line is the held-out part of the series: the value after each validation window, "
            "in time order; each coloured line is a model's one-step-ahead prediction. Persistence (repeat "
            "the last value) is the baseline to beat."
        )
    return (
        "Each dot is one held-out example: the true answer across, the model's answer up. A model that "
        "learned the task puts its dots on the dashed diagonal; one that only learned the average draws a "
        f"flat band at the mean. The baseline here: {human(task.baseline_description)}."
    )


def curves(task, steps: int, runs) -> object:
    """runs: (label, arch, history) per run."""
    return loss_curves(
        runs,
        task.baseline_loss(),
        baseline_label(task),
        steps=steps,
        loss_name=f"{'cross-entropy' if task.loss == 'ce' else 'mean squared error'} (log scale)",
        height=CURVE_HEIGHT,
    )


def live_view() -> None:
    """Progress, Stop and the growing curves; a fragment that reruns every POLL_SECONDS while a job runs."""
    job = st.session_state.get(JOB)
    if job is None:
        return
    if job.worker.done:  # a fragment rerun: one full rerun turns the job into results and stops the polling
        st.rerun()
    run_slots(MAX_RUNNING).renew(_token())  # this tab is still watching: keep its training slot
    bar, stop = st.columns([4, 1], vertical_alignment="bottom")
    if stop.button("Stop", key="lv_train_stop", icon=":material/stop:", width="stretch"):
        job.worker.stop(timeout=0)
        job.stopping = True
    snaps = job.worker.snapshot()
    fraction, text = progress_text(snaps, time.monotonic() - job.started)
    bar.progress(fraction, text=text)
    parts = []
    for s in snaps:
        part = f"**{s.label}** step {s.step:,}/{s.steps:,}"
        if s.history:
            part += f", validation loss {s.history[-1][2]:.4g}"
        if s.status not in ("pending", "running"):
            part += f" ({s.status})"
        parts.append(part)
    st.caption(" · ".join(parts))
    if job.stopping:
        st.caption("Stopping: each model finishes its current step and keeps its weights.")
    fig = curves(job.task, job.steps, [(s.label, s.config.arch, s.history) for s in snaps])
    st.plotly_chart(fig, width="stretch", key="lv_train_live_chart")


def _init(key: str, default) -> None:
    """A widget's starting value, set through the session state (a link may have set it first)."""
    if key not in st.session_state:
        st.session_state[key] = default


def task_widgets(running: bool):
    """Task picker and its options -> (task or None, options, error message or None)."""
    _init("lv_train_task", "adding")
    name = st.selectbox(
        "Task", task_names(), format_func=lambda n: TASKS[n].title, key="lv_train_task", disabled=running
    )
    options = {}
    task_fields = fields(TASKS[name])
    for f, col in zip(task_fields, st.columns(max(1, len(task_fields)))):
        key = f"lv_train_opt_{name}_{f.name}"
        label, hint = option_label(f.name), option_help(name, f.name)
        _init(key, f.default)
        if f.name == "source":
            options[f.name] = col.selectbox(
                label, list(TEXTS), format_func=lambda s: TEXTS[s].title, key=key, disabled=running, help=hint
            )
            continue
        low, high = option_bounds(f.name, f.default)
        hint = f"{hint} ({low:g} to {high:g})"
        if isinstance(f.default, int):
            options[f.name] = col.number_input(
                label, low, max(high, f.default), step=1, key=key, disabled=running, help=hint
            )
        elif isinstance(f.default, float):
            options[f.name] = col.number_input(
                label, low, high, step=0.05, format="%.3f", key=key, disabled=running, help=hint
            )
    try:
        return get_task(name, **options), options, None
    except ValueError as error:
        return None, options, human(str(error))


def settings_form(running: bool, task) -> tuple[bool, list[str], dict]:
    """The hyperparameter form -> (submitted, architectures, settings)."""
    with st.form("lv_train_form", border=True):
        _init("lv_train_archs", ["lstm", "rnn"])
        archs = st.multiselect(
            "Architectures to compare",
            list(ARCH_NAMES),
            format_func=ARCH_NAMES.get,
            max_selections=3,
            key="lv_train_archs",
            disabled=running,
        )
        inputs = (  # (setting, label, step, format, help)
            ("hidden_size", "hidden size H", 1, None, "units in the recurrent layer"),
            ("steps", "steps", 100, None, "Adam steps per model"),
            ("batch_size", "batch size", 1, None, "sequences per step"),
            ("lr", "learning rate", 1e-3, "%.4g", "Adam's step size; too large and the loss can diverge"),
            ("clip", "gradient clip", 0.5, "%.2f", "largest gradient norm per step; 0 = no clipping"),
            ("seed", "seed", 1, None, "same seed, same starting weights and batches"),
        )
        values = {}
        cols = st.columns(2)
        for k, (setting, label, step, fmt, hint) in enumerate(inputs):
            low, high = LIMITS[setting]
            _init(f"lv_train_{setting}", getattr(DEFAULTS, setting))
            values[setting] = cols[k % 2].number_input(
                label, low, high, step=step, format=fmt, key=f"lv_train_{setting}", disabled=running,
                help=f"{hint} ({low:g} to {high:g})",
            )  # fmt: skip
        submitted = st.form_submit_button(
            "Train", type="primary", icon=":material/play_arrow:", disabled=running or task is None,
            key="lv_train_submit",
        )  # fmt: skip
        st.caption(
            f"Each model stops after {duration(RUN_SECONDS)} of compute at most. Training runs in the "
            "background: you can visit other pages and come back. But once this page has been away for "
            f"{duration(LEASE_SECONDS)}, another tab that asks to train takes the CPU and stops this run."
        )
    return submitted, archs, values


st.set_page_config(page_title="Train · lstm_vault", page_icon="🏋️", layout="wide")
sidebar()  # the app's page links, first in the sidebar
st.title("Train: LSTM vs RNN vs GRU")
st.markdown(
    "Pick a task and up to three architectures, press **Train**: they learn side by side on the same "
    "batches, next to the loss of a trivial predictor. The one with the lowest validation loss becomes "
    "the model of **Step through** and **Vanishing gradients**."
)
current_line = st.empty()  # filled at the end, after this run's training result, pick or upload
for key, value in st.session_state.pop(SUBMITTED, {}).items():  # the form as submitted (see start below)
    st.session_state[key] = value
for warning in apply_link(st.query_params):
    st.warning(warning)

job = st.session_state.get(JOB)
if job is not None and job.worker.done:
    finish(job)
    job = None
running = job is not None

setup, view = st.columns([2, 3], gap="large")
with setup:
    st.subheader("1. Task")
    task, options, task_error = task_widgets(running)
    if running:
        task, task_error = job.task, None
    if task_error:
        st.error(task_error)
    st.subheader("2. Models and settings")
    submitted, archs, values = settings_form(running, task)
    if submitted and not running and task is not None:
        values["archs"] = archs
        errors = check_settings(values)
        for message in errors:
            st.error(message)
        if not errors:
            notes = []
            if values["lr"] > 0.1:
                notes.append(f"A learning rate of {values['lr']:g} is large: the loss can jump or diverge.")
            refused = start(task, options, archs, values, tuple(notes))
            if refused:
                st.warning(refused)
            else:
                # rerun at once, so that this very click shows the controls disabled and the live view; a
                # rerun that interrupts the run of a form's submit loses the submitted values, so they are
                # carried over and set again before the widgets are drawn
                st.session_state[SUBMITTED] = {
                    "lv_train_archs": list(archs),
                    **{f"lv_train_{setting}": values[setting] for setting in LIMITS},
                }
                st.rerun()
    if running:
        for note in job.notes:
            st.warning(note)

if task is not None and not running:
    link = link_of(task, options, archs, values)
    if dict(st.query_params) != link:
        st.query_params.from_dict(link)

finished: Finished | None = None if running else st.session_state.get(RUNS)
trained = [r for r in finished.runs if r.saved is not None] if finished is not None else []
with view:
    # once there are curves to look at, the task's description folds away so they fit on a laptop screen
    about = st.expander("About this task") if running or finished is not None else st.container()
    if task is not None:
        about.markdown(task.description())
        about.caption(
            f"Baseline: {human(task.baseline_description)}, loss **{task.baseline_loss():.4g}** "
            f"({'cross-entropy' if task.loss == 'ce' else 'mean squared error'}). This page counts a "
            f"model as having beaten it when its validation loss is at least {100 * BASELINE_MARGIN:g} % "
            "lower."
        )
    st.subheader("3. Training")
    if running:
        st.fragment(live_view, run_every=POLL_SECONDS)()
    elif finished is not None:
        shown = options_text(finished.task.options())
        st.caption(
            f"Last training: {finished.task.title}{f' ({shown})' if shown else ''}, up to {finished.steps:,} "
            "steps per model."
        )
        for run in finished.runs:
            text = f"**{run.label}**: {run.message}"
            if run.status == "diverged":
                st.warning(f"{text}. Its loss curve ends at the last finite check.")
            elif run.status == "error":
                st.error(text)
            elif run.status in ("stopped", "time-limit"):
                st.info(text)
        base, hint = finished.task.baseline_loss(), what_to_try(finished.task)
        for run in finished.runs:
            loss = run.history[-1][2] if run.history and run.status != "diverged" else math.nan
            verdict = baseline_verdict(run.label, loss, base, hint)
            if verdict:
                st.info(verdict)
        fig = curves(finished.task, finished.steps, [(r.label, r.arch, r.history) for r in finished.runs])
        st.plotly_chart(fig, width="stretch", key="lv_train_final_chart")
    elif task is not None:
        st.plotly_chart(curves(task, int(values["steps"]), []), width="stretch", key="lv_train_empty_chart")
    if trained:
        labels = [r.label for r in trained]
        by_label = {r.label: r for r in trained}

        def use_picked() -> None:
            set_current_model(by_label[st.session_state["lv_train_pick"]].saved)

        # the radio shows the session's model: none of these when an upload or shipped model replaced it
        st.session_state["lv_train_pick"] = next(
            (r.label for r in trained if r.saved is current_model()), None
        )
        st.radio(
            "Model for the Step through and Vanishing gradients pages",
            labels,
            horizontal=True,
            key="lv_train_pick",
            on_change=use_picked,
            format_func=lambda lbl: f"{lbl} (validation loss {by_label[lbl].history[-1][2]:.3g})",
        )
        for col, run in zip(st.columns(3), trained):
            col.download_button(
                f"{run.label} model",
                run.data,
                key=f"lv_train_download_{run.label}",
                file_name=f"{finished.task.name}_{run.arch}_h{run.saved.rnn.hidden_size}.npz",
                mime="application/octet-stream",
                on_click="ignore",
                icon=":material/download:",
                help=f"Download the {run.label} model file (.npz) to upload later or inspect with the CLI",
                width="stretch",
            )

# ---- 4. predictions (full width) ---------------------------------------------------------------------

if trained:
    st.subheader("4. What the models predict")
    st.caption(
        f"On {finished.examples} held-out examples, {finished.task.held_out()}; computed by the NumPy "
        "reference model that the other pages use."
    )
    chart, notes = st.columns([3, 2], gap="large")
    if finished.figure is not None:
        chart.plotly_chart(finished.figure, width="stretch", key="lv_train_predictions")
    with notes:
        st.markdown(reading_guide(finished.task))
        for label, lines in finished.samples.items():
            if lines:
                st.markdown(f"**{label}**")
                st.code("\n".join(lines), language=None)

# ---- load a model ------------------------------------------------------------------------------------

st.subheader("Load a saved model")
shipped = sorted(MODELS_DIR.glob("*.npz"))
left, right = st.columns(2, gap="large")
with left:
    if shipped:
        st.selectbox("Shipped pre-trained model", shipped, format_func=lambda p: p.name, key="lv_train_ship")
        st.button("Use this model", key="lv_train_use_shipped", on_click=use_shipped)
        if st.session_state.get(SHIP_ERROR):
            st.error(st.session_state[SHIP_ERROR])
    else:
        st.caption("No shipped models in assets/models/.")
with right:
    upload = st.file_uploader(
        "Upload a model file (.npz) saved by this app or the CLI",
        type=["npz"],
        key=UPLOAD,
        on_change=on_upload,
        max_upload_size=modelfile.MAX_FILE_BYTES // 2**20,
    )
    if upload is not None and st.session_state.get(UPLOAD_ERROR):
        st.error(st.session_state[UPLOAD_ERROR])  # stays while the bad file is in the box

loaded: Loaded | None = st.session_state.get(LOADED)
if loaded is not None:
    now = " (the model of the other pages now)" if current_model() is loaded.saved else ""
    st.success(f"Loaded {loaded.source}: {describe(loaded.saved)}{now}.")
    if loaded.figure is not None:
        st.plotly_chart(loaded.figure, width="stretch", key="lv_train_loaded_predictions")
    elif loaded.note:
        st.info(loaded.note)

model = current_model()
if model is not None:
    current_line.caption(f"Model of the Step through and Vanishing gradients pages: {describe(model)}.")
else:
    current_line.caption(
        "No model yet for the Step through and Vanishing gradients pages: train one or load one."
    )
