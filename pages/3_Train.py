"""Train: pick a task and up to three architectures, train them side by side, watch the loss, keep the model.

Layout and wiring only. The tasks declare their options (``lstm_vault.tasks``), the settings and their checks
are ``lstm_vault.train_config``'s, what a run means (progress, verdicts, the best run, predictions, every
sentence with a number) is ``lstm_vault.evaluation``'s, and the session's records, callbacks and link are
``pages.common.train_session``'s. The Train button starts the run in its callback; while it goes, a fragment
polls it every second and renews the run's slot, then reruns the page once to show the results.
"""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from lstm_vault.evaluation import (
    baseline_caption,
    baseline_label,
    describe_model,
    last_training,
    loss_name,
    pick_label,
    predictions_caption,
    progress_text,
    run_verdict,
    runs_line,
    status_note,
)
from lstm_vault.figures.training import loss_curves
from lstm_vault.tasks import TASKS, task_names
from lstm_vault.torch_backend import set_threads
from lstm_vault.train_config import ARCH_TITLES, SETTINGS
from pages.common import model_upload, train_csv
from pages.common import train_session as ts
from pages.common.navigation import sidebar
from pages.common.run_slots import run_slots
from pages.common.session import current_model

POLL_SECONDS = 1.0  # how often the live view redraws
CURVE_HEIGHT = 460  # px
MODELS_DIR = Path(__file__).resolve().parents[1] / "assets" / "models"
SAY = {"error": st.error, "warning": st.warning, "info": st.info}

set_threads()  # once per process, first caller wins: leaves cores for the app's reruns


def curves(task, steps: int, runs) -> object:
    """runs: (label, arch, history) per run."""
    return loss_curves(
        runs, task.baseline_loss(), baseline_label(task), steps=steps,
        loss_name=f"{loss_name(task)} (log scale)", height=CURVE_HEIGHT,
    )  # fmt: skip


def live_view() -> None:
    """Progress, Stop and the growing curves; a fragment that reruns every POLL_SECONDS while a job runs."""
    job = st.session_state.get(ts.JOB)
    if job is None:
        return
    if job.worker.done:  # one full rerun turns the job into results and stops the polling
        st.rerun()
    run_slots(ts.MAX_RUNNING).renew(ts.token())  # this tab is still watching: keep its training slot
    bar, stop = st.columns([4, 1], vertical_alignment="bottom")
    stop.button("Stop", key="lv_train_stop", icon=":material/stop:", width="stretch", on_click=ts.stop)
    snaps = job.worker.snapshot()
    fraction, text = progress_text(snaps, time.monotonic() - job.started)
    bar.progress(fraction, text=text)
    st.caption(runs_line(snaps))
    if job.stopping:
        st.caption("Stopping: each model finishes its current step and keeps its weights.")
    fig = curves(job.task, job.steps, [(s.label, s.config.arch, s.history) for s in snaps])
    st.plotly_chart(fig, width="stretch", key="lv_train_live_chart")


def task_widgets(running: bool):
    """Task picker and its options -> (task or None, the reason there is none)."""
    shown = st.session_state.get(ts.TASK, ts.DEFAULT_TASK)
    name = st.selectbox(
        "Task", task_names(), format_func=lambda n: TASKS[n].title, key=ts.TASK, disabled=running,
        on_change=ts.switch_task, args=(shown,), persist_state="session",
    )  # fmt: skip
    if name == train_csv.NAME:
        train_csv.widgets(running)  # the upload and its columns; the window and rows ahead below
    specs = TASKS[name].option_specs()
    for spec, col in zip(specs, st.columns(len(specs))):
        if spec.choices:
            col.selectbox(
                spec.label, [n for n, _ in spec.choices], format_func=spec.title, key=ts.option_key(spec),
                disabled=running, help=spec.help_text, persist_state="session",
            )  # fmt: skip
        else:
            col.number_input(
                spec.label, *spec.offered, value=spec.default, step=spec.step,
                format=None if spec.integer else "%.3f", key=ts.option_key(spec), disabled=running,
                help=spec.help_text, bind="query-params", persist_state="session",
            )  # fmt: skip
    try:
        return ts.task_from_state(), None
    except ValueError as error:  # an option out of bounds (OptionError), or no usable CSV yet
        return None, getattr(error, "sentence", str(error))


def settings_widgets(running: bool, task) -> None:
    """Architectures, the settings and the Train button, whose callback starts the run."""
    st.session_state.setdefault(ts.ARCHS, list(ts.DEFAULT_ARCHS))
    st.multiselect(
        "Architectures to compare", list(ARCH_TITLES), format_func=ARCH_TITLES.get,
        max_selections=ts.MAX_ARCHS, key=ts.ARCHS, disabled=running, persist_state="session",
    )  # fmt: skip
    ts.structure_widgets(running)
    cols = st.columns(2)
    for k, setting in enumerate(SETTINGS):
        if ts.bound(setting):  # the widget carries its link parameter; its default leaves the address clean
            link = {"value": setting.default, "bind": "query-params"}
        else:  # kept by hand: it starts from the session state, which a link may have set
            link = {}
            st.session_state.setdefault(ts.setting_key(setting), setting.default)
        cols[k % 2].number_input(
            setting.label, setting.low, setting.high, step=setting.step, format=setting.format,
            key=ts.setting_key(setting), disabled=running, help=setting.help_text, persist_state="session",
            **link,
        )  # fmt: skip
    st.button(
        "Train", type="primary", icon=":material/play_arrow:", disabled=running or task is None,
        key="lv_train_submit", on_click=ts.start,
    )  # fmt: skip
    st.caption(ts.form_caption())


