"""An experiment on a trained model (experiment.compare): the NumPy task loss equals training's torch loss;
with no records both losses are equal and equal the Train page's held-out score; silencing a unit changes
the held-out loss exactly as a hand-made model with that unit's outgoing weights zeroed; the sentences state
the computed numbers."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from lstm_vault import GRU, LSTM, RNN, GateClamp, UnitAblation, evaluation, experiment, modelfile
from lstm_vault.modelfile import SavedModel
from lstm_vault.tasks import TASKS, Batch, csv_task, get_task
from lstm_vault.tasks.data import ASSETS
from lstm_vault.torch_backend import task_loss as torch_task_loss
from lstm_vault.userdata import parse_csv_table

MODELS = Path(__file__).resolve().parents[1] / "assets" / "models"


@pytest.mark.parametrize("name", list(TASKS))
def test_the_numpy_task_loss_is_training_s_torch_loss(name):
    if name == "csv":  # the user's CSV: the shipped CO2 file, read as a user's upload would be
        table = parse_csv_table((ASSETS / "co2_monthly.csv").read_bytes())
        task = csv_task(table, [table.names[0]], table.names[0], length=12)
    else:
        task = get_task(name)
    batch = task.validation(6, seed=1)
    y_hat = np.random.default_rng(2).standard_normal((task.length, 6, task.output_size)) * 3
    want = float(torch_task_loss(task, torch.from_numpy(y_hat), batch))
    assert evaluation.task_loss(task, y_hat, batch) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("loss,target", [("mse", "all"), ("ce", "last"), ("ce", "all")])
@pytest.mark.parametrize("masked", [False, True])
def test_the_numpy_task_loss_is_training_s_for_every_loss_and_target(loss, target, masked):
    """Combinations no registered task uses yet, built by hand, with and without a mask; logits of ±800
    (the log-sum-exp must not overflow)."""
    rng = np.random.default_rng(3)
    T, B, O = 5, 4, 3
    if target == "last":
        y = rng.integers(0, O, B) if loss == "ce" else rng.standard_normal((B, O))
    else:
        y = rng.integers(0, O, (T, B)) if loss == "ce" else rng.standard_normal((T, B, O))
    mask = (rng.random((T, B)) < 0.5) if masked and target == "all" else None
    batch = Batch(rng.standard_normal((T, B, 1)), y, mask)
    task = SimpleNamespace(loss=loss, target=target)
    y_hat = rng.standard_normal((T, B, O)) * 3
    y_hat[0, 0, 0] = 800.0
    y_hat[-1, 0, 1] = -800.0
    want = float(torch_task_loss(task, torch.from_numpy(y_hat), batch))
    assert evaluation.task_loss(task, y_hat, batch) == pytest.approx(want, rel=1e-12)


def test_no_records_give_the_same_loss_both_ways_and_the_train_page_s_score():
    saved = modelfile.load(MODELS / "copy_lstm.npz")
    x, _ = saved.example(0)
    cmp = experiment.compare(saved, x, [])
    assert cmp.loss is not None and cmp.loss == cmp.loss_clamped and cmp.loss_kind == "ce"
    task = saved.task()
    shown = evaluation.held_out(task, {"LSTM": saved})  # the Train page's held-out predictions
    assert cmp.examples == shown.examples
    assert cmp.loss == evaluation.task_loss(task, shown.outputs["LSTM"][1], shown.batch)
    np.testing.assert_array_equal(cmp.y, cmp.y_clamped)
    np.testing.assert_array_equal(cmp.y, saved.predict(x)[0])
    assert "does not change" in experiment.reading(cmp, experiment.effect(cmp, 0))


def _zero_outgoing(saved: SavedModel, unit: int, layer: int, direction: int) -> SavedModel:
    """A copy whose unit ``unit`` (of one layer and direction) sends nothing anywhere: its column in that
    direction's W_hh (every gate), in the next layer's W_ih (both directions) or in the read-out is 0."""
    rnn, H = saved.rnn, saved.rnn.hidden_size
    params = {k: v.copy() for k, v in rnn.params.items()}
    params[f"weight_hh_l{layer}" + ("_reverse" if direction else "")][:, unit] = 0.0
    col = direction * H + unit  # where the unit sits in the concatenated output of its layer
    weight = saved.readout_weight.copy()
    if layer + 1 < rnn.num_layers:
        for sfx in ("", "_reverse")[: rnn.num_directions]:
            params[f"weight_ih_l{layer + 1}{sfx}"][:, col] = 0.0
    else:
        weight[:, col] = 0.0
    made = type(rnn).from_params(params, **rnn.config())
    return SavedModel(made, weight, saved.readout_bias, saved.meta)


def _held_out_loss(saved: SavedModel) -> float:
    task = saved.task()
    batch = evaluation.held_out_batch(task, [saved])
    return evaluation.task_loss(task, saved.predict(batch.x)[0], batch)


@pytest.mark.parametrize("what", [None, ("h",)], ids=["h-and-c", "h-only"])
def test_silencing_a_unit_of_a_shipped_model_is_zeroing_its_outgoing_weights(what):
    """The adding-problem LSTM, a unit silenced at every step: its h is 0, so nothing it computes reaches
    the other units (W_hh column) or the prediction (read-out column); a model with those columns zeroed
    gives the same held-out loss. (The cell may keep running with what=('h',): c feeds only its own h.)"""
    saved = modelfile.load(MODELS / "adding_lstm.npz")
    x, _ = saved.example(0)
    unit = 5
    cmp = experiment.compare(saved, x, [UnitAblation(unit, what=what)])
    made = _zero_outgoing(saved, unit, 0, 0)
    assert cmp.loss == pytest.approx(_held_out_loss(saved), rel=1e-12)
    assert cmp.loss_clamped == pytest.approx(_held_out_loss(made), rel=1e-12)
    assert cmp.loss_clamped != cmp.loss
    np.testing.assert_allclose(cmp.y_clamped, made.predict(x)[0], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cls", [LSTM, GRU, RNN], ids=lambda c: c.__name__)
@pytest.mark.parametrize("layer,direction", [(0, 1), (1, 0)])
def test_silencing_a_unit_anywhere_in_a_deep_two_way_model_is_zeroing_its_outgoing_weights(
    cls, layer, direction
):
    """Two layers, bidirectional, on the sine task: a unit of a lower layer feeds the next layer's W_ih
    (both directions), one of the top layer the read-out; the loss is the task's own."""
    rnn = cls(1, 4, num_layers=2, bidirectional=True, seed=40)
    rng = np.random.default_rng(41)
    saved = SavedModel(rnn, rng.standard_normal((1, 8)), rng.standard_normal(1), {"task": "sine"})
    x, _ = saved.example(3)
    cmp = experiment.compare(saved, x, [UnitAblation(2, layer=layer, direction=direction)])
    made = _zero_outgoing(saved, 2, layer, direction)
    assert cmp.loss_clamped == pytest.approx(_held_out_loss(made), rel=1e-12)
    assert cmp.loss_clamped != cmp.loss
    np.testing.assert_allclose(cmp.y_clamped, made.predict(x)[0], rtol=1e-12, atol=1e-14)


