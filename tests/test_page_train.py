"""Train page (AppTest): renders; a tiny background run becomes the session model; bad uploads are refused.

Also: a second session is refused while the CPU is taken, Stop stops, and a bad upload shows the library's
message and keeps the session's state.
"""

import io
import re
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
PAGE = "pages/3_Train.py"
SHIPPED = ROOT / "assets" / "models" / "adding_lstm.npz"
WAIT_S = 90  # upper bound on waiting for a run; a tiny run takes a second or two


def new_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / PAGE), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def set_tiny_run(at: AppTest, archs=("lstm",), steps=20) -> None:
    at.number_input(key="lv_train_opt_adding_length").set_value(8)
    at.number_input(key="lv_train_hidden_size").set_value(4)
    at.number_input(key="lv_train_steps").set_value(steps)
    at.number_input(key="lv_train_batch_size").set_value(8)
    at.multiselect(key="lv_train_archs").set_value(list(archs))


def wait_finished(at: AppTest) -> None:
    """Rerun the page (as the polling fragment would) until the run's results are in, bounded in time."""
    deadline = time.monotonic() + WAIT_S
    while "lv_train_runs" not in at.session_state:
        assert time.monotonic() < deadline, f"training did not finish within {WAIT_S} s"
        time.sleep(0.25)
        at.run()
        assert not at.exception, at.exception


def stop_job(at: AppTest) -> None:
    """Stop and wait for any worker this session still runs, so no test leaves a thread or a slot behind."""
    if "lv_train_job" in at.session_state:
        worker = at.session_state["lv_train_job"].worker
        worker.stop(timeout=WAIT_S)
        at.run()


@pytest.fixture
def page():
    at = new_page()
    yield at
    stop_job(at)


def test_page_renders_task_form_and_shipped_models(page):
    assert page.title[0].value.startswith("Train")
    assert page.selectbox(key="lv_train_task").value == "adding"
    assert any("sum of the two marked numbers" in m.value for m in page.markdown)
    assert page.multiselect(key="lv_train_archs").value == ["lstm", "rnn"]
    assert page.number_input(key="lv_train_steps").value == 3000  # the training module's default
    assert page.number_input(key="lv_train_lr").value == pytest.approx(0.01)
    assert {"adding_lstm.npz", "copy_lstm.npz", "text_lstm.npz"} <= set(
        page.selectbox(key="lv_train_ship").options
    )
    assert not page.error


@pytest.mark.parametrize("name", ["adding_lstm.npz", "copy_lstm.npz", "text_lstm.npz"])
def test_every_shipped_model_loads_with_its_predictions(page, name):
    page.selectbox(key="lv_train_ship").set_value(name).run()
    page.button(key="lv_train_use_shipped").click().run()
    assert not page.exception and not page.error
    (success,) = [m.value for m in page.success]
    assert success.startswith(f"Loaded shipped {name}")
    assert page.session_state["lv_current_model"].meta["task"] == name.split("_")[0]
    assert len(page.get("plotly_chart")) == 2 and not page.info  # the (empty) loss plot and the predictions


def test_tiny_run_trains_finishes_and_becomes_the_session_model(page):
    set_tiny_run(page, archs=("lstm", "gru"))
    page.button(key="lv_train_submit").click().run()
    assert not page.exception and not page.error and not page.warning
    assert "lv_train_job" in page.session_state  # started in the background, not inside the script run
    wait_finished(page)

    finished = page.session_state["lv_train_runs"]
    assert [(r.label, r.status) for r in finished.runs] == [("LSTM", "done"), ("GRU", "done")]
    assert all(r.history[-1][0] == 20 for r in finished.runs)
    model = page.session_state["lv_current_model"]
    assert model.rnn.hidden_size == 4 and model.meta["task"] == "adding"
    assert model.meta["task_options"] == {"length": 8}
    assert model is next(r.saved for r in finished.runs if r.label == page.session_state["lv_train_pick"])
    assert "lv_train_job" not in page.session_state
    assert len(page.get("download_button")) == 2

    page.radio(key="lv_train_pick").set_value("GRU").run()
    assert page.session_state["lv_current_model"].arch == "gru"
    assert "GRU" in page.caption[0].value

    page.file_uploader(key="lv_train_upload").upload("mine.npz", SHIPPED.read_bytes()).run()
    assert page.session_state["lv_current_model"].rnn.hidden_size == 32
    assert page.radio(key="lv_train_pick").value is None  # neither trained run is the session's model now
    assert "hidden size 32" in page.caption[0].value
    page.radio(key="lv_train_pick").set_value("LSTM").run()
    assert page.session_state["lv_current_model"].arch == "lstm"
    assert page.session_state["lv_current_model"].rnn.hidden_size == 4


