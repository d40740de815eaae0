"""compare_gradients equals backward's dh, dc, dx; vanishes/explodes as predicted; readings follow regimes."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from lstm_vault import LSTM, RNN
from lstm_vault.explain import fmt_gate, fmt_half_life, half_life
from lstm_vault.gradient_readings import lstm_readings, regime, rnn_readings
from lstm_vault.vanishing import (
    VanishingResult,
    build_models,
    compare_gradients,
    for_log_axis,
    format_log10,
    loss_weights,
    power_of_ten,
    spectral_radius,
    steps_text,
)


def sine(T: int) -> np.ndarray:
    return np.sin(2 * np.pi * np.arange(T) / 25)


def reference(model, x, u):
    """model.backward for L = u · h_{T-1}: (dh (T, H), dc (T, H) or None, dx (T, I))."""
    out, _, trace = model.forward(x)
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
    # the rough prediction ρ · rms tanh' gets the direction right in both regimes
    assert small.predicted_step_factor < 1 < big.predicted_step_factor


def test_lstm_with_forget_bias_keeps_a_far_larger_gradient():
    r = compare_gradients(sine(200), hidden_size=16, spectral_radius_target=1.0, forget_bias=3.0)
    assert r.lstm.log10_ratio > -5
    assert r.log10_lstm_over_rnn > 8  # 1e8 times more gradient reaches t = 0 through the LSTM
    # the forget bias is what does it: at b_f = 0 (f near 0.5) the LSTM loses its gradient faster still
    forgetful = compare_gradients(sine(200), hidden_size=16, spectral_radius_target=1.0, forget_bias=0.0)
    assert forgetful.lstm.log10_ratio < r.lstm.log10_ratio - 20
    assert forgetful.log10_forget_product_mean[0] < r.log10_forget_product_mean[0] - 20


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


def test_predicted_decay_is_the_running_product():
    r = compare_gradients(sine(30), hidden_size=6, spectral_radius_target=0.9)
    steps = np.log10(r.spectral_radius * r.rnn_tanh_slope_rms)
    assert r.log10_predicted[-1] == 0.0
    assert r.log10_predicted[10] == pytest.approx(steps[11:].sum())


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


def test_trained_models_are_used_as_given():
    lstm = LSTM(2, 6, seed=9, forget_bias=1.5)
    x = np.random.default_rng(0).standard_normal((20, 2))
    r = compare_gradients(x, hidden_size=99, lstm=lstm)
    assert r.hidden_size == 6 and r.trained == "lstm" and r.forget_bias is None
    dh, _, _ = reference(lstm, x, loss_weights(6, 0))
    np.testing.assert_allclose(10**r.lstm.log10_dh, np.linalg.norm(dh, axis=-1), rtol=1e-9)
    rnn = RNN(2, 6, seed=4)
    r = compare_gradients(x, rnn=rnn, spectral_radius_target=3.0)
    assert r.spectral_radius == pytest.approx(spectral_radius(rnn.params["weight_hh_l0"]))
    assert r.trained == "rnn"


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
        ({"x": np.zeros((5, 2)), "lstm": LSTM(1, 3)}, "reads 1 input feature"),
        ({"x": np.zeros(5), "lstm": LSTM(1, 3, num_layers=2)}, "one-layer"),
    ],
)
def test_bad_values_are_named(kwargs, message):
    with pytest.raises(ValueError) as e:
        compare_gradients(**kwargs)
    assert message in str(e.value)


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


def readings_of(**kwargs) -> tuple[VanishingResult, str, str]:
    r = compare_gradients(sine(100), hidden_size=16, **kwargs)
    return r, "\n".join(rnn_readings(r)), "\n".join(lstm_readings(r))


def test_readings_follow_the_vanishing_regime():
    r, rnn, lstm = readings_of(spectral_radius_target=1.2)
    assert regime(r.rnn.log10_ratio) == "vanishing" and r.spectral_radius > 1
    assert "has **vanished**" in rnn and "tanh′ < 1 makes it shrink faster than $\\rho$ alone" in rnn
    assert "would even let it grow" in rnn  # ρ > 1 alone would not shrink it at all
    assert "explosion" not in rnn and "damps the growth" not in rnn
    assert "blew up" not in lstm
    r, rnn, _ = readings_of(spectral_radius_target=0.5)
    assert "$\\rho$ alone would leave $\\rho^{99}$" in rnn and "even let it grow" not in rnn


def test_readings_follow_the_exploding_regime():
    r, rnn, lstm = readings_of(spectral_radius_target=4.0)
    assert regime(r.rnn.log10_ratio) == "exploding"
    assert "has **exploded**" in rnn and "diverges unless the gradient is clipped" in rnn
    assert "tanh′ < 1 damps the growth, the explosion is slower than $\\rho$ alone" in rnn
    assert "shrink faster" not in rnn
    assert "more is not better here" in lstm and "The LSTM's stays bounded: never more than 1.0" in lstm
    assert "Raise the forget-gate bias" not in lstm and "*less*" not in lstm


def test_readings_follow_the_neither_regime():
    r, rnn, lstm = readings_of(spectral_radius_target=1.5)
    assert regime(r.rnn.log10_ratio) == "neither"
    assert "neither vanished nor exploded" in rnn and "close to 1, the edge between the two" in rnn
    assert "pulls the factor per step down to" in rnn
    assert "explosion" not in rnn and "shrink faster" not in rnn
    r = compare_gradients(sine(10), spectral_radius_target=1.0)  # short: on the way to vanishing
    rnn = "\n".join(rnn_readings(r))
    assert "neither vanished nor exploded yet" in rnn and "Make the sequence longer to see it vanish." in rnn
    assert "would make it grow" not in rnn  # ρ = 1.00 (1 + 1e-16 after rescaling) does not grow


def test_forget_bias_advice_only_where_there_is_a_bias_to_raise():
    _, _, fresh = readings_of(forget_bias=-2.0)
    assert "Raise the forget-gate bias to push f towards 1." in fresh
    trained = compare_gradients(sine(100), lstm=LSTM(1, 16, seed=0, forget_bias=-2.0))
    text = "\n".join(lstm_readings(trained))
    assert "*less* of the gradient reaches t = 0 through this LSTM" in text
    assert "Raise the forget-gate bias" not in text and "switch the trained model off" in text
    assert "the trained model's own biases" in text


def test_half_life_sentence_uses_the_shared_wording():
    r, _, lstm = readings_of(forget_bias=6.0)
    f = float(r.forget_mean[1:].mean())
    assert f"A gate held at {fmt_gate(f)} halves the gradient {fmt_half_life(half_life(f))}." in lstm
    assert "A gate held at 0.9975 halves the gradient in about 273 steps." in lstm  # not "at 1.00"
    assert "$\\sigma(6)$ = 0.9975" in lstm


def test_readings_of_a_zero_gradient_and_of_one_step():
    r = compare_gradients(sine(10), hidden_size=4, spectral_radius_target=0.0)
    rnn = "\n".join(rnn_readings(r))
    assert "none of it is left (exactly 0)" in rnn and "shrink faster" not in rnn
    r = compare_gradients(sine(2), spectral_radius_target=0.5)
    rnn, lstm = "\n".join(rnn_readings(r)), "\n".join(lstm_readings(r))
    assert "Over the 1 step back to t = 0" in rnn and "Over this 1 step" in rnn and "per step)" not in rnn
    assert "over the 1 step back" in lstm
    assert "1 steps" not in rnn + lstm
