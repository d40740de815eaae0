"""compare_gradients equals backward's dh, dc, dx; path_gradients does for any model (GRU, stacked,
bidirectional); σ_max bounds each step; the edge sweep, the chaos check, the mean-field accuracy the docstring
states, the trained pairs the page compares, its settings' link checks and how a choice of models resolves."""

from __future__ import annotations

import math
import warnings
from types import SimpleNamespace

import numpy as np
import pytest

from lstm_vault import GRU, LSTM, RNN
from lstm_vault.figures.log_axis import for_log_axis
from lstm_vault.formatting import format_log10, power_of_ten, steps_text
from lstm_vault.gradient_edge import EdgeSweep, edge_sweep
from lstm_vault.gradient_models import (
    SETTINGS,
    SHIPPED_DIR,
    SHIPPED_FILES,
    Pair,
    Resolved,
    choices,
    compare_link_warning,
    load_shipped_pair,
    resolve,
    session_pair,
    task_example,
    unusable,
)
from lstm_vault.gradient_paths import path_gradients
from lstm_vault.gradient_readings import regime
from lstm_vault.sequences import make_sequence
from lstm_vault.tasks import get_task
from lstm_vault.vanishing import (
    COMPARISON_MAX_HIDDEN,
    FORGET_CLAMP,
    PERTURBATION,
    build_models,
    compare_gradients,
    forget_clamp,
    largest_singular_value,
    loss_weights,
    spectral_radius,
)


def sine(T: int) -> np.ndarray:
    return np.sin(2 * np.pi * np.arange(T) / 25)


def reference(model, x, u, clamps=None):
    """model.backward for L = u · h_{T-1}: (dh (T, H), dc (T, H) or None, dx (T, I))."""
    out, _, trace = model.forward(x, clamps=clamps)
    d_out = np.zeros_like(out)
    d_out[-1] = u
    g = model.backward(trace, d_out)
    lg = g.layers[0][0]  # (T, B=1, H) inside the library for an unbatched (T, I) input
    return lg.dh[:, 0], None if lg.dc is None else lg.dc[:, 0], g.input


@pytest.mark.parametrize(("rho", "fb", "I"), [(1.0, 2.0, 1), (0.6, 0.0, 3), (2.0, 3.0, 2)])
def test_norms_equal_backward(rho, fb, I):
    x = np.random.default_rng(1).standard_normal((60, I))
    r = compare_gradients(x, hidden_size=8, seed=3, spectral_radius_target=rho, forget_bias=fb)
    rnn, lstm, _ = build_models(I, 8, 3, rho, fb)
    u = loss_weights(8, 3)
    dh, _, dx = reference(rnn, x, u)
    np.testing.assert_allclose(10**r.rnn.log10_dh, np.linalg.norm(dh, axis=-1), rtol=1e-9)
    np.testing.assert_allclose(r.rnn.dx(), dx, rtol=1e-9, atol=1e-300)
    dh, dc, dx = reference(lstm, x, u)
    np.testing.assert_allclose(10**r.lstm.log10_dh, np.linalg.norm(dh, axis=-1), rtol=1e-9)
    np.testing.assert_allclose(10**r.lstm.log10_dc, np.linalg.norm(dc, axis=-1), rtol=1e-9)
    np.testing.assert_allclose(r.lstm.dx(), dx, rtol=1e-9, atol=1e-300)
    assert r.rnn.log10_dh[-1] == pytest.approx(0.0, abs=1e-12)  # ||u|| = 1
    assert r.spectral_radius == pytest.approx(rho)


def test_rnn_vanishes_below_one_and_explodes_above():
    small = compare_gradients(sine(200), spectral_radius_target=0.8)
    assert small.rnn.log10_ratio < -10  # t = 0 gets less than 1e-10 of the gradient at T-1
    big = compare_gradients(sine(200), spectral_radius_target=3.0)
    assert big.rnn.log10_ratio > 5
    # the mean-field factor ρ · rms tanh' gets the direction right in both regimes
    assert small.predicted_step_factor < 1 < big.predicted_step_factor


