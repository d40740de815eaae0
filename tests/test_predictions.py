"""lstm_vault.predictions: what a model predicts at every step equals torch's read-out in float64 (LSTM, GRU,
RNN), in the data's units; targets, scored steps, the next-number windows and the fitted read-out."""

import numpy as np
import pytest
import torch

from lstm_vault import models, predictions
from lstm_vault.modelfile import SavedModel, load
from lstm_vault.tasks import ASSETS, NextNumber

MODELS = ASSETS / "models"
TORCH = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}


def torch_pair(arch, I, H, O, layers=1, bidirectional=False, seed=0):
    """A torch recurrent module and Linear read-out in float64, and the SavedModel holding their weights."""
    torch.manual_seed(seed)
    rnn_t = TORCH[arch](I, H, num_layers=layers, bidirectional=bidirectional).double()
    head = torch.nn.Linear(H * (2 if bidirectional else 1), O).double()
    rnn = models.ARCHS[arch](I, H, num_layers=layers, bidirectional=bidirectional)
    rnn.load_params({k: v.detach().numpy() for k, v in rnn_t.state_dict().items()})
    return rnn_t, head, rnn, head.weight.detach().numpy(), head.bias.detach().numpy()


def torch_readout(rnn_t, head, x):
    with torch.no_grad():
        out, _ = rnn_t(torch.tensor(x, dtype=torch.float64))
        return head(out).numpy()  # (T, B, O)


