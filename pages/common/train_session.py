"""The Train page's session: its records (``Job``, ``Run``, ``Finished``, ``Loaded``), the callbacks that
start a run and load or pick a model, and the page's widget keys and link.

Training never runs inside a script run (any click reruns the script). It runs in the library's
``TrainingWorker``, a daemon thread kept in this browser session's ``st.session_state``; the page polls it
and calls :func:`finish` once it is done. One process serves every tab, so a run first claims a slot of the
process-wide ``RunSlots`` (:mod:`pages.common.run_slots`).

The link: the task options' number widgets and four settings carry their own parameters
(``bind="query-params"``: the widget's key is the parameter's name). ``task``, ``source`` and ``arch`` show
titles rather than their link names, and ``H`` and ``seed`` also name other pages' settings with other
ranges: the page keeps those five by hand (:func:`read_link`, :func:`write_link`).
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass

import streamlit as st

from lstm_vault import modelfile
from lstm_vault.evaluation import HeldOut, best_run, duration, held_out, kept_model_toast, model_held_out
from lstm_vault.figures.training import predictions
from lstm_vault.tasks import TASKS, Option, OptionError, Task, get_task
from lstm_vault.train_config import (
    ARCH_LABELS,
    ARCH_TITLES,
    LAYER_CHOICES,
    SETTINGS,
    Setting,
    configs_for,
    settings_notes,
    structure_notes,
)
from lstm_vault.training import TrainingWorker
from pages.common import links, train_csv
from pages.common.run_slots import LEASE_SECONDS, Holder, run_slots
from pages.common.session import current_model_version, set_current_model, set_last_run_models

RUN_SECONDS = 600.0  # compute budget of one run; the run stops (and keeps its weights) when it is spent
MAX_RUNNING = max(1, (os.cpu_count() or 2) // 4)  # concurrent runs per process; each takes half the cores
MAX_ARCHS = 3

# session-state keys of the page's records
P = "lv_train_"
JOB, RUNS, LOADED, TOKEN, START_ERROR = P + "job", P + "runs", P + "loaded", P + "token", P + "start_error"
UPLOAD, SHIP, SHIP_ERROR = P + "upload", P + "ship", P + "ship_error"
PICK, LINK_MEMORY = P + "pick", P + "link"
OPTIONS_BY_TASK, SHOWN_TASK = P + "options_by_task", P + "shown_task"  # each task's options; whose are shown
# widgets: the link parameter each one carries, and its session key
TASK, SOURCE, ARCHS = P + "task", P + "source", P + "archs"
SETTING_LINKS = {"hidden_size": "H", "steps": "steps", "batch_size": "batch", "lr": "lr", "clip": "clip",
                 "seed": "seed"}  # fmt: skip
BY_HAND = ("task", "source", "arch", "H", "seed")  # the parameters this page writes itself
DEFAULT_TASK, DEFAULT_ARCHS = "adding", ("lstm", "rnn")
LAYERS, BIDIR = "layers", "bidir"  # the structure's widgets, bound to the link (key = parameter name)


def option_key(spec: Option) -> str:
    """A task option's widget key: its link name, bound to the address; ``source`` is kept by hand."""
    return SOURCE if spec.choices else spec.name


def setting_key(setting: Setting) -> str:
    link = SETTING_LINKS[setting.name]
    return P + setting.name if link in BY_HAND else link


def bound(setting: Setting) -> bool:
    return SETTING_LINKS[setting.name] not in BY_HAND


# ------------------------------------------------------------------------------------------------
# what the session keeps


@dataclass
class Job:
    """A training job in progress, owned by this browser session."""

    worker: TrainingWorker
    task: Task
    steps: int  # per run
    started: float  # time.monotonic()
    stopping: bool = False  # Stop was pressed
    notes: tuple[str, ...] = ()  # warnings about the settings, shown while it runs
    model_before: int = 0  # the session's model version when the run started


@dataclass
class Run:
    """A finished run: its curve, its outcome and (when it trained at all) the model."""

    label: str
    arch: str
    status: str  # "done", "stopped", "diverged", "time-limit" or "error"
    message: str
    history: tuple
    saved: modelfile.SavedModel | None = None  # NumPy reference + read-out, as the other pages read it
    data: bytes | None = None  # the model file

    def file_name(self, task: Task) -> str:
        return f"{task.name}_{self.arch}_h{self.saved.rnn.hidden_size}.npz"


@dataclass
class Finished:
    task: Task
    steps: int
    runs: list[Run]
    figure: object | None = None  # predictions of every trained run on the same held-out examples
    held: HeldOut | None = None  # those examples, the outputs and a few samples as text

    @property
    def trained(self) -> list[Run]:
        return [run for run in self.runs if run.saved is not None]


@dataclass
class Loaded:
    """A model loaded from the shipped folder or an upload."""

    source: str  # e.g. "shipped adding_lstm.npz"
    saved: modelfile.SavedModel
    figure: object | None
    note: str  # why there is no figure, or ""


def token() -> str:
    """This browser session's name in the run slots."""
    if TOKEN not in st.session_state:
        st.session_state[TOKEN] = uuid.uuid4().hex
    return st.session_state[TOKEN]