def test_no_architecture_is_a_clear_error(page):
    page.multiselect(key="lv_train_archs").set_value([])
    page.button(key="lv_train_submit").click().run()
    assert [e.value for e in page.error] == ["pick at least one architecture to train"]
    assert "lv_train_job" not in page.session_state


def test_impossible_task_options_show_the_task_message_and_disable_train(page):
    page.selectbox(key="lv_train_task").set_value("copy").run()
    page.number_input(key="lv_train_opt_copy_seq_len").set_value(15).run()  # needs length >= 31; length is 20
    assert [e.value for e in page.error] == ["Sequence length must be an integer in [31, 10000], got 20"]
    assert page.button(key="lv_train_submit").disabled


def test_second_session_is_refused_while_the_first_trains_and_stop_stops(page):
    set_tiny_run(page, steps=20_000)
    page.button(key="lv_train_submit").click().run()
    assert "lv_train_job" in page.session_state
    other = new_page()
    try:
        set_tiny_run(other)
        other.button(key="lv_train_submit").click().run()
        assert any("Another browser tab or user is training" in w.value for w in other.warning)
        assert "lv_train_job" not in other.session_state
    finally:
        stop_job(other)

    page.button(key="lv_train_stop").click().run()
    wait_finished(page)
    (run,) = page.session_state["lv_train_runs"].runs
    assert run.status == "stopped" and "stopped by request" in run.message
    assert any("stopped by request" in i.value for i in page.info)

    other.button(key="lv_train_submit").click().run()  # the slot is free again
    assert not other.warning
    wait_finished(other)


def pickled_npz() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array([{"format_version": 1}], dtype=object))
    return buffer.getvalue()


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("garbage.npz", b"this is not a model", "not a model file"),
        ("truncated.npz", SHIPPED.read_bytes()[:2000], "corrupt or truncated"),
        ("pickle.npz", pickled_npz(), "pickled Python objects"),
    ],
)
def test_bad_upload_shows_the_library_message_and_keeps_the_state(page, name, data, message):
    page.button(key="lv_train_use_shipped").click().run()  # a model to keep
    before = page.session_state["lv_current_model"]
    page.session_state["lv_train_marker"] = "kept"

    page.file_uploader(key="lv_train_upload").upload(name, data).run()
    assert not page.exception
    errors = [e.value for e in page.error]
    assert len(errors) == 1 and errors[0].startswith(name) and message in errors[0], errors
    assert page.session_state["lv_current_model"] is before
    assert page.session_state["lv_train_marker"] == "kept"

    page.run()  # the message stays while the file is there, and the file is not read again
    assert [e.value for e in page.error] == errors


def test_good_upload_becomes_the_session_model_with_predictions(page):
    page.file_uploader(key="lv_train_upload").upload("mine.npz", SHIPPED.read_bytes()).run()
    assert not page.exception and not page.error
    model = page.session_state["lv_current_model"]
    assert model.arch == "lstm" and model.rnn.hidden_size == 32
    assert any(s.value.startswith("Loaded uploaded mine.npz") for s in page.success)
    assert len(page.get("plotly_chart")) == 2  # the empty loss plot, and its predictions on held-out examples


def test_a_diverged_run_shows_the_library_message(page):
    from types import SimpleNamespace

    from lstm_vault.tasks import get_task

    message = (
        "loss became nan at step 7; lower the learning rate (now 1); the model keeps the weights of step 5"
    )
    run = SimpleNamespace(label="RNN", arch="rnn", status="diverged", message=message,
                          history=((5, 0.2, 0.21, 1.0, 0.1),), saved=None, data=None)  # fmt: skip
    page.session_state["lv_train_runs"] = SimpleNamespace(
        task=get_task("adding", length=8), steps=100, runs=[run], figure=None, samples={}
    )
    page.run()
    assert not page.exception
    assert any(message in w.value for w in page.warning)


def test_a_shared_link_sets_the_task_and_settings_and_bad_values_are_named():
    at = AppTest.from_file(str(ROOT / PAGE), default_timeout=60)
    link = {"task": "copy", "seq_len": "3", "arch": "lstm,gru", "H": "16", "lr": "0.005", "steps": "abc"}
    for key, value in link.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    assert at.selectbox(key="lv_train_task").value == "copy"
    assert at.number_input(key="lv_train_opt_copy_seq_len").value == 3
    assert at.multiselect(key="lv_train_archs").value == ["lstm", "gru"]
    assert at.number_input(key="lv_train_hidden_size").value == 16
    assert at.number_input(key="lv_train_lr").value == pytest.approx(0.005)
    assert at.number_input(key="lv_train_steps").value == 3000  # the bad value left the default
    assert [w.value for w in at.warning] == [
        "link parameter steps='abc' ignored: steps must be a number from 10 to 20000"
    ]
    # and the page writes its state back, so the address bar is always a link to this view
    assert at.query_params["task"] == "copy" and at.query_params["seq_len"] == "3"
    assert at.query_params["steps"] == "3000" and at.query_params["arch"] == "lstm,gru"


