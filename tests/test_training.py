"""training: runs repeat by seed, stop on NaN with a clear message, honour stop/time; the worker reports."""

import math
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from lstm_vault import modelfile
from lstm_vault.tasks import get_task
from lstm_vault.train_config import CURVE_POINTS, SETTINGS, configs_for, settings_notes
from lstm_vault.training import HistoryRow, Progress, TrainConfig, TrainingWorker, train

TINY = TrainConfig(
    task_options={"length": 10}, hidden_size=4, batch_size=8, steps=6, eval_every=3, val_size=16, device="cpu"
)
# Runs go on each device torch sees: on a GPU machine the CUDA path is tested too.
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def tiny(device: str = "cpu", **changes) -> TrainConfig:
    return TrainConfig(**{**TINY.to_dict(), "device": device, **changes})


def without_seconds(history):
    return [row[:4] for row in history]


@pytest.mark.parametrize("device", DEVICES)
def test_tiny_run_has_history_and_summary(device):
    seen = []
    result = train(tiny(device), callback=seen.append)
    assert result.status == "done" and result.message == "trained 6 steps"
    assert [row.step for row in result.history] == [3, 6]
    assert all(isinstance(row, HistoryRow) and all(map(math.isfinite, row)) for row in result.history)
    assert [p.row for p in seen] == list(result.history) and isinstance(seen[0], Progress)
    assert seen[-1].eta_seconds == 0 and seen[0].steps_per_second > 0
    summary = result.summary()
    assert summary["steps"] == 6 and summary["device"] == device
    assert all(p.device.type == device for p in result.model.parameters())
    assert summary["baseline_loss"] == pytest.approx(1 / 6)


@pytest.mark.parametrize("device", DEVICES)
def test_last_step_is_always_validated(device):
    result = train(tiny(device, steps=7))
    assert [row.step for row in result.history] == [3, 6, 7]


@pytest.mark.parametrize("device", DEVICES)
def test_reproducible_by_seed(device):
    """Bit for bit on the CPU; on CUDA to float32 rounding (cuDNN does not promise the last bits)."""
    a, b = train(tiny(device)), train(tiny(device))
    if device == "cpu":
        assert without_seconds(a.history) == without_seconds(b.history)
        for p, q in zip(a.model.parameters(), b.model.parameters()):
            assert torch.equal(p, q)
    else:
        np.testing.assert_allclose(without_seconds(a.history), without_seconds(b.history), rtol=1e-4)
        for p, q in zip(a.model.parameters(), b.model.parameters()):
            torch.testing.assert_close(p, q, atol=1e-5, rtol=1e-5)
    c = train(tiny(device, seed=1))
    assert without_seconds(c.history) != without_seconds(a.history)


class PoisonedAdding:
    """The adding task whose training batches turn to NaN from the ``bad``-th one on."""

    def __init__(self, bad: int):
        self.inner, self.bad, self.calls = get_task("adding", length=10), bad, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def batch(self, batch_size, rng):
        self.calls += 1
        batch = self.inner.batch(batch_size, rng)
        if self.calls >= self.bad:
            batch.x[...] = np.nan
        return batch


@pytest.mark.parametrize("device", DEVICES)
def test_nan_loss_stops_with_status_diverged(device):
    result = train(tiny(device, steps=20, eval_every=5), task=PoisonedAdding(bad=8))
    assert result.status == "diverged"
    assert result.message.startswith("loss became nan at step 8; lower the learning rate (now 0.01)")
    assert "clip norm (now 1)" in result.message and "weights of step 5" in result.message
    assert [row.step for row in result.history] == [5]
    assert all(torch.isfinite(p).all() for p in result.model.parameters())  # last finite check restored


@pytest.mark.parametrize("device", DEVICES)
def test_stop_and_time_limit(device):
    result = train(tiny(device, steps=1000), should_stop=lambda: True)
    assert result.status == "stopped" and result.message == "stopped by request at step 0 of 1000"
    result = train(tiny(device, steps=100_000, max_seconds=0.3))
    assert result.status == "time-limit" and "time limit of 0.3 s" in result.message
    assert 0 < result.steps_done < 100_000 and result.history[-1].step == result.steps_done


@pytest.mark.parametrize(
    "change,message",
    [
        ({"lr": -1.0}, "lr must be a number in"),
        ({"arch": "transformer"}, "arch must be one of lstm, rnn, gru"),
        ({"hidden_size": 0}, "hidden_size must be an integer in"),
        ({"clip": 0.0}, "clip must be a positive number"),
    ],
)
def test_bad_config_is_named(change, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**{**TINY.to_dict(), **change}).check()