def test_largest_singular_value_bounds_every_step():
    W = np.random.default_rng(0).standard_normal((6, 6))
    assert largest_singular_value(W) == pytest.approx(np.linalg.svd(W, compute_uv=False)[0], rel=1e-12)
    assert largest_singular_value(W) >= spectral_radius(W)
    for rho in (0.5, 0.95, 2.0):
        r = compare_gradients(sine(100), hidden_size=16, spectral_radius_target=rho)
        W = build_models(1, 16, 0, rho, 3.0)[0].params["weight_hh_l0"]
        assert r.largest_singular_value == pytest.approx(np.linalg.svd(W, compute_uv=False)[0], rel=1e-12)
        assert r.largest_singular_value > r.spectral_radius  # a random W_hh is far from symmetric
        # ||W_hhᵀ diag(tanh') v|| <= σ_max ||v||: no step back can grow the gradient by more than σ_max
        assert r.rnn.log10_step_factors.max() <= math.log10(r.largest_singular_value) + 1e-12
        np.testing.assert_allclose(r.rnn.log10_step_factors.sum(), r.rnn.log10_ratio, rtol=1e-12)
    # the example: ρ = 0.95 < 1, yet the gradient grows on some steps back, since σ_max > 1
    r = compare_gradients(sine(100), hidden_size=16, spectral_radius_target=0.95)
    assert r.largest_singular_value > 1 and (r.rnn.log10_step_factors > 0).sum() > 5
    # σ_max < 1 (Pascanu et al.'s sufficient condition): it shrinks on every step
    r = compare_gradients(sine(100), hidden_size=16, spectral_radius_target=0.5)
    assert r.largest_singular_value < 1 and (r.rnn.log10_step_factors < 0).all()


def test_lstm_with_forget_bias_keeps_a_far_larger_gradient():
    r = compare_gradients(sine(200), hidden_size=16, spectral_radius_target=1.0, forget_bias=3.0)
    assert r.lstm.log10_ratio > -5
    assert r.log10_lstm_over_rnn > 8  # 1e8 times more gradient reaches t = 0 through the LSTM
    # the forget bias is what does it: at b_f = 0 (f near 0.5) the LSTM loses its gradient faster still
    forgetful = compare_gradients(sine(200), hidden_size=16, spectral_radius_target=1.0, forget_bias=0.0)
    assert forgetful.lstm.log10_ratio < r.lstm.log10_ratio - 20
    assert forgetful.log10_forget_product_mean[0] < r.log10_forget_product_mean[0] - 20
    # ... and the result carries that comparison for the page: the same LSTM at bias 0
    assert r.lstm_log10_ratio_zero_bias == forgetful.lstm.log10_ratio
    assert forgetful.lstm_log10_ratio_zero_bias == forgetful.lstm.log10_ratio
    assert (
        forgetful.lstm_log10_ratio_zero_bias < r.rnn.log10_ratio
    )  # worse than the RNN, by architecture alone


def test_forget_product_equals_direct_product():
    x = sine(40)
    r = compare_gradients(x, hidden_size=5, seed=2, forget_bias=1.0)
    _, lstm, _ = build_models(1, 5, 2, 1.0, 1.0)
    f = lstm.forward(x[:, None])[2].layers[0][0].f[:, 0]  # (T, H)
    for t in (0, 7, 38, 39):
        direct = np.prod(f[t + 1 :], axis=0)  # Π_{k=t+1}^{T-1} f_k; empty at t = T-1
        np.testing.assert_allclose(10 ** r.log10_forget_product[t], direct, rtol=1e-10)
        assert 10 ** r.log10_forget_product_mean[t] == pytest.approx(direct.mean(), rel=1e-10)
    np.testing.assert_allclose(r.forget_mean, f.mean(axis=1))


def test_mean_field_line_is_the_running_product():
    r = compare_gradients(sine(30), hidden_size=6, spectral_radius_target=0.9)
    steps = np.log10(r.spectral_radius * r.rnn_tanh_slope_rms)
    assert r.log10_predicted[-1] == 0.0
    assert r.log10_predicted[10] == pytest.approx(steps[11:].sum())
    assert r.log10_predicted[0] == pytest.approx(29 * math.log10(r.predicted_step_factor))
    assert r.prediction_applies