@pytest.mark.parametrize("arch", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, True)])
def test_a_value_prediction_is_torch_s_in_the_data_s_units(arch, layers, bidirectional):
    rnn_t, head, rnn, W, b = torch_pair(arch, 1, 5, 1, layers, bidirectional, seed=3)
    meta = {"task": "co2", "encoding": {"type": "real", "offset": 350.0, "scale": 20.0, "unit": "ppmv"}}
    saved = SavedModel(rnn, W, b, meta)
    x = np.random.default_rng(1).standard_normal((9, 1, 1))
    p = predictions.predict_steps(saved, x)
    expected = torch_readout(rnn_t, head, x)[:, 0, 0]
    assert p.kind == "value" and p.units == "ppmv" and p.scored.all()
    np.testing.assert_allclose(p.value, 350.0 + 20.0 * expected, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(p.target[:-1], 350.0 + 20.0 * x[1:, 0, 0], rtol=1e-12)  # the next input
    assert np.isnan(p.target[-1])
    row = predictions.panel(p, 4)
    assert row["rows"][0] == ["predicted", f"{predictions._num(p.value[4], 'ppmv')}"]
    assert row["rows"][1] == ["target", f"{predictions._num(p.target[4], 'ppmv')}"]


@pytest.mark.parametrize("arch", ["lstm", "gru", "rnn"])
def test_class_probabilities_are_torch_s_softmax(arch):
    vocab = "ab c\nde"
    rnn_t, head, rnn, W, b = torch_pair(arch, len(vocab), 6, len(vocab), seed=5)
    saved = SavedModel(rnn, W, b, {"encoding": {"type": "chars", "vocab": vocab}})
    ids = np.array([0, 2, 4, 1, 3, 6])
    x = np.eye(len(vocab))[ids][:, None, :]
    p = predictions.predict_steps(saved, x, target=np.roll(ids, -1), example=True)
    probs = torch.softmax(torch.tensor(torch_readout(rnn_t, head, x)[:, 0]), dim=-1).numpy()
    np.testing.assert_allclose(p.probs, probs, rtol=1e-12, atol=1e-14)
    assert p.names == ("'a'", "'b'", "'␣'", "'c'", "'↵'", "'d'", "'e'")
    for t in range(len(ids)):
        best = np.argsort(-probs[t], kind="stable")[:5]
        assert [c for c, _ in p.top(t)] == list(best)
        panel = predictions.panel(p, t)
        assert panel["rows"] == [[p.names[c], f"{100 * probs[t, c]:.1f} %"] for c in best]
        came = np.roll(ids, -1)[t]
        rank = 1 + int(np.sum(probs[t] > probs[t, came]))
        given = f"{100 * probs[t, came]:.1f} %"
        assert panel["lines"] == [f"came: {p.names[came]} (given {given}, ranked {rank} of {len(vocab)})"]
    # no task named: a target at every step is scored at every step; without one no step has an answer
    assert p.scored.all()
    np.testing.assert_array_equal(p.target, np.roll(ids, -1))
    assert (predictions.predict_steps(saved, x).target == -1).all()


def test_the_adding_model_is_scored_on_its_last_step_only_against_the_task_s_sum():
    saved = load(MODELS / "adding_lstm.npz")
    x, y, mask = predictions.example_with_target(saved, seed=4)
    np.testing.assert_array_equal(x, saved.example(4)[0])
    p = predictions.predict_steps(saved, x, target=y, mask=mask, example=True)
    T = x.shape[0]
    np.testing.assert_array_equal(p.scored, np.arange(T) == T - 1)
    batch = saved.task().validation(1, seed=4)
    first, second = np.flatnonzero(batch.x[:, 0, 1])
    assert p.target[-1] == pytest.approx(batch.x[first, 0, 0] + batch.x[second, 0, 0], rel=1e-6)
    assert np.isnan(p.target[:-1]).all()
    np.testing.assert_array_equal(p.value, saved.predict(x)[0][:, 0, 0])
    assert predictions.panel(p, 0)["muted"] and predictions.panel(p, 0)["lines"][0] == predictions.UNTRAINED
    assert not predictions.panel(p, T - 1)["muted"]


def test_the_copy_model_s_targets_are_its_masked_steps_only():
    saved = load(MODELS / "copy_lstm.npz")
    x, y, mask = predictions.example_with_target(saved, seed=0)
    p = predictions.predict_steps(saved, x, target=y, mask=mask, example=True)
    np.testing.assert_array_equal(p.scored, mask)
    np.testing.assert_array_equal(p.target, np.where(mask, y, -1))


def test_next_number_windows_each_from_a_zero_state_as_the_task_trains():
    saved = load(MODELS / "next_number_lstm.npz")
    assert saved.meta["task"] == "next-number" and saved.meta["task_options"]["window"] == 3
    rows = predictions.window_table(saved, np.arange(1, 11), 3)
    assert [r.window for r in rows] == [tuple(float(v) for v in range(k, k + 3)) for k in range(1, 9)]
    assert [r.true_next for r in rows] == [float(k) for k in range(4, 11)] + [None]
    for r in rows:  # one window at a time, as NextNumber's batches are made
        x = (np.array(r.window) / NextNumber.SCALE)[:, None, None]
        assert r.prediction == pytest.approx(NextNumber.SCALE * saved.predict(x)[0][-1, 0, 0], rel=1e-12)
    # the shipped model has learned the task: within half a number of every true next number
    assert all(abs(r.prediction - r.true_next) < 0.5 for r in rows[:-1])
    with pytest.raises(ValueError, match="no window of 3"):
        predictions.window_table(saved, [1.0, 2.0], 3)


def test_the_fitted_read_out_solves_the_least_squares_problem():
    rnn = models.LSTM(1, 4, seed=2)
    x = np.sin(np.arange(12) / 2.0).reshape(12, 1, 1)
    fit = predictions.fitted_readout(rnn, x)
    h = rnn.forward(x)[0][:-1, 0]
    A = np.hstack([h, np.ones((11, 1))])
    residual = A @ np.append(fit.saved.readout_weight[0], fit.saved.readout_bias) - x[1:, 0, 0]
    np.testing.assert_allclose(A.T @ residual, 0.0, atol=1e-10)  # the normal equations hold
    assert fit.rmse == pytest.approx(np.sqrt(np.mean(residual**2)), rel=1e-12)
    assert (fit.n, fit.exact) == (11, False)
    p = predictions.predict_steps(fit.saved, x, fitted=True)
    np.testing.assert_allclose(p.target[:-1], x[1:, 0, 0])
    assert predictions.FITTED in predictions.panel(p, 0)["lines"][0]
    assert "5 numbers for 4 pairs" in predictions.fit_sentence(predictions.fitted_readout(rnn, x[:5]))
    with pytest.raises(ValueError, match="at least 2 steps"):
        predictions.fitted_readout(rnn, x[:1])


def test_contributions_of_every_unit_add_up_to_the_output():
    rnn_t, head, rnn, W, b = torch_pair("lstm", 1, 3, 1, seed=1)
    saved = SavedModel(rnn, W, b, {})
    x = np.linspace(-1, 1, 6).reshape(6, 1, 1)
    p = predictions.predict_steps(saved, x)
    h = rnn.forward(x)[0][:, 0]
    total = sum(predictions.contributions(saved, p, h[:, u], u) for u in range(3)) + b[0]
    np.testing.assert_allclose(total, torch_readout(rnn_t, head, x)[:, 0, 0], rtol=1e-12)


def test_a_series_example_is_shown_in_the_series_units_against_the_next_value():
    from lstm_vault.tasks import get_task

    task = get_task("co2", length=12)
    rnn_t, head, rnn, W, b = torch_pair("lstm", 1, 3, 1, seed=4)
    meta = {"task": "co2", "task_options": task.options(), "encoding": task.encoding()}
    saved = SavedModel(rnn, W, b, meta)
    x, y, mask = predictions.example_with_target(saved, seed=2)
    p = predictions.predict_steps(saved, x, target=y, mask=mask, example=True)
    offset, scale = task.encoding()["offset"], task.encoding()["scale"]
    assert p.units == task.encoding()["unit"] and p.units
    np.testing.assert_allclose(p.value, offset + scale * torch_readout(rnn_t, head, x)[:, 0, 0], rtol=1e-12)
    np.testing.assert_allclose(p.target[:-1], offset + scale * x[1:, 0, 0], rtol=1e-12)
    np.testing.assert_allclose(p.target[-1], offset + scale * float(y[0]), rtol=1e-6)
    np.testing.assert_array_equal(p.scored, np.arange(12) == 11)