def form_caption() -> str:
    return (
        f"Each model stops after {duration(RUN_SECONDS)} of compute at most. Training runs in the "
        "background: you can visit other pages and come back. But once this page has been away for "
        f"{duration(LEASE_SECONDS)}, another tab that asks to train takes the CPU and stops this run."
    )


def structure_widgets(running: bool) -> None:
    """Stacked layers and directions, the same for every architecture of the run."""
    left, right = st.columns(2, vertical_alignment="bottom")
    left.selectbox(
        "layers", LAYER_CHOICES, key=LAYERS, disabled=running, bind="query-params", persist_state="session",
        help="stacked recurrent layers: layer l + 1 reads the hidden states h of layer l as its input x",
    )  # fmt: skip
    right.checkbox(
        "bidirectional", key=BIDIR, disabled=running, bind="query-params", persist_state="session",
        help="each layer also reads the sequence backwards; the two directions' h are concatenated",
    )  # fmt: skip


def structure_values() -> dict:
    """The structure widgets' values as ``configs_for`` takes them."""
    state = st.session_state
    return {"num_layers": int(state.get(LAYERS, LAYER_CHOICES[0])), "bidirectional": bool(state.get(BIDIR))}


# ------------------------------------------------------------------------------------------------
# the task and its options


def task_from_state() -> Task:
    """The task the widgets describe; ``OptionError`` when their values do not fit together, a ValueError
    naming what is missing or wrong for the CSV task (no file yet, a column with blank rows)."""
    name = st.session_state.get(TASK, DEFAULT_TASK)
    specs = TASKS[name].option_specs()
    data = train_csv.data_options() if name == train_csv.NAME else {}  # the user's CSV and columns
    return get_task(name, **{s.name: st.session_state.get(option_key(s), s.default) for s in specs}, **data)


def switch_task(old: str) -> None:
    """The task picker's callback: remember ``old``'s options and give the new task its own again (its
    defaults the first time), since tasks share option widgets (``length``)."""
    state = st.session_state
    remembered = state.setdefault(OPTIONS_BY_TASK, {})
    specs = TASKS[old].option_specs()
    remembered[old] = {s.name: state[option_key(s)] for s in specs if option_key(s) in state}
    new = state[TASK]
    for spec in TASKS[new].option_specs():
        state[option_key(spec)] = remembered.get(new, {}).get(spec.name, spec.default)


# ------------------------------------------------------------------------------------------------
# the link


def read_link() -> list[str]:
    """Before the widgets: apply what a link brought for the parameters kept by hand, and say which of its
    values were ignored, by hand or by a bound widget (which drops them silently). One warning per value.
    Then write the parameters kept by hand (:func:`write_link`)."""
    state, query, warnings = st.session_state, st.query_params, []
    arrived = links.arrived(BY_HAND, LINK_MEMORY) or {}
    name = arrived.get("task")
    if name is not None:
        if name in TASKS:
            if name != state.get(TASK, DEFAULT_TASK):
                state[TASK] = name
                switch_task(state.get(SHOWN_TASK, DEFAULT_TASK))
        else:
            warnings.append(f"link parameter task={name!r} ignored: choose one of {', '.join(TASKS)}")
    # a bound widget drops a bad value from the address in the run that sees it: warned about once
    for spec in TASKS[state.get(TASK, DEFAULT_TASK)].option_specs():
        text = arrived.get(spec.name) if spec.choices else query.get(spec.name)
        if text is None:
            continue
        try:
            value = spec.parse(text)
            if spec.choices:
                state[option_key(spec)] = value
        except ValueError:
            warnings.append(f"link parameter {spec.name}={text!r} ignored: not a valid {spec.label}")
    if "arch" in arrived:
        archs = [a for a in arrived["arch"].split(",") if a]
        if 0 < len(archs) <= MAX_ARCHS and set(archs) <= set(ARCH_TITLES) and len(set(archs)) == len(archs):
            state[ARCHS] = archs
        else:
            warnings.append(f"link parameter arch={arrived['arch']!r} ignored: up to three of lstm, rnn, gru")
    for setting in SETTINGS:
        param, key = SETTING_LINKS[setting.name], setting_key(setting)
        text = arrived.get(param) if not bound(setting) else query.get(param)
        if text is None:
            continue
        try:
            value = setting.parse(text)
            if not bound(setting):
                state[key] = value
        except ValueError:
            warnings.append(setting.link_warning(param, text))
    write_link()
    return warnings


def write_link() -> None:
    """The parameters kept by hand, from the widgets' values (a default leaves none). Called before the
    widgets are drawn (the session state already holds this run's values): on the first run after a visit
    to another page, Streamlit's browser side drops an address written after the page's bound widgets."""
    state = st.session_state
    name = state.get(TASK, DEFAULT_TASK)
    state[SHOWN_TASK] = name
    params = {"task": name} if name != DEFAULT_TASK else {}
    for spec in TASKS[name].option_specs():
        if spec.choices and state.get(SOURCE, spec.default) != spec.default:
            params["source"] = state[SOURCE]
    if tuple(state.get(ARCHS, DEFAULT_ARCHS)) != DEFAULT_ARCHS:
        params["arch"] = ",".join(state[ARCHS])
    for setting in SETTINGS:
        key = setting_key(setting)
        if not bound(setting) and state.get(key, setting.default) != setting.default:
            params[SETTING_LINKS[setting.name]] = str(state[key])  # whole numbers, every digit
    links.write(params, BY_HAND, LINK_MEMORY)


