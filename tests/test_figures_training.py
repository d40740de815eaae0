"""Training figures: curve y-values equal the history, the baseline sits at its value, predictions are right.

Predictions figures show the models' outputs in the task's units, and the accuracy of the steps that count.
"""

import math

import numpy as np
import pytest

from lstm_vault.figures.log_axis import log_range, log_ticks
from lstm_vault.figures.training import accuracy_by_step, loss_curves, predictions
from lstm_vault.tasks import get_task

HISTORY_A = [(10, 0.9, 0.8, 1.5, 0.1), (20, 0.5, 0.4, 1.2, 0.2), (30, 0.2, 0.25, 0.9, 0.3)]
HISTORY_B = [(10, 0.95, 0.9, 2.0, 0.1), (20, 0.85, 0.88, 1.9, 0.2)]


def traces(fig, **meta):
    """Traces whose meta holds every given key/value (trace objects: plotly 7's JSON base64-packs arrays)."""
    return [t for t in fig.data if all((t.meta or {}).get(k) == v for k, v in meta.items())]


def test_curves_equal_the_history_of_every_run():
    fig = loss_curves([("LSTM", "lstm", HISTORY_A), ("RNN", "rnn", HISTORY_B)], baseline=1 / 6)
    for label, history in (("LSTM", HISTORY_A), ("RNN", HISTORY_B)):
        (val,) = traces(fig, run=label, kind="val")
        (train,) = traces(fig, run=label, kind="train")
        assert list(val["x"]) == [row[0] for row in history]
        assert list(val["y"]) == [row[2] for row in history]
        assert list(train["x"]) == [row[0] for row in history]
        assert list(train["y"]) == [row[1] for row in history]
    assert fig.layout.yaxis.type == "log"


def test_runs_get_their_architecture_colour():
    fig = loss_curves([("LSTM", "lstm", HISTORY_A), ("RNN", "rnn", HISTORY_B)])
    lstm, rnn = traces(fig, run="LSTM", kind="val")[0], traces(fig, run="RNN", kind="val")[0]
    assert lstm["line"]["color"] != rnn["line"]["color"]


def test_baseline_is_a_horizontal_line_at_the_baseline_value_across_the_planned_steps():
    fig = loss_curves(
        [("LSTM", "lstm", HISTORY_A)], baseline=0.1667, baseline_label="baseline: predict 1", steps=3000
    )
    (base,) = traces(fig, kind="baseline")
    assert list(base["y"]) == [0.1667, 0.1667]
    assert list(base["x"]) == [0, 3000]
    assert base["name"] == "baseline: predict 1"
    assert list(fig.layout.xaxis.range) == [0, 3000]


def test_no_baseline_no_line_and_non_finite_losses_become_gaps():
    history = [(10, 0.5, float("nan"), 1.0, 0.1), (20, math.inf, 0.3, 1.0, 0.2)]
    fig = loss_curves([("GRU", "gru", history)], baseline=None, log_y=False)
    assert not traces(fig, kind="baseline")
    assert list(traces(fig, kind="val")[0]["y"]) == [None, 0.3]
    assert list(traces(fig, kind="train")[0]["y"]) == [0.5, None]
    assert fig.layout.yaxis.type == "linear"


def test_empty_plot_before_training_still_shows_the_baseline():
    fig = loss_curves([], baseline=2.0, steps=100)
    assert [t.meta["kind"] for t in fig.data] == ["baseline"]


def test_regression_predictions_are_the_last_step_outputs_in_task_units():
    task = get_task("next-number", window=3)  # encoding scale 10: model value 0.4 is the number 4
    batch = task.validation(16, seed=0)
    rng = np.random.default_rng(0)
    y_hat = rng.normal(size=(3, 16, 1))  # (T, B, O)
    fig = predictions(task, batch, {"LSTM": ("lstm", y_hat)})
    (scatter,) = traces(fig, run="LSTM")
    np.testing.assert_allclose(scatter["x"], 10 * batch.y[:, 0], rtol=1e-6)
    np.testing.assert_allclose(scatter["y"], 10 * y_hat[-1, :, 0])
    (diagonal,) = traces(fig, kind="diagonal")
    assert list(diagonal["x"]) == list(diagonal["y"])


def test_series_predictions_follow_time_and_undo_the_standardisation():
    task = get_task("nile", length=5)
    enc = task.encoding()
    batch = task.validation(8, seed=0)
    y_hat = np.zeros((5, 8, 1))  # predicting the training mean everywhere
    fig = predictions(task, batch, {"RNN": ("rnn", y_hat)})
    (target,) = traces(fig, kind="target")
    (pred,) = traces(fig, run="RNN")
    np.testing.assert_allclose(target["y"], enc["offset"] + enc["scale"] * batch.y[:, 0], rtol=1e-6)
    np.testing.assert_allclose(pred["y"], np.full(8, enc["offset"]))