def test_mean_field_accuracy_is_what_the_docstring_says():
    """The docstring's table (sine preset, T = 100, seeds 0-9), recomputed for H = 16 and 64."""
    radii = (0.5, 0.8, 1.0, 1.2, 1.5, 2.0, 3.0, 4.0)
    stated = {16: ((3, 16), (17, 98)), 64: ((1, 6), (8, 19))}  # (median, largest) % for ρ <= 1, ρ > 1
    x = make_sequence("sine", 100)
    for H, (low, high) in stated.items():
        sweeps = [edge_sweep(x, H, seed, radii=radii) for seed in range(10)]
        rule = np.array([sw.predicted for sw in sweeps])  # (10 seeds, 8 radii)
        measured = np.array([10**sw.log10_measured for sw in sweeps])
        off = np.abs(rule / measured - 1) * 100
        for cols, (median, largest) in ((slice(0, 3), low), (slice(3, None), high)):
            assert np.median(off[:, cols]) == pytest.approx(median, abs=1.0)
            assert off[:, cols].max() == pytest.approx(largest, abs=1.0)


def test_chaotic_runs_are_flagged_and_calm_ones_are_not():
    calm = compare_gradients(sine(100), hidden_size=16, spectral_radius_target=1.0)
    assert calm.rnn_reproducible and abs(calm.log10_ratio_perturbed - calm.rnn.log10_ratio) < 1e-6
    hot = compare_gradients(sine(500), hidden_size=16, spectral_radius_target=4.0)
    assert not hot.rnn_reproducible  # a change of 1e-14 in W_hh moves the gradient at t = 0
    rnn = build_models(1, 16, 0, 4.0, 3.0)[0]
    rnn.params["weight_hh_l0"] = rnn.params["weight_hh_l0"] * (1 + PERTURBATION)
    again = compare_gradients(sine(500), rnn=rnn)
    assert again.rnn.log10_ratio == hot.log10_ratio_perturbed


def test_edges_are_read_from_the_sweep():
    radii = np.array([1.0, 1.5, 2.0, 2.5, 3.0, 3.5])
    sweep = EdgeSweep(
        radii, np.array([-1, -0.5, 0.1, -0.1, 0.2, 0.3]), np.array([0.8, 0.9, 1.1, 1.2, 1.3, 1.4]), 1.6
    )
    assert sweep.measured_edges() == (1.5, 3.0)  # shrinks up to 1.5, grows for good from 3.0
    assert sweep.predicted_edges() == (1.5, 2.0)
    never = EdgeSweep(radii, -np.ones(6), np.full(6, 0.5), 1.6)
    assert never.measured_edges() == (3.5, None) and never.predicted_edges() == (3.5, None)
    always = EdgeSweep(radii, np.ones(6), np.full(6, 2.0), 1.6)
    assert always.measured_edges() == (None, 1.0)


def test_edge_sweep_runs_the_pages_rnn():
    x = sine(100)
    sweep = edge_sweep(x, 16, 0)
    below, above = sweep.measured_edges()
    assert below is not None and above is not None and 1.0 < below < above  # with tanh: above ρ = 1
    for rho in (below, above, 1.0):
        n = int(np.argmin(np.abs(sweep.radii - rho)))
        r = compare_gradients(x, 16, 0, rho, 3.0)
        assert sweep.log10_measured[n] == r.rnn.log10_step_factor  # the same W_hh, rescaled the same way
        assert sweep.predicted[n] == pytest.approx(r.predicted_step_factor, rel=1e-9)
    assert sweep.singular_over_radius == pytest.approx(r.largest_singular_value / r.spectral_radius)


def test_no_warnings_at_T500_exploding_and_vanishing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            hot = compare_gradients(sine(500), hidden_size=32, spectral_radius_target=4.0, forget_bias=-2.0)
            cold = compare_gradients(sine(500), hidden_size=32, spectral_radius_target=0.1, forget_bias=-3.0)
            long = compare_gradients(np.zeros(3000), hidden_size=8, spectral_radius_target=0.2)
    assert hot.rnn.log10_ratio > 30  # beyond 1e30, still finite in log10
    assert cold.rnn.log10_ratio < -320  # below float64's smallest number, still known
    assert long.rnn.log10_ratio < -1000
    for r in (hot, cold, long):
        for arr in (r.rnn.log10_dh, r.lstm.log10_dh, r.lstm.log10_dc, r.log10_predicted):
            assert np.all(np.isfinite(arr))
        values, clipped = for_log_axis(r.rnn.log10_dh)
        assert np.all(np.isfinite(values)) and np.all(values > 0)
    assert for_log_axis(cold.rnn.log10_dh)[1][0]  # drawn at the floor, and flagged


