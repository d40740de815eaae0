"""Train page (AppTest): renders; a tiny run, started by the Train button, becomes the session model.

Also: a second session is refused while the CPU is taken, Stop stops, the task options and settings survive a
visit to another page, and the link carries them before Train is pressed. Model files (good and bad uploads)
are driven through the page in tests/test_uploads.py.
"""

import math
import re
import time
from pathlib import Path

import numpy as np
import pytest
from app_support import page_app
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
PAGE = "pages/3_Train.py"
SHIPPED = ROOT / "assets" / "models" / "adding_lstm.npz"
WAIT_S = 90  # upper bound on waiting for a run; a tiny run takes a second or two


def new_page() -> AppTest:
    at = page_app(str(ROOT / PAGE), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


TINY = {"length": 8, "hidden_size": 4, "batch_size": 8}  # the adding task and settings of every tiny run


def set_tiny_run(at: AppTest, archs=("lstm",), steps=20, batch_size=TINY["batch_size"]) -> None:
    at.number_input(key="length").set_value(TINY["length"])
    at.number_input(key="lv_train_hidden_size").set_value(TINY["hidden_size"])
    at.number_input(key="steps").set_value(steps)
    at.number_input(key="batch").set_value(batch_size)
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
    assert page.number_input(key="steps").value == 3000  # the training module's default
    assert page.number_input(key="lr").value == pytest.approx(0.01)
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
    page.number_input(key="seq_len").set_value(15).run()  # needs length >= 31; length is 20
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


def test_a_diverged_run_shows_the_library_message(page, monkeypatch):
    """A real run whose training batches turn to NaN from the 6th on: the page shows the library's message."""
    from lstm_vault.tasks import Adding

    draw, calls = Adding.batch, []

    def poisoned(self, batch_size, rng):
        batch = draw(self, batch_size, rng)
        if batch_size == 7:  # this run's training batches (validation draws 512, the predictions 8 to 256)
            calls.append(batch_size)
            if len(calls) >= 6:
                batch.x[...] = np.nan
        return batch

    monkeypatch.setattr(Adding, "batch", poisoned)
    set_tiny_run(page, archs=("rnn",), steps=10, batch_size=7)  # 10 steps: a history row after every step
    page.button(key="lv_train_submit").click().run()
    wait_finished(page)
    message = (
        "loss became nan at step 6; lower the learning rate (now 0.01) or the clip norm (now 1); the model "
        "keeps the weights of step 5"
    )
    assert [w.value for w in page.warning] == [
        f"**RNN**: {message}. Its loss curve ends at the last finite check."
    ]
    assert not page.info  # a diverged run gets no verdict about the baseline: its loss is not finite
    assert "validation loss" in page.radio(key="lv_train_pick").options[0]  # it kept the weights of step 5


def test_a_shared_link_sets_the_task_and_settings_and_bad_values_are_named():
    at = page_app(str(ROOT / PAGE), default_timeout=60)
    link = {"task": "copy", "seq_len": "3", "arch": "lstm,gru", "H": "16", "lr": "0.005", "steps": "abc"}
    for key, value in link.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    assert at.selectbox(key="lv_train_task").value == "copy"
    assert at.number_input(key="seq_len").value == 3
    assert at.number_input(key="length").value == 20  # copy's own default, not adding's
    assert at.multiselect(key="lv_train_archs").value == ["lstm", "gru"]
    assert at.number_input(key="lv_train_hidden_size").value == 16
    assert at.number_input(key="lr").value == pytest.approx(0.005)
    assert at.number_input(key="steps").value == 3000  # the bad value left the default
    assert [w.value for w in at.warning] == [
        "link parameter steps='abc' ignored: steps must be a number from 10 to 20,000"
    ]
    # the address keeps the link's good values and drops the bad one (a default leaves no parameter)
    assert {k: at.query_params[k] for k in at.query_params} == {k: v for k, v in link.items() if k != "steps"}
    at.run()
    assert not at.warning  # said once


def test_the_click_that_starts_a_run_disables_the_controls_and_shows_the_progress(page):
    set_tiny_run(page, archs=("lstm", "rnn"), steps=20_000)
    page.number_input(key="lr").set_value(0.5)
    assert not page.button(key="lv_train_submit").disabled
    page.button(key="lv_train_submit").click().run()  # one click, one run of the test: no second rerun
    assert not page.exception
    assert "lv_train_job" in page.session_state
    assert page.button(key="lv_train_submit").disabled
    assert page.selectbox(key="lv_train_task").disabled
    assert page.number_input(key="length").disabled
    assert page.multiselect(key="lv_train_archs").disabled
    assert page.number_input(key="steps").disabled
    assert not page.button(key="lv_train_stop").disabled
    # the warning about the learning rate outlives the rerun that started the run
    assert [w.value for w in page.warning] == [
        "A learning rate of 0.5 is large: the loss can jump or diverge."
    ]
    (bar,) = page.get("progress")
    # counted per model: 20,000 steps each, not "of 40,000"
    assert re.fullmatch(r"step [\d,]+ of 20,000 for each of 2 models · .+", bar.text), bar.text
    assert "40,000" not in bar.text


def test_the_progress_bar_counts_steps_per_model_on_a_real_run(page):
    """Two models of 20,000 steps each: the bar says "of 20,000 for each of 2 models", never "of 40,000".

    The arithmetic (time left, a model that stopped early) is checked on fixed snapshots in test_training.
    """
    set_tiny_run(page, archs=("lstm", "rnn"), steps=20_000)
    page.button(key="lv_train_submit").click().run()
    worker = page.session_state["lv_train_job"].worker
    pattern = (
        r"step ([\d,]+) of 20,000 for each of 2 models · (?:starting|\d+ steps/s per model) · "
        r"(about (?:\d+ min(?: \d\d s)?|\d+ s) left|estimating the time left)"
    )
    deadline = time.monotonic() + WAIT_S
    while True:
        before = [s.step for s in worker.snapshot()]
        page.run()
        after = [s.step for s in worker.snapshot()]
        assert not page.exception
        (bar,) = page.get("progress")
        match = re.fullmatch(pattern, bar.text)
        assert match, bar.text
        if match[2] != "estimating the time left" or time.monotonic() > deadline:
            break  # both models have validated once: each has a rate, so the time left is known
        time.sleep(0.2)
    assert match[2].startswith("about"), "the runs did not report their rates in time"
    shown = int(match[1].replace(",", ""))
    assert min(before) <= shown <= min(after)  # the step of the slower model, not a sum
    assert 100 * sum(before) / 40_000 - 1 <= bar.value <= 100 * sum(after) / 40_000 + 1  # both models count
    assert "40,000" not in bar.text


@pytest.mark.parametrize("task", ["adding", "copy", "next-number", "sine", "nile", "text"])
def test_every_task_option_is_the_widget_its_task_declares(page, task):
    """Label, help and bounds of each option's widget are the task's own declaration (lstm_vault.tasks)."""
    from lstm_vault.tasks import TASKS

    page.selectbox(key="lv_train_task").set_value(task).run()
    for spec in TASKS[task].option_specs():
        if spec.choices:
            widget = page.selectbox(key="lv_train_source")
            assert widget.options == [title for _, title in spec.choices]
        else:
            widget = page.number_input(key=spec.name)
            assert (widget.min, widget.max, widget.value) == (*spec.offered, spec.default)
            assert widget.proto.query_param_key == spec.name  # the widget carries its link parameter
        assert widget.label == spec.label and "_" not in widget.label
        assert widget.help == spec.help_text and len(widget.help) > 20
    if task == "copy":
        assert page.number_input(key="n_symbols").max == 64  # what the task accepts
        assert page.number_input(key="length").max == 1000  # what a CPU run affords (the task takes 10,000)
    text = " ".join(m.value for m in [*page.markdown, *page.caption])
    assert "n_symbols" not in text and "seq_len" not in text


def test_copy_baseline_and_loaded_model_are_described_with_labels(page):
    from lstm_vault.evaluation import BASELINE_MARGIN

    page.selectbox(key="lv_train_task").set_value("copy").run()
    (baseline,) = [c.value for c in page.caption if c.value.startswith("Baseline:")]
    assert baseline == (
        f"Baseline: guess uniformly among the symbols: ln(alphabet size), loss **{math.log(8):.4g}** "
        "(cross-entropy). This page counts a model as having beaten it when its validation loss is at "
        f"least {100 * BASELINE_MARGIN:g} % lower."
    )
    page.selectbox(key="lv_train_ship").set_value("copy_lstm.npz").run()
    page.button(key="lv_train_use_shipped").click().run()
    (success,) = [m.value for m in page.success]
    assert "(sequence length 20, alphabet size 8, symbols to remember 5)" in success, success
    assert "alphabet size 8" in page.caption[0].value  # the line naming the session's model
    assert "n_symbols" not in success + page.caption[0].value


def test_text_model_names_its_text_by_title_and_its_task_s_baseline(page):
    from lstm_vault.tasks import get_task

    page.selectbox(key="lv_train_ship").set_value("text_lstm.npz").run()
    page.button(key="lv_train_use_shipped").click().run()
    assert "(sequence length 64, text Shakespeare's Sonnets)" in page.caption[0].value
    # the baseline this version computes (the one the task's caption shows), not the number in the file
    base = get_task("text", source="sonnets", length=64).baseline_loss()
    assert f"(baseline {base:.3g})" in page.caption[0].value


def test_the_predictions_say_where_the_held_out_examples_come_from_and_show_each_window_once(page):
    """A real CO2 run: its held-out months give (months - 12) windows of 12, each drawn once, as captioned."""
    import base64
    import csv
    import json

    from lstm_vault.tasks import get_task

    page.selectbox(key="lv_train_task").set_value("co2").run()
    page.number_input(key="length").set_value(12)
    page.number_input(key="lv_train_hidden_size").set_value(4)
    page.number_input(key="steps").set_value(10)
    page.multiselect(key="lv_train_archs").set_value(["lstm"])
    page.button(key="lv_train_submit").click().run()
    wait_finished(page)
    rows = list(csv.reader((ROOT / "assets" / "co2_monthly.csv").read_text().splitlines()))[1:]
    held = math.ceil(0.15 * len(rows))
    (caption,) = [c.value for c in page.caption if c.value.startswith("On ")]
    assert caption == (
        f"On {held - 12} held-out examples, from the last {held} values of the series, which training never "
        "sees; computed by the NumPy reference model that the other pages use."
    )
    assert get_task("co2", length=12).held_out() in caption
    traces = [t for c in page.get("plotly_chart") for t in json.loads(c.proto.spec)["data"]]
    (true,) = [t for t in traces if t.get("name") == "true next value"]
    values = np.frombuffer(base64.b64decode(true["y"]["bdata"]), dtype=true["y"]["dtype"])
    assert len(values) == held - 12  # each window once, not the tail tiled to fill a batch
    targets = np.array([float(r[1]) for r in rows[len(rows) - held + 12 :]])
    np.testing.assert_allclose(values, targets, rtol=1e-7)  # float32 inputs: the months after window 1


def test_a_link_with_an_option_beyond_what_the_task_accepts_is_named_by_its_label():
    at = page_app(str(ROOT / PAGE), default_timeout=60)
    at.query_params["task"] = "copy"
    at.query_params["n_symbols"] = "100"
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning] == [
        "link parameter n_symbols='100' ignored: not a valid alphabet size"
    ]
    assert at.number_input(key="n_symbols").value == 8