# ------------------------------------------------------------------------------------------------
# starting and finishing a job


def start() -> None:
    """The Train button's callback: the widgets' values are in the session state; start the run, or leave
    (kind, message) in ``START_ERROR`` for the page to show."""
    state = st.session_state
    state[START_ERROR] = None
    values = {s.name: state.get(setting_key(s), s.default) for s in SETTINGS} | structure_values()
    archs = list(state.get(ARCHS, DEFAULT_ARCHS))
    try:
        task = task_from_state()
        configs = configs_for(task, archs, values, max_seconds=RUN_SECONDS)
    except OptionError as error:
        state[START_ERROR] = ("error", error.sentence)
        return
    except ValueError as error:
        state[START_ERROR] = ("error", str(error))
        return
    worker = TrainingWorker(configs, labels=[ARCH_LABELS[a] for a in archs])
    title = f"{', '.join(ARCH_LABELS[a] for a in archs)} on {task.title}, {values['steps']} steps"
    refused = run_slots(MAX_RUNNING).claim(Holder(token(), worker, title))
    if refused:
        state[START_ERROR] = ("warning", refused)
        return
    worker.start()
    # the values arrived with this click, and the widgets are drawn disabled next, which would drop a value
    # sent by a widget that is disabled: set them as the page's own, so the form shows what the run uses
    keys = [TASK, ARCHS, *(option_key(s) for s in task.option_specs()), *(setting_key(s) for s in SETTINGS)]
    keys += [LAYERS, BIDIR]
    for key in keys:
        if key in state:
            state[key] = state[key]
    state[JOB] = Job(
        worker, task, configs[0].steps, time.monotonic(),
        notes=settings_notes(values) + structure_notes(task, values["bidirectional"]),
        model_before=current_model_version(),
    )  # fmt: skip
    state.pop(RUNS, None)


def stop() -> None:
    job = st.session_state.get(JOB)
    if job is not None:
        job.worker.stop(timeout=0)
        job.stopping = True


def finish(job: Job) -> None:
    """A finished job -> Runs with model files; the best model goes to the other pages; the slot is freed."""
    runs = []
    for snap, result in zip(job.worker.snapshot(), job.worker.results):
        run = Run(snap.label, snap.config.arch, snap.status, snap.message, snap.history)
        if result is not None and result.history:
            try:
                run.data = result.file_bytes()  # exactly what Download gives and Upload reads
                run.saved = modelfile.load(run.data)
            except (modelfile.ModelFileError, ValueError, OSError) as error:  # shown as this run's error
                run.status, run.message = "error", f"could not convert the trained model: {error}"
        runs.append(run)
    finished = Finished(job.task, job.steps, runs)
    trained = {run.label: run for run in finished.trained}
    if trained:
        finished.held = held_out(job.task, {label: run.saved for label, run in trained.items()})
        finished.figure = predictions(job.task, finished.held.batch, finished.held.outputs)
        best = best_run({label: run.history for label, run in trained.items()})
        if current_model_version() == job.model_before:
            set_current_model(trained[best].saved)
        else:  # the user loaded or picked a model while this ran: theirs stays
            st.toast(kept_model_toast(best))
    set_last_run_models({run.arch: run.saved for run in trained.values()})
    st.session_state[RUNS] = finished
    del st.session_state[JOB]
    run_slots(MAX_RUNNING).release(token())


# ------------------------------------------------------------------------------------------------
# loading a model


def show_loaded(source: str, saved) -> None:
    """Make ``saved`` the session's model, with its predictions on its own task when they can be made."""
    task, held, note = model_held_out(saved, source)
    figure = predictions(task, held.batch, held.outputs) if held is not None else None
    st.session_state[LOADED] = Loaded(source, saved, figure, note)
    set_current_model(saved)


@st.cache_resource(max_entries=8)
def load_shipped(path: str, mtime: float) -> modelfile.SavedModel:
    """A shipped model, read once per process (mtime in the key so a new file is read again); read-only."""
    return modelfile.load(path)


def use_shipped() -> None:
    path = st.session_state[SHIP]
    try:
        saved = load_shipped(str(path), path.stat().st_mtime)
    except (modelfile.ModelFileError, OSError) as error:
        st.session_state[SHIP_ERROR] = f"{path.name}: {error}"
        return
    st.session_state[SHIP_ERROR] = None
    show_loaded(f"shipped {path.name}", saved)


def use_picked() -> None:
    """The pick radio's callback: the chosen run of the last training becomes the session's model."""
    finished = st.session_state[RUNS]
    set_current_model(next(r.saved for r in finished.trained if r.label == st.session_state[PICK]))