# ------------------------------------------------------------------------------------------------
# the settings the Train page offers (lstm_vault.train_config)


def test_each_setting_of_the_form_is_a_config_field_its_bounds_pass_the_check():
    defaults = TrainConfig()
    for setting in SETTINGS:
        assert setting.default == getattr(defaults, setting.name)  # the form starts from TrainConfig's
        assert setting.low <= setting.default <= setting.high
        for value in (setting.low, setting.high):
            config = TrainConfig(**{setting.name: value})
            if setting.name == "clip" and value == 0:
                config = TrainConfig(clip=None)  # the form's 0 means no clipping
            config.check()
    (seed,) = [s for s in SETTINGS if s.name == "seed"]
    assert seed.help_text == "same seed, same starting weights and batches (0 to 2,147,483,647)"
    assert seed.parse("7") == 7 and seed.parse("7.9") == 7  # as Streamlit's integer widget reads it
    for text in ("-1", "2147483648", "nan", "seven"):
        with pytest.raises(ValueError):
            seed.parse(text)


def test_the_form_s_configs_validate_often_enough_for_the_curve_and_name_a_bad_value():
    task = get_task("copy", seq_len=3)
    values = {"hidden_size": 8, "steps": 600, "batch_size": 16, "lr": 0.5, "clip": 0.0, "seed": 3}
    lstm, gru = configs_for(task, ["lstm", "gru"], values, max_seconds=60.0)
    assert (lstm.arch, gru.arch) == ("lstm", "gru") and lstm.task_options == task.options()
    assert lstm.eval_every == 600 // CURVE_POINTS and lstm.clip is None and lstm.max_seconds == 60.0
    assert configs_for(task, ["rnn"], {**values, "steps": 20_000})[0].eval_every == TrainConfig().eval_every
    assert configs_for(task, ["rnn"], {**values, "steps": 10})[0].eval_every == 1
    with pytest.raises(ValueError, match="^pick at least one architecture to train$"):
        configs_for(task, [], values)
    with pytest.raises(ValueError, match=r"^lr must be a number in \(0, 10\], got 0.0$"):
        configs_for(task, ["rnn"], {**values, "lr": 0.0})
    assert settings_notes(values) == ("A learning rate of 0.5 is large: the loss can jump or diverge.",)
    assert settings_notes({**values, "lr": 0.1}) == ()


@pytest.mark.parametrize("device", DEVICES)
def test_saved_result_loads_with_the_same_outputs(tmp_path, device):
    result = train(tiny(device))
    result.save(tmp_path / "m.npz")
    assert result.file_bytes() == (tmp_path / "m.npz").read_bytes()  # what the app offers to download
    saved = modelfile.load(tmp_path / "m.npz")
    assert saved.meta["task"] == "adding" and saved.meta["task_options"] == {"length": 10}
    assert saved.meta["training"]["steps"] == 6 and len(saved.meta["training"]["history"]) == 2
    x = get_task("adding", length=10).validation(4).x
    y_saved, _ = saved.predict(x)
    y_model = result.model.double()(torch.from_numpy(x.astype(np.float64)).to(device)).detach().cpu().numpy()
    np.testing.assert_allclose(y_saved, y_model, atol=1e-10, rtol=0)


@pytest.mark.parametrize("device", DEVICES)
def test_worker_interleaves_reports_and_stops(device):
    configs = [
        tiny(device, steps=100_000, eval_every=2),
        tiny(device, arch="rnn", steps=100_000, eval_every=2),
    ]
    worker = TrainingWorker(configs, labels=["LSTM", "RNN"]).start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(len(s.history) >= 2 for s in worker.snapshot()):
        time.sleep(0.02)
    snap = worker.snapshot()
    assert [s.label for s in snap] == ["LSTM", "RNN"]
    assert all(
        s.status == "running" and s.step > 0 and s.steps_per_second > 0 and len(s.history) >= 2 for s in snap
    )
    assert not worker.done
    worker.stop(timeout=10)
    assert worker.done and worker.join(0)
    snap = worker.snapshot()
    assert all(s.status == "stopped" and s.message.startswith("stopped by request") for s in snap)
    results = worker.results
    assert [r.config.arch for r in results] == ["lstm", "rnn"]
    assert results[0].history[-1].step == snap[0].history[-1].step


def test_worker_reports_errors():
    bad = TrainConfig(task="adding", task_options={"length": 0}, steps=3)
    worker = TrainingWorker([bad, TINY]).start()
    assert worker.join(20)
    first, second = worker.snapshot()
    assert first.status == "error" and "option 'length'" in first.message
    assert second.status == "done"
    assert worker.results[0] is None and worker.results[1].status == "done"


# ------------------------------------------------------------------------------------------- reading a run