def test_a_run_that_did_not_beat_the_baseline_says_so_by_the_librarys_rule(page):
    """20 steps teach nothing: each run's verdict equals the library's, on the loss the library gets alone."""
    from lstm_vault.evaluation import baseline_verdict
    from lstm_vault.tasks import get_task
    from lstm_vault.training import TrainConfig, train

    set_tiny_run(page, archs=("lstm", "rnn"), steps=20)
    page.button(key="lv_train_submit").click().run()
    wait_finished(page)
    task = get_task("adding", length=TINY["length"])
    expected, labels = [], []
    for arch, label in (("lstm", "LSTM"), ("rnn", "RNN")):
        # the page's settings: 20 steps validate every step; training on the CPU repeats by seed
        config = TrainConfig(
            task="adding",
            task_options={"length": TINY["length"]},
            arch=arch,
            steps=20,
            hidden_size=TINY["hidden_size"],
            batch_size=TINY["batch_size"],
            eval_every=1,
        )
        loss = train(config).val_loss
        labels.append(f"{label} (validation loss {loss:.3g})")
        verdict = baseline_verdict(
            label, loss, task.baseline_loss(), "Try more steps, a shorter sequence or another architecture."
        )
        if verdict is not None:
            expected.append(verdict)
    assert expected, "20 steps were expected to leave at least one model at the baseline"
    assert [i.value for i in page.info] == expected
    assert page.radio(key="lv_train_pick").options == labels
    # the reading guide of the predictions names this task's own baseline
    guide = (
        "Each dot is one held-out example: the true answer across, the model's answer up. A model that "
        "learned the task puts its dots on the dashed diagonal; one that only learned the average draws a "
        f"flat band at the mean. The baseline here: {task.baseline_description}."
    )
    assert guide in [m.value for m in page.markdown]