def test_zero_weights_give_an_exact_zero_reported_as_such():
    r = compare_gradients(sine(10), hidden_size=4, spectral_radius_target=0.0)
    assert r.rnn.log10_dh[-2] == -math.inf  # W_hh = 0: nothing flows back
    values, clipped = for_log_axis(r.rnn.log10_dh)
    assert clipped[:-1].all() and not clipped[-1] and values[0] == 1e-300
    assert format_log10(r.rnn.log10_ratio) == "0"
    assert r.rnn_reproducible  # 0 and 0


def test_trained_models_are_used_as_given():
    lstm = LSTM(2, 6, seed=9, forget_bias=1.5)
    x = np.random.default_rng(0).standard_normal((20, 2))
    r = compare_gradients(x, hidden_size=99, lstm=lstm)
    assert r.hidden_size == 6 and r.trained == ("lstm",) and r.forget_bias is None
    assert r.lstm_log10_ratio_zero_bias is None and r.prediction_applies
    dh, _, _ = reference(lstm, x, loss_weights(6, 0))
    np.testing.assert_allclose(10**r.lstm.log10_dh, np.linalg.norm(dh, axis=-1), rtol=1e-9)
    rnn = RNN(2, 6, seed=4)
    r = compare_gradients(x, rnn=rnn, spectral_radius_target=3.0)
    assert r.spectral_radius == pytest.approx(spectral_radius(rnn.params["weight_hh_l0"]))
    assert r.trained == ("rnn",) and not r.prediction_applies  # mean-field needs a random W_hh
    both = compare_gradients(x, rnn=rnn, lstm=lstm)  # trained on both sides
    assert both.trained == ("rnn", "lstm") and both.forget_bias is None
    np.testing.assert_allclose(both.rnn.log10_dh, r.rnn.log10_dh)
    dh, _, _ = reference(lstm, x, loss_weights(6, 0))
    np.testing.assert_allclose(10**both.lstm.log10_dh, np.linalg.norm(dh, axis=-1), rtol=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"x": np.zeros((3, 2, 1))}, "must be (T,) or (T, I)"),
        ({"x": [1.0, float("nan")]}, "NaN or infinite"),
        ({"x": np.zeros(0)}, "sequence length"),
        ({"x": ["a", "b"]}, "must hold numbers"),
        ({"x": np.zeros(5), "hidden_size": 0}, "hidden size"),
        ({"x": np.zeros(5), "hidden_size": 2.5}, "hidden size must be an integer"),
        ({"x": np.zeros(5), "spectral_radius_target": -1}, "spectral radius"),
        ({"x": np.zeros(5), "forget_bias": float("inf")}, "forget-gate bias"),
        ({"x": np.zeros(5), "lstm": RNN(1, 3)}, "must be an LSTM"),
        ({"x": np.zeros(5), "rnn": LSTM(1, 3)}, "must be a tanh RNN"),
        ({"x": np.zeros((5, 2)), "lstm": LSTM(1, 3)}, "reads 1 input feature"),
        ({"x": np.zeros(5), "lstm": LSTM(1, 3, num_layers=2)}, "one-layer"),
        ({"x": np.zeros(5), "lstm": LSTM(1, 3), "rnn": RNN(1, 4)}, "the same hidden size"),
    ],
)
def test_bad_values_are_named(kwargs, message):
    with pytest.raises(ValueError) as e:
        compare_gradients(**kwargs)
    assert message in str(e.value)


# ------------------------------------------------------------------------------------------ trained pairs


def saved(model, task="adding", **options):
    """A SavedModel-like record, as the Train page stores it."""
    t = get_task(task, **options)
    return SimpleNamespace(rnn=model, meta={"task": task, "task_options": t.options()}, task=lambda: t)


