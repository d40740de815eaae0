"""evaluation: progress per model, the verdict against the baseline, the best run, held-out predictions within
their budget, and the Train page's sentences, each compared with the numbers it states."""

import io
import math
import re
from pathlib import Path

import numpy as np
import pytest

from lstm_vault import importers, modelfile, models
from lstm_vault.evaluation import (
    BASELINE_MARGIN,
    MIN_PREDICT,
    PREDICT_BUDGET,
    PREDICT_SIZE,
    baseline_caption,
    baseline_verdict,
    beats_baseline,
    best_run,
    describe_model,
    distinct,
    duration,
    held_out,
    last_training,
    model_held_out,
    predictions_caption,
    progress_text,
    run_verdict,
    runs_line,
    status_note,
    time_left,
)
from lstm_vault.tasks import TASKS, get_task
from lstm_vault.train_config import SETTINGS, TrainConfig
from lstm_vault.training import HistoryRow, RunSnapshot

SHIPPED = Path(__file__).resolve().parents[1] / "assets" / "models"


def test_duration_and_time_left():
    assert [duration(s) for s in (0, 59.4, 60, 75, 3600)] == ["0 s", "59 s", "1 min", "1 min 15 s", "60 min"]
    runs = [
        snap("A", 50, steps=100, rate=10.0),
        snap("B", 0, steps=20, rate=2.0),
        snap("C", 0, status="done"),
    ]
    assert time_left(runs) == 5.0 + 10.0  # the runs take turns on one thread: their times add up
    assert math.isinf(time_left([snap("A", 0, rate=0.0)]))


def test_the_baseline_rule_is_five_percent_below():
    assert BASELINE_MARGIN == 0.05
    base = 1 / 6
    assert beats_baseline(0.95 * base, base) and beats_baseline(0.01, base)
    assert not beats_baseline(0.951 * base, base) and not beats_baseline(0.2, base)


def test_distinct_shows_different_numbers_differently():
    assert distinct(0.159, 1 / 6) == ["0.159", "0.167"]
    assert distinct(0.16665, 1 / 6, 0.95 / 6) == ["0.1666", "0.1667", "0.1583"]  # 3 digits: 0.167 twice
    assert distinct(0.5, 0.5) == ["0.5", "0.5"]


@pytest.mark.parametrize(
    ("loss", "expected"),
    [
        # the example: 0.159 is below 0.167, but by less than 5 %
        (
            0.159,
            "its validation loss, 0.159, is below the baseline's 0.167 by less than 5 % "
            "(that would take 0.158 or less)",
        ),
        (0.2, "its validation loss, 0.2, is not below the baseline's 0.167"),
        (0.1667, "its validation loss, 0.1667, is not below the baseline's 0.16667"),  # 1/6 < 0.1667
        (
            0.15834,
            "its validation loss, 0.15834, is below the baseline's 0.16667 by less than 5 % "
            "(that would take 0.15833 or less)",
        ),
    ],
)
def test_a_run_that_did_not_beat_the_baseline_is_told_why_in_numbers_that_read_right(loss, expected):
    base = 1 / 6
    text = baseline_verdict("RNN", loss, base, "Try more steps.")
    assert text == (
        f"**RNN** has not beaten the baseline: {expected}. So it has learned little or nothing beyond the "
        "trivial predictor. Try more steps."
    )
    # the numbers as shown read in the right order, whatever the rounding
    shown = [float(v) for v in re.findall(r"\d+\.\d+", text)]
    if loss >= base:
        assert shown[0] > shown[1] or (shown[0] == shown[1] == loss == base)
    else:
        assert shown[2] < shown[0] < shown[1]


def test_a_run_that_beat_the_baseline_or_has_no_finite_loss_gets_no_verdict():
    assert baseline_verdict("LSTM", 0.95 / 6, 1 / 6) is None
    assert baseline_verdict("LSTM", 0.0001, 1 / 6) is None
    assert baseline_verdict("RNN", math.nan, 1 / 6) is None


def snap(label, step, status="running", rate=40.0, steps=3000):
    config = TrainConfig(arch=label.lower(), steps=steps)
    return RunSnapshot(label, config, (), step, steps, rate, 0.0, status, "")


def test_progress_is_counted_per_model_and_a_model_that_stopped_early_counts_as_done():
    fraction, text = progress_text([snap("LSTM", 817), snap("RNN", 817)], elapsed=20.0)
    assert fraction == pytest.approx(817 / 3000)
    left = 2 * (3000 - 817) / 40.0  # the runs share one thread: their times add up
    assert duration(left) == "1 min 49 s"
    rate = f"{817 / 20:.0f} steps/s per model"
    assert text == f"step 817 of 3,000 for each of 2 models · {rate} · about 1 min 49 s left"
    # RNN diverged at step 7: the bar follows the LSTM, and the RNN counts as done
    fraction, text = progress_text([snap("LSTM", 1000), snap("RNN", 7, status="diverged", rate=0.0)], 20.0)
    assert fraction == pytest.approx((1000 + 3000) / 6000)
    assert text.startswith(
        "step 1,000 of 3,000 for each of 2 models · 50 steps/s per model · about 50 s left"
    )
    fraction, text = progress_text([snap("GRU", 0, status="pending", rate=0.0)], elapsed=0.5)
    assert (fraction, text) == (0.0, "step 0 of 3,000 · starting · estimating the time left")