def test_hiding_a_cell_with_o_zero_is_zeroing_its_outgoing_weights_too():
    saved = modelfile.load(MODELS / "adding_lstm.npz")
    x, _ = saved.example(0)
    cmp = experiment.compare(saved, x, [GateClamp("o", 0.0, units=(7,))])
    assert cmp.loss_clamped == pytest.approx(_held_out_loss(_zero_outgoing(saved, 7, 0, 0)), rel=1e-12)


def test_the_reading_states_the_computed_numbers():
    saved = modelfile.load(MODELS / "copy_lstm.npz")
    x, _ = saved.example(0)
    recs = [GateClamp("f", 0.0, start=2, units=(3,))]
    cmp = experiment.compare(saved, x, recs)
    eff = experiment.effect(cmp, 3)
    lt, lt_c = cmp.plain.layers[0][0], cmp.clamped.layers[0][0]
    dc = np.abs(lt_c.c[:, 0, 3] - lt.c[:, 0, 3])
    np.testing.assert_array_equal(eff.dc, dc)
    text = experiment.reading(cmp, eff)
    k = int(dc.argmax())
    assert (
        f"unit 3 moves its cell state c by up to {evaluation.distinct(float(dc[k]))[0]} (at t = {k})" in text
    )
    before, after = evaluation.distinct(cmp.loss, cmp.loss_clamped)
    assert f"(cross-entropy, {cmp.examples} examples) goes from {before} without to {after} with" in text
    ratio = cmp.loss_clamped / cmp.loss
    how = f"{ratio:.3g} times as high" if ratio >= 2 else f"{100 * abs(ratio - 1):.3g} %"
    assert how in text
    what, y, y_c = eff.prediction
    assert what == experiment.TOP_CHOICE
    p = np.exp(cmp.y[-1, 0]) / np.exp(cmp.y[-1, 0]).sum()
    assert y[-1] == pytest.approx(p.max(), rel=1e-12)
    before, after = evaluation.distinct(float(y[-1]), float(y_c[-1]))
    assert f"the model's top choice (without) gets probability {before} without and {after} with." in text