def test_the_click_that_starts_a_run_disables_the_controls_and_shows_the_progress(page):
    set_tiny_run(page, archs=("lstm", "rnn"), steps=20_000)
    page.number_input(key="lv_train_lr").set_value(0.5)
    assert not page.button(key="lv_train_submit").disabled
    page.button(key="lv_train_submit").click().run()  # one click, one run of the test: no second rerun
    assert not page.exception
    assert "lv_train_job" in page.session_state
    assert page.button(key="lv_train_submit").disabled
    assert page.selectbox(key="lv_train_task").disabled
    assert page.number_input(key="lv_train_opt_adding_length").disabled
    assert page.multiselect(key="lv_train_archs").disabled
    assert page.number_input(key="lv_train_steps").disabled
    assert not page.button(key="lv_train_stop").disabled
    # the warning about the learning rate outlives the rerun that started the run
    assert [w.value for w in page.warning] == [
        "A learning rate of 0.5 is large: expect the loss to jump or diverge."
    ]
    (bar,) = page.get("progress")
    # counted per model: 20,000 steps each, not "of 40,000"
    assert re.fullmatch(r"step [\d,]+ of 20,000 for each of 2 models · .+", bar.text), bar.text
    assert "40,000" not in bar.text


class FakeWorker:
    """Stands in for TrainingWorker: fixed snapshots, never done."""

    done = False

    def __init__(self, *snaps):
        self.snaps = snaps

    def snapshot(self):
        return self.snaps

    def stop(self, timeout=None):
        pass


def snap(label, step, status="running", rate=40.0):
    return SimpleNamespace(label=label, step=step, steps=3000, status=status, steps_per_second=rate,
                           history=(), message="", config=SimpleNamespace(arch=label.lower()))  # fmt: skip


def progress_of(page, *snaps, elapsed=20.0):
    from lstm_vault.tasks import get_task

    worker = FakeWorker(*snaps)
    page.session_state["lv_train_job"] = SimpleNamespace(
        worker=worker, task=get_task("adding", length=8), steps=3000, started=time.monotonic() - elapsed,
        stopping=False, notes=(),
    )  # fmt: skip
    page.run()
    assert not page.exception
    del page.session_state["lv_train_job"]
    (bar,) = page.get("progress")
    return bar.value, bar.text


def test_progress_is_counted_per_model_and_a_model_that_stopped_early_counts_as_done(page):
    value, text = progress_of(page, snap("LSTM", 817), snap("RNN", 817))
    assert value == 27  # 817 / 3000 of the way, in percent
    pattern = r"step 817 of 3,000 for each of 2 models · \d+ steps/s per model · about 1 min 49 s left"
    assert re.fullmatch(pattern, text), text  # 2 x 2,183 steps to go at 40 steps/s each
    # RNN diverged at step 7: the bar follows the LSTM, which still has 2,000 steps to go
    value, text = progress_of(page, snap("LSTM", 1000), snap("RNN", 7, status="diverged", rate=0.0))
    assert value == 66  # (1000 + 3000) / 6000
    assert text.startswith("step 1,000 of 3,000 for each of 2 models")
    value, text = progress_of(page, snap("GRU", 0, status="pending", rate=0.0), elapsed=0.5)
    assert (value, text) == (0, "step 0 of 3,000 · starting · estimating the time left")


@pytest.mark.parametrize("task", ["adding", "copy", "next-number", "sine", "nile", "text"])
def test_every_task_option_has_a_human_label_and_help(page, task):
    page.selectbox(key="lv_train_task").set_value(task).run()
    fields = [w for w in [*page.number_input, *page.selectbox] if (w.key or "").startswith("lv_train_opt_")]
    assert fields
    for widget in fields:
        assert "_" not in widget.label, widget.label
        assert widget.help and len(widget.help) > 20, (widget.label, widget.help)
    if task == "copy":
        assert [w.label for w in fields] == ["sequence length", "alphabet size", "symbols to remember"]
        assert page.number_input(key="lv_train_opt_copy_n_symbols").max == 64  # what the task accepts
    text = " ".join(m.value for m in [*page.markdown, *page.caption])
    assert "n_symbols" not in text and "seq_len" not in text


