"""lstm_vault.compare and its figures: parameter counts equal torch's, gradient curves equal the library's
backward pass, every sentence names what the numbers say, and the drawings sent to the browser carry the
trace's numbers (stack and bidirectional drawings included)."""

import math

import numpy as np
import pytest
import torch

from lstm_vault import GRU, LSTM, RNN, compare
from lstm_vault.explain import fmt, step_values
from lstm_vault.figures.compare import gradient_curves
from lstm_vault.figures.drawing import cell_frames
from lstm_vault.formatting import format_log10
from lstm_vault.sequences import make_sequence
from lstm_vault.vanishing import loss_weights

TORCH = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}


@pytest.fixture(scope="module")
def entries():
    return compare.compare_random(make_sequence("sine", 40), 6, 3, layers=3)


@pytest.mark.parametrize("arch", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, False), (3, True), (1, True)])
def test_parameter_count_and_formula_equal_torch_s_sum_of_numel(arch, layers, bidirectional):
    cls = {"lstm": LSTM, "gru": GRU, "rnn": RNN}[arch]
    model = cls(3, 5, num_layers=layers, bidirectional=bidirectional)
    module = TORCH[arch](3, 5, num_layers=layers, bidirectional=bidirectional)
    torch_count = sum(p.numel() for p in module.parameters())
    assert compare.param_count(model) == torch_count
    formula = compare.param_formula(model)
    assert formula.total == torch_count
    # the formula written with the sizes evaluates to the same number
    assert eval(formula.numbers.replace("·", "*").replace("[", "(").replace("]", ")")) == torch_count
    assert formula.symbols.count("H(I + H)") == 1 and formula.symbols.startswith("2·[") == bidirectional


def test_the_five_models_share_h_and_seed_and_are_what_their_titles_say(entries):
    by_key = {e.key: e for e in entries}
    assert list(by_key) == list(compare.KINDS)
    assert all(e.model.hidden_size == 6 for e in entries)
    assert [e.model.arch for e in entries] == ["lstm", "gru", "rnn", "lstm", "lstm"]
    assert (by_key["stacked"].model.num_layers, by_key["bidirectional"].model.bidirectional) == (3, True)
    assert by_key["stacked"].title == "stacked LSTM (3 layers)" and by_key["rnn"].title == "vanilla RNN"


def test_gradient_curves_equal_the_plain_backward_pass(entries):
    """||dL/dh_t|| over every layer and direction, L = u · y_{T-1}: computed here with the plain (not
    log-safe) backward pass, the norms taken by hand."""
    for e in entries:
        model, trace = e.model, e.trace
        u = loss_weights(model.num_directions * model.hidden_size, 3)
        np.testing.assert_array_equal(e.u, u)
        d_out = np.zeros((trace.T, len(u)))
        d_out[-1] = u
        grads = model.backward(trace, d_out)
        squares = sum((lg.dh.reshape(trace.T, -1) ** 2).sum(axis=1) for layer in grads.layers for lg in layer)
        np.testing.assert_allclose(e.log10_dh, np.log10(np.sqrt(squares)), rtol=0, atol=1e-9)


def test_the_gradient_figure_draws_each_curve(entries):
    fig = gradient_curves(entries)
    assert [trace.name for trace in fig.data] == [e.title for e in entries]
    for trace, e in zip(fig.data, entries):
        np.testing.assert_allclose(np.asarray(trace.y, dtype=float), 10.0**e.log10_dh, rtol=1e-12)
    assert fig.layout.yaxis.type == "log"


def test_the_gradient_sentence_names_the_fastest_and_slowest_fall(entries):
    drops = {e.title: e.log10_dh[-1] - e.log10_dh[0] for e in entries}
    fastest, slowest = max(drops, key=drops.get), min(drops, key=drops.get)
    text = compare.gradient_reading(entries)
    assert text.startswith(f"‖∂L/∂hₜ‖ falls fastest in the {fastest}: ")
    assert f"{abs(drops[fastest]):.1f} decades" in text and f"least in the {slowest}: " in text
    assert f"{abs(drops[slowest]):.1f} decades" in text and "over the 39 steps" in text
    one_step = compare.compare_random(np.array([0.5]), 4, 0)
    assert compare.gradient_reading(one_step) is None


def test_change_says_up_or_down_with_the_factor():
    assert compare.change(2.0) == "down 2.0 decades (a factor 0.010)"
    assert compare.change(-1.5) == "up 1.5 decades (a factor 32)"


def test_the_parameter_sentence_compares_the_largest_and_smallest_count(entries):
    counts = {e.title: e.params for e in entries}
    most, fewest = max(counts, key=counts.get), min(counts, key=counts.get)
    text = compare.params_reading(entries)
    assert text.startswith(f"The {most} has the most parameters, {counts[most]:,}: ")
    assert f"{counts[most] / counts[fewest]:.1f} times the {fewest}'s {counts[fewest]:,}" in text
    assert "LSTM 4, GRU 3, vanilla RNN 1" in text