def test_the_reading_of_a_regression_states_the_last_prediction_and_what_did_not_move():
    saved = modelfile.load(MODELS / "adding_lstm.npz")
    x, _ = saved.example(0)
    cmp = experiment.compare(saved, x, [UnitAblation(2, start=95)])  # the last five steps
    eff = experiment.effect(cmp, 2)
    assert np.all(eff.dh[:95] == 0.0) and np.all(eff.dh[95:] > 0.0)
    y, y_c = saved.predict(x)[0][-1, 0, 0], cmp.y_clamped[-1, 0, 0]
    before, after = evaluation.distinct(float(y), float(y_c))
    assert f"The prediction at the last step goes from {before} to {after}." in experiment.reading(cmp, eff)
    untouched = experiment.compare(saved.rnn, x, [UnitAblation(1, start=100)])  # a range past the end
    assert experiment.reading(untouched, experiment.effect(untouched, 1)) == (
        "Against the run without: unit 1's c and h are exactly the same at every step."
    )


def test_a_bare_model_gets_traces_and_no_loss_and_a_model_without_a_task_says_why():
    rnn = LSTM(1, 3, seed=42)
    x = np.random.default_rng(43).standard_normal((6, 1, 1))
    cmp = experiment.compare(rnn, x, [UnitAblation(1, start=2)])
    assert cmp.y is None and cmp.loss is None and cmp.no_loss == ""
    assert np.all(cmp.clamped.layers[0][0].h[2:, 0, 1] == 0.0)
    assert "No held-out loss" not in experiment.reading(cmp, experiment.effect(cmp, 1))
    orphan = SavedModel(rnn, np.ones((1, 3)), np.zeros(1), {})
    cmp = experiment.compare(orphan, x, [])
    assert cmp.loss is None and cmp.no_loss == "the model file does not say which task it was trained on"
    assert cmp.y is not None
    text = experiment.reading(cmp, experiment.effect(cmp, 0))
    assert text.endswith("No held-out loss: the model file does not say which task it was trained on.")
    with pytest.raises(ValueError, match="cannot clamp 'z'"):
        experiment.compare(rnn, x, [GateClamp("z", 1.0)])