def test_the_train_button_starts_the_run_with_the_settings_it_shows(page):
    """The run starts in the button's callback, from the widgets' values; the widgets keep showing them."""
    set_tiny_run(page, archs=("gru",), steps=30)
    page.number_input(key="lr").set_value(0.02)
    page.button(key="lv_train_submit").click().run()  # the values and the click in one script run
    assert not page.exception and not page.error
    job = page.session_state["lv_train_job"]
    (config,) = [s.config for s in job.worker.snapshot()]
    assert (config.arch, config.steps, config.hidden_size, config.lr) == ("gru", 30, 4, 0.02)
    assert config.batch_size == 8
    assert config.task_options == {"length": TINY["length"]}
    for key, value in (("steps", 30), ("lv_train_hidden_size", 4), ("batch", 8), ("lr", 0.02)):
        assert page.number_input(key=key).value == pytest.approx(value), key
    assert page.multiselect(key="lv_train_archs").value == ["gru"]
    # the budget and the lease the caption states are the ones this run lives by
    from lstm_vault.evaluation import duration
    from pages.common.run_slots import LEASE_SECONDS

    budget = duration(job.worker.snapshot()[0].config.max_seconds)
    assert (
        f"Each model stops after {budget} of compute at most. Training runs in the background: you can visit "
        f"other pages and come back. But once this page has been away for {duration(LEASE_SECONDS)}, another "
        "tab that asks to train takes the CPU and stops this run."
    ) in [c.value for c in page.caption]
    wait_finished(page)
    assert "Last training: Adding problem (sequence length 8), up to 30 steps per model." in [
        c.value for c in page.caption
    ]
    assert page.query_params["H"] == "4" and page.query_params["arch"] == "gru"
    assert page.number_input(key="steps").value == 30 and not page.number_input(key="steps").disabled


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