def test_shipped_pair_loads_and_its_lstm_lights_up_at_the_marks():
    pair = load_shipped_pair()
    assert pair.trained == ("rnn", "lstm") and pair.task_name == "adding"
    assert set(SHIPPED_FILES) == {"lstm", "rnn"}
    losses = pair.losses()
    assert losses["lstm"] < 0.01 < losses["baseline"] < losses["rnn"]  # the LSTM solved it, the RNN did not
    for seed in range(3):
        ex = task_example(pair.lstm, seed)
        assert len(ex.marked) == 2 and ex.x.shape == (100, 2)
        assert list(ex.marked) == list(np.nonzero(ex.x[:, 1])[0])
        r = compare_gradients(ex.x, seed=seed, lstm=pair.lstm.rnn, rnn=pair.rnn.rnn)
        assert set(r.lstm.top_input_steps(2)) == set(ex.marked)  # the heatmap's brightest steps
        assert not set(r.rnn.top_input_steps(2)) & set(ex.marked)
        first = min(ex.marked)
        assert r.lstm.log10_dh[first] > r.rnn.log10_dh[first] + 10


def test_shipped_rnn_is_made_as_the_readme_says():
    pair = load_shipped_pair()
    lstm, rnn = (pair.lstm.meta["training"], pair.rnn.meta["training"])
    assert {**lstm["config"], "arch": "rnn"} == rnn["config"]  # the LSTM's command with --arch rnn
    readme = (SHIPPED_DIR / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `adding_rnn.npz`"))
    assert "--arch rnn --seed 0 --out assets/models/adding_rnn.npz" in row
    assert f"validation MSE {rnn['val_loss']:.3f} against the baseline {rnn['baseline_loss']:.3f}" in row
    assert rnn["val_loss"] > rnn["baseline_loss"] and "worse than always predicting 1.0" in row
    assert f"{rnn['seconds']:.0f} s" in row


def test_session_pair_prefers_the_current_model_with_the_runs_other():
    lstm, rnn = saved(LSTM(2, 5, seed=1)), saved(RNN(2, 5, seed=2))
    assert session_pair(None, {}) is None
    assert session_pair(None, {"lstm": lstm}) is None  # one side only
    pair = session_pair(None, {"lstm": lstm, "rnn": rnn})
    assert pair.source == "session" and pair.lstm is lstm and pair.rnn is rnn
    mine = saved(LSTM(2, 5, seed=7))
    pair = session_pair(mine, {"lstm": lstm, "rnn": rnn})
    assert pair.lstm is mine and pair.rnn is rnn
    assert pair.fingerprint() == session_pair(mine, {"lstm": lstm, "rnn": rnn}).fingerprint()
    assert pair.fingerprint() != session_pair(None, {"lstm": lstm, "rnn": rnn}).fingerprint()
    other_task = saved(RNN(2, 5), "adding", length=30)
    assert session_pair(mine, {"rnn": other_task}) is None  # not the same task options
    assert session_pair(saved(LSTM(2, 6)), {"rnn": rnn}) is None  # not the same size


def test_unusable_models_are_named():
    assert unusable(saved(LSTM(2, 3))) == ""
    assert "GRU" in unusable(SimpleNamespace(rnn=SimpleNamespace(arch="gru")))
    assert "2 layer(s)" in unusable(saved(LSTM(2, 3, num_layers=2)))
    with pytest.raises(ValueError, match="names no task"):
        task_example(SimpleNamespace(rnn=LSTM(2, 3), meta={}), 0)


# ------------------------------------------------------------------------------------------ number words


def test_format_log10_reads_like_a_textbook():
    assert format_log10(math.log10(3.2e-14)) == "3.2 × 10⁻¹⁴"
    assert format_log10(-412.5) == "3.2 × 10⁻⁴¹³"  # far below float64, still exact
    assert format_log10(math.log10(0.41)) == "0.41" and format_log10(math.log10(0.0042)) == "0.0042"
    assert format_log10(0.0) == "1.0" and format_log10(math.log10(0.5)) == "0.50"  # two digits, also 0s
    assert format_log10(2.0) == "100" and format_log10(math.log10(7512.3)) == "7,500"
    assert format_log10(math.log10(2.4e5)) == "240,000" and format_log10(math.log10(9.97)) == "10"
    assert format_log10(math.log10(1.4e6)) == "1.4 × 10⁶"  # a million and up: a power of 10
    assert format_log10(400.0) == "1.0 × 10⁴⁰⁰"
    assert format_log10(math.log10(9.999e-8)) == "1.0 × 10⁻⁷"
    assert format_log10(-math.inf) == "0" and format_log10(math.inf) == "∞"
    assert format_log10(math.nan) == "undefined"
    assert power_of_ten(-37) == "10⁻³⁷" and power_of_ten(300) == "10³⁰⁰"
    assert steps_text(1) == "1 step" and steps_text(2) == "2 steps"


def test_regime_edges_are_a_factor_of_100():
    assert regime(-2.01) == "vanishing" and regime(-math.inf) == "vanishing"
    assert regime(-2.0) == regime(0.0) == regime(2.0) == "neither"
    assert regime(2.01) == "exploding"


@pytest.mark.parametrize(
    "model",
    [
        GRU(2, 5, seed=3),
        LSTM(2, 4, num_layers=2, bidirectional=True, seed=4),
        RNN(2, 3, num_layers=2, seed=1),
    ],
    ids=["gru", "lstm-2layer-bi", "rnn-2layer"],
)
def test_path_gradients_work_for_any_model(model):
    """One loop for every architecture, layer and direction: the norms are those of the plain backward
    pass (over every layer and direction's state at step t), dL/dx is backward's, and a GRU is not an RNN."""
    x = np.random.default_rng(2).standard_normal((30, 2))
    out, _, trace = model.forward(x)
    u = loss_weights(out.shape[-1], 0)
    got = path_gradients(model, trace, u)
    d_out = np.zeros_like(out)
    d_out[-1] = u
    plain = model.backward(trace, d_out)
    states = [lg for layer in plain.layers for lg in layer]
    dh = np.sqrt(sum(np.linalg.norm(lg.dh[:, 0], axis=-1) ** 2 for lg in states))
    np.testing.assert_allclose(10**got.log10_dh, dh, rtol=1e-9)
    np.testing.assert_allclose(got.dx(), plain.input, rtol=1e-9, atol=1e-300)
    assert got.arch == model.arch
    if model.arch == "lstm":
        dc = np.sqrt(sum(np.linalg.norm(lg.dc[:, 0], axis=-1) ** 2 for lg in states))
        np.testing.assert_allclose(10**got.log10_dc, dc, rtol=1e-9)
    else:
        assert got.log10_dc is None
    with pytest.raises(ValueError, match="unbatched"):
        path_gradients(model, model.forward(x[:, None])[2], u)


# ---------------------------------------------------------------------------------------- the page's settings


def test_settings_check_a_links_values_as_their_controls_would():
    rho, H, seed = SETTINGS["rho"], SETTINGS["H"], SETTINGS["seed"]
    assert rho.parse("0.5") == 0.5 and rho.parse("0.53") == 0.53  # the slider takes any value in range
    assert H.parse("8") == 8 and isinstance(H.parse("8.0"), int) and seed.parse("0") == 0
    assert H.high == COMPARISON_MAX_HIDDEN and H.whole and not rho.whole
    assert rho.link_warning("2") is None
    assert rho.link_warning("banana") == "link parameter rho ignored ('banana' is not a number); using 1.0"
    assert rho.link_warning("5") == "link parameter rho ignored (must be from 0.0 to 4.0, got 5); using 1.0"
    assert rho.link_warning("nan") is not None and rho.link_warning("inf") is not None
    assert H.link_warning("2.5") == "link parameter H ignored (must be a whole number, got 2.5); using 16"
    assert (
        seed.link_warning("-3")
        == f"link parameter seed ignored (must be from 0 to {2**31 - 1}, got -3); using 0"
    )
    assert [s.name for s in SETTINGS.values()] == list(SETTINGS)


def test_a_choice_of_models_resolves_to_a_pair_and_its_input():
    shipped = load_shipped_pair()
    assert resolve("", None, None, load_shipped_pair, 0) == Resolved(Pair(""))
    got = resolve("shipped", None, None, lambda: shipped, 3)
    assert got.pair is shipped and got.note == ""
    np.testing.assert_array_equal(got.example.x, task_example(shipped.lstm, 3).x)  # validation seed 3
    mine = saved(LSTM(1, 4, seed=1), "sine")
    own = resolve("current", mine, None, load_shipped_pair, 0)
    assert (
        own.pair.lstm is mine and own.pair.source == "current" and own.example is None
    )  # the widget's input
    wide = SimpleNamespace(rnn=LSTM(3, 4), meta={})  # three inputs and no task to draw one from
    fallback = resolve("current", wide, None, load_shipped_pair, 0)
    assert fallback.pair == Pair("") and fallback.note.startswith("This model reads 3 features per step")
    assert resolve("session", None, None, load_shipped_pair, 0) == Resolved(
        Pair("")
    )  # no Train run: untrained
    session = session_pair(None, {"lstm": saved(LSTM(2, 5, seed=1)), "rnn": saved(RNN(2, 5, seed=2))})
    assert resolve("session", None, session, load_shipped_pair, 0).pair is session
    assert session.task_title == "adding task" and Pair("").task_title == ""
    assert session.side_key("lstm") != session.side_key("rnn") and Pair("").side_key("lstm") == ""


def test_a_compare_link_the_session_cannot_offer_is_named():
    options = choices(None, None)
    assert compare_link_warning("shipped", options) is None
    assert compare_link_warning("session", options) == (
        "link parameter compare=session ignored: this session has no Train run with a trained LSTM and RNN; "
        "comparing untrained models"
    )
    assert compare_link_warning("banana", options) == (
        "link parameter compare='banana' ignored: it must be one of current, session, shipped"
    )


# ------------------------------------------------------------------------------------- f clamped to 1


@pytest.mark.parametrize("fb", [3.0, -4.0])
def test_forget_clamp_product_is_one_and_dc_is_the_clamped_backward(fb):
    x = np.random.default_rng(2).standard_normal((40, 2))
    c = forget_clamp(x, 6, 5)
    assert np.all(c.log10_forget_product == 0.0)  # Π f exactly 1 at every t, read from the clamped run
    lstm = LSTM(2, 6, seed=5, forget_bias=fb)  # the bias enters only f, which the clamp replaces
    u = loss_weights(6, 5)
    trace = lstm.forward(x, clamps=[FORGET_CLAMP])[2]
    assert np.all(trace.layers[0][0].f == 1.0)
    _, dc, _ = reference(lstm, x, u, clamps=[FORGET_CLAMP])
    np.testing.assert_allclose(10**c.log10_dc, np.linalg.norm(dc, axis=-1), rtol=1e-9)
    # the loss enters c_{T-1} only through h_{T-1} = o ⊙ tanh(c_{T-1})
    lt = trace.layers[0][0]
    o, c_last = lt.o[-1, 0], lt.c[-1, 0]
    np.testing.assert_allclose(dc[-1], u * o * (1 - np.tanh(c_last) ** 2), rtol=1e-12)
    assert c.tanh_slope_last == pytest.approx(float(np.mean(1 - np.tanh(c_last) ** 2)), rel=1e-12)
    assert c.mean_abs_c_last == pytest.approx(float(np.mean(np.abs(c_last))), rel=1e-12)
    # without the clamp the same LSTM's dL/dc differs: the clamp is applied, not ignored
    _, dc_free, _ = reference(lstm, x, u)
    assert not np.allclose(dc_free, dc)


def test_forget_clamp_backward_matches_finite_differences():
    """The clamped LSTM's dL/dx from the backward pass against central differences, float64."""
    x = np.random.default_rng(3).standard_normal((12, 2))
    lstm, u = LSTM(2, 4, seed=1), loss_weights(4, 1)
    _, _, dx = reference(lstm, x, u, clamps=[FORGET_CLAMP])

    def loss(xx):
        return float(u @ lstm.forward(xx, clamps=[FORGET_CLAMP])[0][-1])

    eps = 1e-6
    for t, i in [(0, 0), (5, 1), (11, 0)]:
        up, down = x.copy(), x.copy()
        up[t, i] += eps
        down[t, i] -= eps
        assert dx[t, i] == pytest.approx((loss(up) - loss(down)) / (2 * eps), rel=1e-6, abs=1e-10)