def test_the_records_are_described_in_words():
    d = experiment.describe
    assert d(
        [
            GateClamp("f", 1.0, start=5, stop=20, units=(3,)),
            GateClamp("i", 0.0, start=5, stop=20, units=(3,)),
        ],
        100,
        8,
    ) == ("f held at 1 and i held at 0 for unit 3, steps 5 to 19")
    assert d([UnitAblation((4, 1))], 10, 8) == "silenced (h and c held at 0) for units 1, 4, every step"
    assert d([UnitAblation(2)], 10, 8, "gru") == "silenced (h held at 0) for unit 2, every step"
    assert d([UnitAblation(2, what="h", start=9)], 10, 8) == "silenced (h held at 0) for unit 2, step 9"
    assert d([GateClamp("o", 0.0, stop=3, layer=1, direction=1)], 10, 8) == (
        "o held at 0 for every unit, steps 0 to 2, layer 1, reverse direction"
    )


def test_each_architecture_is_offered_the_experiments_it_has_and_their_records():
    assert experiment.kinds("lstm") == ["freeze", "hide", "wipe", "gate", "silence"]
    assert experiment.kinds("gru") == ["keep", "gate", "silence"]
    assert experiment.kinds("rnn") == ["silence"]
    mk = experiment.make_records
    assert mk("lstm", "freeze", [3], 5, 20) == [
        GateClamp("f", 1.0, start=5, stop=20, units=(3,)),
        GateClamp("i", 0.0, start=5, stop=20, units=(3,)),
    ]
    assert mk("lstm", "hide", [1, 2]) == [GateClamp("o", 0.0, units=(1, 2))]
    assert mk("lstm", "wipe", None, layer=1) == [GateClamp("f", 0.0, layer=1)]
    assert mk("gru", "keep", [0], direction=1) == [GateClamp("z", 1.0, units=(0,), direction=1)]
    assert mk("gru", "gate", [0], gate="n", value=-0.5) == [GateClamp("n", -0.5, units=(0,))]
    assert mk("rnn", "silence", [2], 1, 4) == [UnitAblation(2, start=1, stop=4)]
    assert mk("lstm", "silence", [2], what="h") == [UnitAblation(2, what=("h",))]
    with pytest.raises(ValueError, match=r"a rnn has the experiments \['silence'\], not 'freeze'"):
        mk("rnn", "freeze", [0])
    # every preset runs on its architecture (the records fit the model)
    for arch, cls in (("lstm", LSTM), ("gru", GRU), ("rnn", RNN)):
        for kind in experiment.kinds(arch):
            gate = cls(1, 2).gates[0] if kind == "gate" else None
            recs = mk(arch, kind, [1], 1, 3, gate=gate, value=0.5 if gate else None)
            cls(1, 2).forward(np.zeros((4, 1)), clamps=recs)


def test_the_figure_holds_both_runs_of_the_unit_and_shades_the_steps():
    from lstm_vault.figures.interventions import effect_figure

    rnn = GRU(1, 3, seed=44)
    rng = np.random.default_rng(45)
    saved = SavedModel(rnn, rng.standard_normal((1, 3)), rng.standard_normal(1), {"task": "sine"})
    x, _ = saved.example(0)
    cmp = experiment.compare(saved, x, [GateClamp("z", 1.0, start=10, stop=20, units=(1,))])
    fig = effect_figure(cmp, experiment.effect(cmp, 1)).to_plotly_json()
    data = {(d["meta"], d["name"]): np.array(d["y"]) for d in fig["data"]}
    assert sorted({m for m, _ in data}) == ["hidden state h, unit 1", "prediction"]  # a GRU has no c
    np.testing.assert_array_equal(
        data[("hidden state h, unit 1", "without")], cmp.plain.layers[0][0].h[:, 0, 1]
    )
    np.testing.assert_array_equal(
        data[("hidden state h, unit 1", "with")], cmp.clamped.layers[0][0].h[:, 0, 1]
    )
    np.testing.assert_array_equal(data[("prediction", "with")], cmp.y_clamped[:, 0, 0])
    h = cmp.clamped.layers[0][0].h[:, 0, 1]
    np.testing.assert_array_equal(h[10:20], h[9])  # z = 1 keeps h: the shaded steps are flat
    shaded = {(s["x0"], s["x1"]) for s in fig["layout"]["shapes"]}
    assert shaded == {(9.5, 19.5)}