def test_copy_accuracy_counts_only_the_recall_steps_against_a_uniform_guess():
    task = get_task("copy", length=12, n_symbols=4, seq_len=3)
    batch = task.validation(10, seed=0)
    T, B, K = 12, 10, 4
    y_hat = np.zeros((T, B, K))
    y_hat[np.arange(T)[:, None], np.arange(B)[None, :], batch.y] = 1.0  # right everywhere...
    y_hat[-1, :5] = np.roll(y_hat[-1, :5], 1, axis=-1)  # ...but wrong on the last symbol of half the examples
    steps, acc = accuracy_by_step(task, batch, y_hat)
    assert list(steps) == [9, 10, 11]
    np.testing.assert_allclose(acc, [1.0, 1.0, 0.5])
    fig = predictions(task, batch, {"LSTM": ("lstm", y_hat)})
    (line,) = traces(fig, run="LSTM")
    assert list(line["x"]) == [1, 2, 3]
    np.testing.assert_allclose(line["y"], [1.0, 1.0, 0.5])
    (chance,) = traces(fig, kind="chance")
    assert list(chance["y"]) == [pytest.approx(1 / K)] * 2


def test_no_webgl_traces():
    fig = loss_curves([("LSTM", "lstm", HISTORY_A)], baseline=0.2)
    assert {t.type for t in fig.data} == {"scatter"}


# ------------------------------------------------------------------------------------------------
# the log axis reads as numbers: "0.2", "0.5", "1", never a lone "9" just under "1"

SUPERSCRIPT = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")


def value_of(label: str) -> float:
    """What a reader takes a tick label for: "0.05", "2×10⁻⁶", "10⁵", "10", "1,000"."""
    if "×" not in label and not set(label) & set("⁻⁰¹²³⁴⁵⁶⁷⁸⁹"):
        return float(label.replace(",", ""))
    head, _, power = label.rpartition("×")
    assert power.startswith("10"), label
    return float(head or 1) * 10 ** int(power[2:].translate(SUPERSCRIPT) or 1)


@pytest.mark.parametrize("runs", [[], [("LSTM", "lstm", []), ("RNN", "rnn", [])]])
def test_before_training_the_axis_reads_0_01_to_0_2_around_the_adding_baseline(runs):
    fig = loss_curves(
        runs, baseline=0.1667, steps=3000
    )  # the page before the first run: "1, 9, 8, ..." before
    axis = fig.layout.yaxis
    assert list(axis.tickvals) == [0.01, 0.02, 0.05, 0.1, 0.2]
    assert list(axis.ticktext) == ["0.01", "0.02", "0.05", "0.1", "0.2"]
    low, high = axis.range
    assert 10**low < 0.01 and 0.2 < 10**high < 0.5  # the baseline near the top, room below for the curves


@pytest.mark.parametrize(
    "low, high, labels",
    [
        (0.08, 0.9, ["0.1", "0.2", "0.5"]),  # about a decade: 1, 2, 5
        (0.3, 0.7, ["0.3", "0.4", "0.5", "0.6", "0.7"]),  # under a decade: every digit, written in full
        (1.72, 2.08, ["1.75", "1.8", "1.85", "1.9", "1.95", "2", "2.05"]),  # barely moves: round steps
        (1e-7, 0.2, ["10⁻⁷", "10⁻⁶", "10⁻⁵", "10⁻⁴", "10⁻³", "10⁻²", "10⁻¹"]),  # many decades: one each
        (1e-12, 10, ["10⁻¹²", "10⁻¹⁰", "10⁻⁸", "10⁻⁶", "10⁻⁴", "10⁻²", "1"]),  # more: every other one
        (5000, 2e5, ["5×10³", "10⁴", "2×10⁴", "5×10⁴", "10⁵", "2×10⁵"]),  # one notation on one axis
    ],
)
def test_log_ticks_examples(low, high, labels):
    values, text = log_ticks(low, high)
    assert text == labels
    assert values == pytest.approx([value_of(t) for t in text], rel=1e-12)


RANGES = [(10**a, 10**a * ratio) for a in (-9, -3.3, -1, 0, 0.4, 2.7) for ratio in
          (1.0001, 1.03, 1.2, 1.6, 3, 9, 11, 40, 300, 1e4, 1e8, 1e20)]  # fmt: skip


@pytest.mark.parametrize("low, high", RANGES)
def test_every_label_is_the_value_at_its_tick_and_there_are_a_few_of_them(low, high):
    a, b = log_range(low, high)
    values, text = log_ticks(10**a, 10**b)
    assert 3 <= len(values) <= 10, text
    assert values == sorted(values) and len(set(text)) == len(text), text
    assert all(10**a * (1 - 1e-9) <= v <= 10**b * (1 + 1e-9) for v in values)
    assert values == pytest.approx([value_of(t) for t in text], rel=1e-9), text
    if b - a >= 1:  # a decade or more: only 1, 2 or 5 times a power of ten
        assert {f"{v:e}"[0] for v in values} <= {"1", "2", "5"}, text


def test_loss_curves_axis_covers_every_loss_and_labels_only_whole_values():
    history = [(10, 2.0, 1.9, 1.0, 0.1), (20, 0.04, 0.05, 1.0, 0.2), (30, 3e-4, 5e-4, 1.0, 0.3)]
    fig = loss_curves([("LSTM", "lstm", history)], baseline=0.1667)
    axis = fig.layout.yaxis
    low, high = axis.range
    assert 10**low < 3e-4 and 10**high > 2.0
    assert list(axis.ticktext) == ["0.001", "0.01", "0.1", "1"]  # 4 decades: one label each
    assert fig.layout.yaxis.type == "log"


def test_log_ticks_refuse_a_range_a_log_axis_cannot_draw():
    with pytest.raises(ValueError):
        log_ticks(0.0, 1.0)
    with pytest.raises(ValueError):
        log_ticks(2.0, 1.0)