def row(step: int, val_loss: float) -> HistoryRow:
    return HistoryRow(step, val_loss * 1.1, val_loss, 1.0, 0.1 * step)


def test_the_live_line_names_each_run_s_step_and_last_loss():
    lstm = RunSnapshot("LSTM", TrainConfig(), (row(50, 0.01234567),), 50, 3000, 40.0, 1.0, "running", "")
    rnn = RunSnapshot("RNN", TrainConfig(arch="rnn"), (), 7, 3000, 0.0, 0.0, "diverged", "loss became nan")
    assert (
        runs_line([lstm, rnn])
        == "**LSTM** step 50/3,000, validation loss 0.01235 · **RNN** step 7/3,000 (diverged)"
    )


def test_the_best_run_has_the_lowest_final_validation_loss():
    histories = {"LSTM": [row(10, 0.5), row(20, 0.02)], "RNN": [row(10, 0.01), row(20, 0.3)], "GRU": []}
    assert best_run(histories) == "LSTM"  # the last row counts, not the lowest ever seen
    assert best_run({"GRU": []}) is None


def test_a_run_s_verdict_uses_its_task_s_baseline_and_advice():
    adding, nines = get_task("adding", length=10), get_task("next-number")
    history = [row(20, 0.2)]
    assert run_verdict(adding, "RNN", "done", history) == baseline_verdict(
        "RNN", 0.2, adding.baseline_loss(), "Try more steps, a shorter sequence or another architecture."
    )
    assert run_verdict(nines, "RNN", "done", [row(20, 1.0)]).endswith(
        "Try more steps or another architecture."
    )
    assert run_verdict(adding, "RNN", "diverged", history) is None  # its curve ends before the blow-up
    assert run_verdict(adding, "LSTM", "done", [row(20, 0.9 * adding.baseline_loss())]) is None


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("diverged", ("warning", "**RNN**: it broke. Its loss curve ends at the last finite check.")),
        ("error", ("error", "**RNN**: it broke")),
        ("stopped", ("info", "**RNN**: it broke")),
        ("time-limit", ("info", "**RNN**: it broke")),
        ("done", None),
    ],
)
def test_a_run_that_did_not_simply_finish_gets_a_note_of_its_kind(status, expected):
    assert status_note("RNN", status, "it broke") == expected


# ------------------------------------------------------------------------------------------------
# held-out predictions


def saved_model(arch="lstm", I=2, H=4, O=1, task="adding", **options) -> modelfile.SavedModel:
    rnn = models.ARCHS[arch](I, H, seed=0)
    rng = np.random.default_rng(0)
    meta = {"task": task, "task_options": options or {"length": 8}}
    return modelfile.load(modelfile.to_bytes(rnn, rng.normal(size=(O, H)), rng.normal(size=O), meta))


def test_every_model_the_train_page_can_train_fits_the_predictions_budget():
    (widest,) = [s.high for s in SETTINGS if s.name == "hidden_size"]
    longest = max(s.offered[1] for cls in TASKS.values() for s in cls.option_specs() if s.name == "length")
    assert MIN_PREDICT * longest * widest <= PREDICT_BUDGET
    task = get_task("sine", length=longest)
    held = held_out(task, {"wide": saved_model(I=1, H=widest, task="sine", length=longest)})
    assert held.examples == PREDICT_BUDGET // (longest * widest)  # the batch shrinks to the budget
    assert held.outputs["wide"][1].shape == (longest, held.examples, 1)


def test_a_model_too_big_to_trace_is_refused_up_front_with_its_numbers():
    task = get_task("sine", length=1000)
    with pytest.raises(ValueError) as caught:
        held_out(task, {"huge": saved_model(I=1, H=600, task="sine", length=1000)})
    assert str(caught.value) == (
        "sequences of 1,000 steps through 600 hidden units are too big to trace here "
        f"(T x H = 600,000; at most {PREDICT_BUDGET // MIN_PREDICT:,})"
    )


def test_predictions_are_the_reference_model_s_on_one_held_out_batch():
    task = get_task("copy", length=12, n_symbols=4, seq_len=3)
    a, b = saved_model(I=6, O=4, task="copy"), saved_model("gru", I=6, O=4, task="copy")
    held = held_out(task, {"A": a, "B": b})
    assert held.examples == PREDICT_SIZE
    batch = task.validation(PREDICT_SIZE, seed=0)
    np.testing.assert_array_equal(held.batch.x, batch.x)
    np.testing.assert_array_equal(held.outputs["B"][1], b.predict(batch.x)[0])
    predicted = b.predict(batch.x)[0].argmax(-1)
    assert held.samples["B"] == task.sample_lines(batch, predicted)
    shown = " ".join(map(str, batch.y[-3:, 0]))
    assert held.samples["B"][0] == f"shown {shown}   recalled {' '.join(map(str, predicted[-3:, 0]))}"
    nile = get_task("nile", length=5)  # a short held-out tail: each window once
    held = held_out(nile, {"A": saved_model(I=1, task="nile", length=5)})
    assert held.examples == nile.n_validation < PREDICT_SIZE and held.samples == {"A": []}