# ------------------------------------------------------------------------------ state across pages, links


def set_copy_form(at: AppTest) -> None:
    """A form far from the defaults: the copy task with its own options, and every kind of setting."""
    at.selectbox(key="lv_train_task").set_value("copy").run()
    at.number_input(key="seq_len").set_value(3)
    at.number_input(key="n_symbols").set_value(4)
    at.number_input(key="lv_train_hidden_size").set_value(4)
    at.number_input(key="steps").set_value(20)
    at.number_input(key="batch").set_value(8)
    at.number_input(key="lr").set_value(0.02)
    at.number_input(key="lv_train_seed").set_value(
        123_456_789
    )  # 1.23457e+08 in %g: a seed must keep its digits
    at.multiselect(key="lv_train_archs").set_value(["gru"])
    at.run()


COPY_FORM = {"seq_len": 3, "n_symbols": 4, "length": 20, "lv_train_hidden_size": 4, "steps": 20, "batch": 8,
             "lr": 0.02, "lv_train_seed": 123_456_789}  # fmt: skip


def assert_copy_form(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert at.selectbox(key="lv_train_task").value == "copy"
    assert {key: at.number_input(key=key).value for key in COPY_FORM} == pytest.approx(COPY_FORM)
    assert at.multiselect(key="lv_train_archs").value == ["gru"]


def visit_another_page(at: AppTest) -> None:
    at.switch_page("pages/1_Step_through.py").run()
    assert not at.exception, at.exception
    at.switch_page(PAGE).run()


def test_the_task_options_and_settings_survive_a_visit_to_another_page(page):
    """Regression: they reset to the defaults, and Train then silently ran the defaults."""
    set_copy_form(page)
    visit_another_page(page)
    assert_copy_form(page)
    page.button(key="lv_train_submit").click().run()  # Train after the visit runs what the form shows
    (config,) = [s.config for s in page.session_state["lv_train_job"].worker.snapshot()]
    assert config.task == "copy" and config.task_options == {"length": 20, "n_symbols": 4, "seq_len": 3}
    assert (config.arch, config.hidden_size, config.steps, config.batch_size) == ("gru", 4, 20, 8)
    assert (config.lr, config.seed) == (0.02, 123_456_789)
    wait_finished(page)
    visit_another_page(page)  # and after training: the form and the last training's caption agree
    assert_copy_form(page)
    assert (
        "Last training: Copy (remember symbols across a delay) (sequence length 20, alphabet size 4, symbols "
        "to remember 3), up to 20 steps per model."
    ) in [c.value for c in page.caption]


def test_each_task_keeps_its_own_options_when_the_task_changes(page):
    page.number_input(key="length").set_value(40).run()  # adding
    page.selectbox(key="lv_train_task").set_value("sine").run()
    assert page.number_input(key="length").value == 50  # sine's default, not adding's 40
    page.selectbox(key="lv_train_task").set_value("adding").run()
    assert page.number_input(key="length").value == 40


def test_the_link_carries_the_form_before_train_is_pressed(page):
    """The settings are live widgets, not a form waiting for its submit button: every change is in the link.

    A widget bound to the address writes its parameter in the browser (Streamlit does; an AppTest sees it
    when the page is drawn again after a visit elsewhere); the parameters kept by hand are written by the
    page in the same run.
    """
    set_copy_form(page)
    assert "lv_train_job" not in page.session_state  # Train was not pressed
    hand = {"task": "copy", "arch": "gru", "H": "4", "seed": "123456789"}
    assert {k: page.query_params[k] for k in hand} == hand
    bound = {"seq_len": "3", "n_symbols": "4", "steps": "20", "batch": "8", "lr": "0.02"}
    for name in bound:
        assert page.number_input(key=name).proto.query_param_key == name
    visit_another_page(page)
    # (an AppTest keeps the other page's parameters too; a browser's address has only this page's)
    assert {k: page.query_params[k] for k in hand | bound} == hand | bound
    assert "length" not in page.query_params  # 20 is copy's default: no parameter
    # and that link, opened in a new session, shows the same form
    fresh = page_app(str(ROOT / PAGE), default_timeout=60)
    for key, value in (hand | bound).items():
        fresh.query_params[key] = value
    fresh.run()
    assert_copy_form(fresh)
    assert not fresh.warning


def test_a_link_s_bad_values_are_named_by_their_own_rules():
    at = page_app(str(ROOT / PAGE), default_timeout=60)
    link = {"task": "chess", "arch": "lstm,lstm", "H": "0", "seed": "-1", "length": "5000", "clip": "x"}
    for key, value in link.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning] == [
        "link parameter task='chess' ignored: choose one of adding, copy, next-number, sine, sunspots, co2, "
        "nile, text, csv",
        "link parameter length='5000' ignored: not a valid sequence length",
        "link parameter arch='lstm,lstm' ignored: up to three of lstm, rnn, gru",
        "link parameter H='0' ignored: hidden size must be a number from 1 to 256",
        "link parameter clip='x' ignored: clip must be a number from 0 to 100",
        "link parameter seed='-1' ignored: seed must be a number from 0 to 2,147,483,647",
    ]
    assert at.selectbox(key="lv_train_task").value == "adding" and at.number_input(key="length").value == 100


def test_a_link_the_page_wrote_before_opens_the_same_view():
    """The page used to write every parameter, defaults too: such a link still opens its view, quietly."""
    at = page_app(str(ROOT / PAGE), default_timeout=60)
    link = "task=text&source=python&length=48&arch=lstm,rnn&H=32&steps=3000&batch=64&lr=0.005&clip=1&seed=0"
    for pair in link.split("&"):
        key, value = pair.split("=")
        at.query_params[key] = value
    at.run()
    assert not at.exception and not at.warning and not at.error
    assert at.selectbox(key="lv_train_task").value == "text"
    assert at.selectbox(key="lv_train_source").value == "python"
    assert at.number_input(key="length").value == 48
    assert at.number_input(key="lr").value == pytest.approx(0.005)
    assert at.number_input(key="clip").value == 1.0 and at.number_input(key="lv_train_seed").value == 0
    assert at.multiselect(key="lv_train_archs").value == ["lstm", "rnn"]