def test_copy_baseline_and_loaded_model_are_described_with_labels(page):
    page.selectbox(key="lv_train_task").set_value("copy").run()
    (baseline,) = [c.value for c in page.caption if c.value.startswith("Baseline:")]
    assert baseline.startswith(
        "Baseline: guess uniformly among the symbols: ln(alphabet size), loss **2.079**"
    )
    page.selectbox(key="lv_train_ship").set_value("copy_lstm.npz").run()
    page.button(key="lv_train_use_shipped").click().run()
    (success,) = [m.value for m in page.success]
    assert "(sequence length 20, alphabet size 8, symbols to remember 5)" in success, success
    assert "alphabet size 8" in page.caption[0].value  # the line naming the session's model
    assert "n_symbols" not in success + page.caption[0].value


def test_text_model_names_its_text_by_title(page):
    page.selectbox(key="lv_train_ship").set_value("text_lstm.npz").run()
    page.button(key="lv_train_use_shipped").click().run()
    assert "(sequence length 64, text Shakespeare's Sonnets)" in page.caption[0].value


def test_a_link_with_an_option_beyond_what_the_task_accepts_is_named_by_its_label():
    at = AppTest.from_file(str(ROOT / PAGE), default_timeout=60)
    at.query_params["task"] = "copy"
    at.query_params["n_symbols"] = "100"
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning] == [
        "link parameter n_symbols='100' ignored: not a valid alphabet size"
    ]
    assert at.number_input(key="lv_train_opt_copy_n_symbols").value == 8


def test_a_run_that_did_not_beat_the_baseline_says_so(page):
    from lstm_vault.tasks import get_task

    task = get_task("adding", length=8)  # baseline 0.1667
    runs = [
        SimpleNamespace(label=label, arch=label.lower(), status="done", message="", saved=None, data=None,
                        history=((100, loss, loss, 1.0, 0.1),))
        for label, loss in (("RNN", 0.166), ("LSTM", 0.01))
    ]  # fmt: skip
    page.session_state["lv_train_runs"] = SimpleNamespace(
        task=task, steps=100, runs=runs, figure=None, samples={}
    )
    page.run()
    assert not page.exception
    assert [i.value for i in page.info] == [
        "**RNN** did not beat the baseline (validation loss 0.166, baseline 0.167): it has not learned "
        "the task yet. Try more steps, a shorter sequence or another architecture."
    ]


def test_the_submitted_settings_stay_in_the_form_and_the_link_after_the_start(page):
    """Regression: the rerun that disables the controls once lost the form's submitted values."""
    set_tiny_run(page, archs=("gru",), steps=30)
    page.number_input(key="lv_train_lr").set_value(0.02)
    page.button(key="lv_train_submit").click().run()
    assert not page.exception and not page.error
    job = page.session_state["lv_train_job"]
    assert [s.config.steps for s in job.worker.snapshot()] == [30]  # the run uses the submitted values ...
    for key, value in (("steps", 30), ("hidden_size", 4), ("batch_size", 8), ("lr", 0.02)):
        assert page.number_input(key=f"lv_train_{key}").value == pytest.approx(value), (
            key
        )  # ... and shows them
    assert page.multiselect(key="lv_train_archs").value == ["gru"]
    wait_finished(page)
    assert page.query_params["steps"] == "30" and page.query_params["H"] == "4"
    assert page.query_params["arch"] == "gru"
    assert (
        page.number_input(key="lv_train_steps").value == 30
        and not page.number_input(key="lv_train_steps").disabled
    )


def test_a_model_loaded_during_a_run_is_not_replaced_when_the_run_finishes(page):
    set_tiny_run(page, steps=200)
    page.button(key="lv_train_submit").click().run()
    page.selectbox(key="lv_train_ship").set_value("copy_lstm.npz").run()
    page.button(key="lv_train_use_shipped").click().run()  # loaded while the run goes on
    loaded = page.session_state["lv_current_model"]
    assert loaded.meta["task"] == "copy"
    wait_finished(page)
    assert page.session_state["lv_current_model"] is loaded
    assert any("model you loaded during the run stays" in t.value for t in page.toast)


def test_a_finished_run_becomes_the_session_model_when_nothing_was_loaded_meanwhile(page):
    page.button(key="lv_train_use_shipped").click().run()  # a model before the run ...
    set_tiny_run(page, steps=20)
    page.button(key="lv_train_submit").click().run()
    wait_finished(page)
    assert page.session_state["lv_current_model"].meta["task"] == "adding"  # ... is replaced by the run's
    assert page.session_state["lv_current_model"].rnn.hidden_size == 4