def results(finished: ts.Finished) -> None:
    """The last training: its settings, what went wrong or fell short, the curves."""
    st.caption(last_training(finished.task, finished.steps))
    for run in finished.runs:
        note = status_note(run.label, run.status, run.message)
        if note is not None:
            SAY[note[0]](note[1])
    for run in finished.runs:
        verdict = run_verdict(finished.task, run.label, run.status, run.history)
        if verdict is not None:
            st.info(verdict)
    fig = curves(finished.task, finished.steps, [(r.label, r.arch, r.history) for r in finished.runs])
    st.plotly_chart(fig, width="stretch", key="lv_train_final_chart")


def pick_and_download(finished: ts.Finished) -> None:
    trained = finished.trained
    by_label = {run.label: run for run in trained}
    # the radio shows the session's model: none of these when an upload or shipped model replaced it
    st.session_state[ts.PICK] = next((r.label for r in trained if r.saved is current_model()), None)
    st.radio(
        "Model for the Step through and Vanishing gradients pages", list(by_label), horizontal=True,
        key=ts.PICK, on_change=ts.use_picked,
        format_func=lambda label: pick_label(label, by_label[label].history),
    )  # fmt: skip
    for col, run in zip(st.columns(ts.MAX_ARCHS), trained):
        col.download_button(
            f"{run.label} model", run.data, key=f"lv_train_download_{run.label}",
            file_name=run.file_name(finished.task), mime="application/octet-stream", on_click="ignore",
            icon=":material/download:", width="stretch",
            help=f"Download the {run.label} model file (.npz) to upload later or inspect with the CLI",
        )  # fmt: skip


st.set_page_config(page_title="Train · lstm_vault", page_icon="🏋️", layout="wide")
sidebar()  # the app's page links, first in the sidebar
st.title("Train: LSTM vs RNN vs GRU")
st.markdown(
    "Pick a task and up to three architectures, press **Train**: they learn side by side on the same "
    "batches, next to the loss of a trivial predictor. The one with the lowest validation loss becomes "
    "the model of **Step through** and **Vanishing gradients**."
)
current_line = st.empty()  # filled at the end, after this run's training result, pick or upload
for warning in ts.read_link():
    st.warning(warning)

job = st.session_state.get(ts.JOB)
if job is not None and job.worker.done:
    ts.finish(job)
    job = None
running = job is not None

setup, view = st.columns([2, 3], gap="large")
with setup:
    st.subheader("1. Task")
    task, task_error = task_widgets(running)
    if running:
        task, task_error = job.task, None
    if task_error:
        st.error(task_error)
    st.subheader("2. Models and settings")
    with st.container(border=True):
        settings_widgets(running, task)
    if st.session_state.get(ts.START_ERROR):  # what the Train button's callback could not start
        kind, text = st.session_state.pop(ts.START_ERROR)
        SAY[kind](text)
    for note in job.notes if running else ():
        st.warning(note)

finished: ts.Finished | None = None if running else st.session_state.get(ts.RUNS)
with view:
    # once there are curves to look at, the task's description folds away so they fit on a laptop screen
    about = st.expander("About this task") if running or finished is not None else st.container()
    if task is not None:
        about.markdown(task.description())
        about.caption(baseline_caption(task))
    st.subheader("3. Training")
    if running:
        st.fragment(live_view, run_every=POLL_SECONDS)()
    elif finished is not None:
        results(finished)
    elif task is not None:
        steps = st.session_state[ts.setting_key(next(s for s in SETTINGS if s.name == "steps"))]
        st.plotly_chart(curves(task, steps, []), width="stretch", key="lv_train_empty_chart")
    if finished is not None and finished.trained:
        pick_and_download(finished)

if finished is not None and finished.trained:
    st.subheader("4. What the models predict")
    st.caption(predictions_caption(finished.task, finished.held.examples))
    chart, notes = st.columns([3, 2], gap="large")
    chart.plotly_chart(finished.figure, width="stretch", key="lv_train_predictions")
    with notes:
        st.markdown(finished.task.reading_guide())
        for label, lines in finished.held.samples.items():
            if lines:
                st.markdown(f"**{label}**")
                st.code("\n".join(lines), language=None)

st.subheader("Load a saved model")
shipped = sorted(MODELS_DIR.glob("*.npz"))
left, right = st.columns(2, gap="large")
with left:
    if shipped:
        st.selectbox(
            "Shipped pre-trained model", shipped, format_func=lambda p: p.name, key=ts.SHIP,
            persist_state="session",
        )  # fmt: skip
        st.button("Use this model", key="lv_train_use_shipped", on_click=ts.use_shipped)
        if st.session_state.get(ts.SHIP_ERROR):
            st.error(st.session_state[ts.SHIP_ERROR])
    else:
        st.caption("No shipped models in assets/models/.")
with right:  # this app's model files, torch state dicts and Keras exports; "Loaded ..." is said below
    model_upload.panel(ts.UPLOAD, ts.show_loaded, say_done=False, link=True)

loaded: ts.Loaded | None = st.session_state.get(ts.LOADED)
if loaded is not None:
    now = " (the model of the other pages now)" if current_model() is loaded.saved else ""
    st.success(f"Loaded {loaded.source}: {describe_model(loaded.saved)}{now}.")
    if loaded.figure is not None:
        st.plotly_chart(loaded.figure, width="stretch", key="lv_train_loaded_predictions")
    elif loaded.note:
        st.info(loaded.note)

model = current_model()
if model is not None:
    current_line.caption(f"Model of the Step through and Vanishing gradients pages: {describe_model(model)}.")
else:
    current_line.caption(
        "No model yet for the Step through and Vanishing gradients pages: train one or load one."
    )