def test_the_payload_holds_each_model_s_drawing_with_the_trace_s_numbers(entries):
    x = make_sequence("sine", 40)[:, None]
    labels = compare.input_labels(x)
    payload = compare.step_payload(entries, 2, labels)
    assert payload["T"] == 40 and [p["key"] for p in payload["panels"]] == list(compare.KINDS)
    assert payload["headers"][7] == f"t = 7 · unit 2 · xₜ = {labels[7]}"
    for panel, e in zip(payload["panels"], entries):  # the gradient plot's point at each step
        assert panel["notes"] == [f"‖∂L/∂hₜ‖ = {format_log10(v)} (loss at t = 39)" for v in e.log10_dh]
    by_key = {e.key: e for e in entries}
    gru = by_key["gru"].trace.layers[0][0]
    expected = cell_frames([step_values(gru, t, 2) for t in range(40)], None, "gru")
    assert payload["panels"][1]["texts"] == [list(step) for step in expected.texts]
    stack = dict(zip(payload["panels"][3]["text_keys"], payload["panels"][3]["texts"][11]))
    top = by_key["stacked"].trace.layers[2][0]
    assert stack["y"] == f"output yₜ = h of layer 3 = {fmt(top.h[11, 0, 2])}"
    for layer in range(3):
        lt = by_key["stacked"].trace.layers[layer][0]
        assert stack[f"state{layer}"] == f"h = {fmt(lt.h[11, 0, 2])}   c = {fmt(lt.c[11, 0, 2])}"
        assert stack[f"h_prev{layer}"] == f"hₜ₋₁ = {fmt(lt.h_prev_at(11)[0, 2])}"
    bi = by_key["bidirectional"].trace
    for t in (0, 20, 39):
        panel = dict(zip(payload["panels"][4]["text_keys"], payload["panels"][4]["texts"][t]))
        fwd, bwd = bi.layers[0][0].h[t, 0, 2], bi.layers[0][1].h[t, 0, 2]
        assert panel["y"] == f"[{fmt(fwd)} ; {fmt(bwd)}]" and panel["fwd1"] == f"h = {fmt(fwd)}"
        assert (panel["fwd0"] == "h = —") == (t == 0) and (panel["bwd2"] == "h = —") == (t == 39)
    # the output of a bidirectional layer is the two directions side by side (what the drawing says)
    np.testing.assert_array_equal(
        bi.output[:, 0], np.concatenate([bi.layers[0][0].h, bi.layers[0][1].h], -1)[:, 0]
    )
    # the stacked model's layer l + 1 reads layer l's h (what the drawing says)
    st = by_key["stacked"].trace
    np.testing.assert_array_equal(st.layers[1][0].x, st.layers[0][0].h)
    assert "<script" not in "".join(p["svg"] for p in payload["panels"])
    with pytest.raises(ValueError, match="unit 6 is not a unit"):
        compare.step_payload(entries, 6, labels)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="at most 400"):
        compare.compare_random(np.zeros(401), 4, 0)
    with pytest.raises(ValueError, match="not a finite number"):
        compare.compare_random(np.array([0.0, math.nan]), 4, 0)
    with pytest.raises(ValueError, match="2 or 3 layers, got 4"):
        compare.compare_random(np.zeros(5), 4, 0, layers=4)
    with pytest.raises(ValueError, match="hidden size must be a whole number from 1 to 64"):
        compare.compare_random(np.zeros(5), 65, 0)


def test_readout_direction_is_the_predicted_class_row_or_the_mean_row():
    W = np.array([[1.0, 0.0], [0.0, 3.0]])
    out = np.array([[0.0, 0.0], [0.2, 0.1]])  # logits at the last step: [0.2, 0.3] -> class 1
    np.testing.assert_allclose(compare.readout_direction(W, out, classes=True), [0.0, 1.0])
    np.testing.assert_allclose(
        compare.readout_direction(W, out, classes=False), np.array([1.0, 3.0]) / 10**0.5
    )
    with pytest.raises(ValueError, match="all zero"):
        compare.readout_direction(np.zeros((1, 2)), out, classes=False)


def saved(rnn, task: str, readout: np.ndarray, **options):
    from lstm_vault.modelfile import SavedModel

    return SavedModel(rnn, readout, np.zeros(len(readout)), {"task": task, "task_options": options})


def test_trained_models_are_compared_on_their_task_s_held_out_example():
    rng = np.random.default_rng(0)
    models = {
        "lstm": saved(LSTM(1, 3, seed=1), "sine", rng.standard_normal((1, 3))),
        "gru": saved(
            GRU(1, 3, num_layers=2, bidirectional=True, seed=2), "sine", rng.standard_normal((1, 6))
        ),
    }
    x, caption, entries = compare.compare_trained(models, seed=4)
    example, expected_caption = models["lstm"].example(4)
    np.testing.assert_array_equal(x, example[:, 0])
    assert caption == expected_caption
    assert [e.key for e in entries] == ["lstm", "gru"]
    assert entries[1].title == "stacked bidirectional GRU (2 layers)"
    for e, m in zip(entries, models.values()):
        u = m.readout_weight[0] / np.linalg.norm(m.readout_weight[0])  # one regression output: its row
        np.testing.assert_allclose(e.u, u)
    other = {**models, "rnn": saved(RNN(1, 3), "adding", np.ones((1, 3)), length=20)}
    with pytest.raises(ValueError, match="trained on different tasks"):
        compare.compare_trained(other)
    long = {k: saved(m.rnn, "sine", m.readout_weight, length=500) for k, m in models.items()}
    with pytest.raises(ValueError, match="500 steps; the comparison takes at most 400"):
        compare.compare_trained(long)
