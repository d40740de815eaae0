"""Training figures: curve y-values equal the history, the baseline sits at its value, predictions are right.

Predictions figures show the models' outputs in the task's units, and the accuracy of the steps that count.
"""

import math

import numpy as np
import pytest

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