REBUILD = "No predictions: the file's task cannot be rebuilt here"
NO_PREDICTIONS = {
    "bad options": (
        {"task": "adding", "length": 1},
        f"{REBUILD} (task 'adding': option 'length' must be an integer in [2, 10000], got 1).",
    ),
    "unknown task": (
        {"task": "morse"},
        f"{REBUILD} (unknown task 'morse'; choose one of: adding, copy, next-number, sine, sunspots, co2, "
        "nile, text, csv).",
    ),
    "inputs": ({"I": 3, "task": "sine"}, "No predictions: the model reads 3 inputs but task 'sine' gives 1."),
}


@pytest.mark.parametrize(("model", "note"), NO_PREDICTIONS.values(), ids=list(NO_PREDICTIONS))
def test_a_loaded_model_without_predictions_says_why(model, note):
    assert model_held_out(saved_model(**model), "mine")[1:] == (None, note)


def test_a_loaded_model_that_names_no_task_says_so():
    saved = saved_model()
    nameless = modelfile.SavedModel(saved.rnn, saved.readout_weight, saved.readout_bias, {})
    assert model_held_out(nameless, "mine") == (
        None, None, "No predictions: the file does not say which task it was trained on."
    )  # fmt: skip
    task, held, note = model_held_out(saved, "mine")
    assert task == get_task("adding", length=8) and note == "" and list(held.outputs) == ["mine"]


# ------------------------------------------------------------------------------------------------
# sentences


def test_a_model_is_described_by_its_task_s_labels_and_the_task_s_own_baseline():
    saved = modelfile.load(SHIPPED / "copy_lstm.npz")
    task = saved.task()
    loss = saved.meta["training"]["val_loss"]
    assert describe_model(saved) == (
        f"LSTM, hidden size {saved.rnn.hidden_size}, trained on Copy (remember symbols across a delay) "
        f"(sequence length 20, alphabet size 8, symbols to remember 5); validation loss {loss:.3g} "
        f"(baseline {task.baseline_loss():.3g})"
    )
    bare = modelfile.SavedModel(saved.rnn, saved.readout_weight, saved.readout_bias, {"task": "morse"})
    assert describe_model(bare) == f"LSTM, hidden size {saved.rnn.hidden_size}, trained on morse"


@pytest.mark.parametrize(
    ("source", "origin"),
    [
        ({"format": "torch state dict", "module": "lstm"}, "a torch state dict (module 'lstm')"),
        ({"format": "torch state dict", "module": ""}, "a torch state dict"),
        (
            {"format": "torch state dict", "module": "(top level)", "class": "nn.LSTM"},
            "a torch state dict (its top-level nn.LSTM)",
        ),
        ({"format": "keras npz"}, "a Keras LSTM's weights (.npz)"),
        ({"format": "something new"}, "a model file"),
    ],
)
def test_an_imported_model_says_where_it_came_from_not_an_unnamed_task(source, origin):
    saved = modelfile.load(SHIPPED / "copy_lstm.npz")
    imported = modelfile.SavedModel(saved.rnn, saved.readout_weight, saved.readout_bias, {"source": source})
    assert describe_model(imported) == (
        f"LSTM, hidden size {saved.rnn.hidden_size}, imported from {origin}; no task or training record"
    )


def test_a_converted_torch_module_is_described_by_its_source():
    import torch  # a requirement; imported here so that the module's other tests stay torch-free

    buffer = io.BytesIO()
    torch.save(torch.nn.GRU(2, 5).state_dict(), buffer)
    saved = importers.convert(io.BytesIO(buffer.getvalue()))
    assert describe_model(saved) == (
        "GRU, hidden size 5, imported from a torch state dict (its top-level nn.GRU); "
        "no task or training record"
    )


def test_captions_state_the_library_s_numbers():
    task = get_task("copy")
    assert baseline_caption(task) == (
        f"Baseline: guess uniformly among the symbols: ln(alphabet size), loss **{math.log(8):.4g}** "
        f"(cross-entropy). This page counts a model as having beaten it when its validation loss is at least "
        f"{100 * BASELINE_MARGIN:g} % lower."
    )
    assert last_training(task, 2500) == (
        "Last training: Copy (remember symbols across a delay) (sequence length 20, alphabet size 8, symbols "
        "to remember 5), up to 2,500 steps per model."
    )
    assert last_training(get_task("adding"), 30).startswith("Last training: Adding problem (sequence length")
    assert predictions_caption(task, 256) == (
        f"On 256 held-out examples, {task.held_out()}; computed by the NumPy reference model that the other "
        "pages use."
    )