def test_a_model_with_many_weights_learns_the_nile_training_years_by_heart():
    """What the Nile task's text says: the training loss keeps falling while the validation loss rises."""
    result = train(TrainConfig(task="nile", steps=300, eval_every=100, device="cpu"))
    first, last = result.history[0], result.history[-1]
    assert last.train_loss < first.train_loss / 2
    assert last.val_loss > first.val_loss


def test_the_shipped_adding_model_shows_what_the_config_docstring_says():
    """TrainConfig: its defaults take an LSTM on adding (T = 100) below 1 % of the baseline in 1000 steps."""
    saved = modelfile.load(Path(__file__).resolve().parents[1] / "assets" / "models" / "adding_lstm.npz")
    training = saved.meta["training"]
    config = {k: v for k, v in training["config"].items() if k not in ("device", "max_seconds")}
    defaults = TrainConfig(task_options={"length": 100}).to_dict()
    # every setting the file records is today's default; a field added since (bidirectional) is not recorded
    assert set(config) <= set(defaults) and len(config) >= 13
    assert config == {k: defaults[k] for k in config}
    base = get_task("adding", length=100).baseline_loss()
    first = next(step for step, _, val_loss, *_ in training["history"] if val_loss < 0.01 * base)
    assert first <= 1000


# ------------------------------------------------------------------------------------------------
# layers and directions (TrainConfig.num_layers, .bidirectional; the Train page's structure widgets)


@pytest.mark.parametrize("arch", ["lstm", "gru", "rnn"])
def test_a_stacked_bidirectional_run_trains_that_model_and_its_file_gives_the_same_outputs(tmp_path, arch):
    result = train(tiny(arch=arch, num_layers=2, bidirectional=True, steps=3))
    rnn = result.model.rnn
    assert (rnn.num_layers, rnn.bidirectional) == (2, True)
    assert result.summary()["num_layers"] == 2 and result.summary()["bidirectional"] is True
    saved = modelfile.load(result.file_bytes())
    assert (saved.rnn.num_layers, saved.rnn.bidirectional) == (2, True)
    assert saved.meta["training"]["config"]["bidirectional"] is True
    x = get_task("adding", length=10).validation(4).x
    y_saved, _ = saved.predict(x)
    y_model = result.model.double()(torch.from_numpy(x.astype(np.float64))).detach().numpy()
    np.testing.assert_allclose(y_saved, y_model, atol=1e-10, rtol=0)


def test_bidirectional_must_be_a_bool_and_the_form_passes_the_structure():
    with pytest.raises(ValueError, match="bidirectional must be true or false, got 'yes'"):
        tiny(bidirectional="yes").check()
    task = get_task("copy", seq_len=3)
    values = {"hidden_size": 8, "steps": 600, "batch_size": 16, "lr": 0.01, "clip": 1.0, "seed": 3}
    (plain,) = configs_for(task, ["lstm"], values)
    assert (plain.num_layers, plain.bidirectional) == (1, False)
    gru, rnn = configs_for(task, ["gru", "rnn"], {**values, "num_layers": 3, "bidirectional": True})
    assert (gru.num_layers, gru.bidirectional, rnn.num_layers, rnn.bidirectional) == (3, True, 3, True)
    with pytest.raises(ValueError, match="num_layers must be an integer in"):
        configs_for(task, ["lstm"], {**values, "num_layers": 0})


def test_the_bidirectional_note_is_true_of_the_tasks_it_names():
    """The note says: on a task scored at every step whose answer is a later input, the reverse direction has
    read the answer. Checked: the text task's target at t is its input at t + 1, and a bidirectional model's
    output at t depends on x_{t+1} (a one-directional one's does not)."""
    from lstm_vault import LSTM
    from lstm_vault.train_config import BIDIRECTIONAL_NOTE, structure_notes

    text = get_task("text", length=12)
    batch = text.validation(2)
    np.testing.assert_array_equal(batch.y[:-1], batch.x[1:].argmax(-1))  # the answer at t is x_{t+1}
    assert structure_notes(text, True) == (BIDIRECTIONAL_NOTE,)
    assert structure_notes(text, False) == () and structure_notes(get_task("adding"), True) == ()
    x = np.random.default_rng(0).standard_normal((6, 1, 2))
    t = 2
    for bidirectional, reads_ahead in ((True, True), (False, False)):
        model = LSTM(2, 3, bidirectional=bidirectional, seed=1)
        out, _, trace = model.forward(x)
        d_out = np.zeros_like(out)
        d_out[t] = 1.0
        later = np.abs(model.backward(trace, d_out).input[t + 1 :]).max()
        assert (later > 0) == reads_ahead
