"""The one BPTT loop (lstm_vault.bptt): log-safe mode gives the plain gradients times their powers of ten,
for every architecture, layer and direction, and stays exact where plain float64 overflows or underflows."""

import numpy as np
import pytest

from lstm_vault import GRU, LSTM, RNN
from lstm_vault.bptt import add_scaled

ARCHS = (LSTM, GRU, RNN)


def _config_cases():
    return [
        dict(num_layers=1, bidirectional=False, batch_first=False),
        dict(num_layers=2, bidirectional=True, batch_first=False),
        dict(num_layers=3, bidirectional=False, batch_first=True),
    ]


@pytest.mark.parametrize("config", _config_cases(), ids=["1layer", "2layer-bi", "3layer-batchfirst"])
@pytest.mark.parametrize("cls", ARCHS, ids=lambda c: c.__name__)
def test_log_safe_equals_plain_times_its_scales(cls, config):
    rng = np.random.default_rng(7)
    model = cls(3, 4, seed=8, **config)
    B, T = 2, 11
    x = rng.standard_normal((B, T, 3) if config["batch_first"] else (T, B, 3))
    out, state, trace = model.forward(x)
    dy = rng.standard_normal(out.shape)
    d_state = (
        tuple(rng.standard_normal(s.shape) for s in state)
        if isinstance(state, tuple)
        else rng.standard_normal(state.shape)
    )
    plain = model.backward(trace, dy, d_state)
    safe = model.backward(trace, dy, d_state, log_safe=True)
    assert plain.input_log10_scale is None and plain.layers[0][0].log10_scale is not None
    np.testing.assert_allclose(safe.input * 10.0**safe.input_log10_scale, plain.input, rtol=1e-10, atol=1e-13)
    for name, g in plain.params.items():
        got = safe.params[name] * 10.0 ** safe.params_log10_scale[name]
        np.testing.assert_allclose(got, g, rtol=1e-10, atol=1e-13, err_msg=name)
    rows = safe.state_log10_scale
    for got, want in zip(
        safe.state if isinstance(safe.state, tuple) else (safe.state,),
        plain.state if isinstance(plain.state, tuple) else (plain.state,),
    ):
        np.testing.assert_allclose(got * 10.0 ** rows[:, None, None], want, rtol=1e-10, atol=1e-13)
    for layer in range(model.num_layers):
        for d in range(model.num_directions):
            p, s = plain.layers[layer][d], safe.layers[layer][d]
            scale = 10.0 ** s.log10_scale[:, None, None]
            np.testing.assert_allclose(s.dh * scale, p.dh, rtol=1e-10, atol=1e-13)
            np.testing.assert_allclose(s.da * scale, p.da, rtol=1e-10, atol=1e-13)
            if p.dc is not None:
                np.testing.assert_allclose(s.dc * scale, p.dc, rtol=1e-10, atol=1e-13)
            np.testing.assert_allclose(s.log10_norm("dh"), p.log10_norm("dh"), atol=1e-10)


def _scaled_rnn(T: int, H: int, radius: float):
    model = RNN(1, H, seed=3)
    W = model.params["weight_hh_l0"]
    model.params["weight_hh_l0"] = W * (radius / np.max(np.abs(np.linalg.eigvals(W))))
    x = np.random.default_rng(4).standard_normal((T, 1))
    return model, x


def test_log_safe_is_exact_past_float64s_range():
    """An exploding RNN: plain float64 overflows to inf; the log-safe norms follow it far past 1e308, and
    match the plain pass step for step wherever float64 can still hold the gradient."""
    model, x = _scaled_rnn(2000, 32, 8.0)
    out, _, trace = model.forward(x)
    dy = np.zeros_like(out)
    dy[-1] = 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        plain = model.backward(trace, dy).layers[0][0].log10_norm("dh")
    safe = model.backward(trace, dy, log_safe=True).layers[0][0].log10_norm("dh")
    assert np.all(np.isfinite(safe))
    held = np.isfinite(plain) & (plain < 300)
    assert held.sum() > 10 and not held.all()  # the plain pass does overflow somewhere
    np.testing.assert_allclose(safe[held], plain[held], atol=1e-9)
    assert safe.max() > 308  # the true gradient is beyond float64 there


def test_log_safe_follows_a_vanishing_lstm_below_float64s_smallest_number():
    model = LSTM(1, 4, seed=0, forget_bias=-6.0)  # f ≈ 0.0025: the cell path vanishes fast
    x = np.random.default_rng(1).standard_normal((600, 1))
    out, _, trace = model.forward(x)
    dy = np.zeros_like(out)
    dy[-1] = 1.0
    safe = model.backward(trace, dy, log_safe=True).layers[0][0]
    logs = safe.log10_norm("dc")
    assert np.all(np.isfinite(logs)) and logs.min() < -330
    # each step back shrinks it: the carried gradient is renormalised, not lost
    assert np.all(np.diff(logs[:-1]) > 0)
    with np.errstate(under="ignore"):
        plain = model.backward(trace, dy).layers[0][0].log10_norm("dc")
    held = plain > -290
    assert 10 < held.sum() < len(held)
    np.testing.assert_allclose(logs[held], plain[held], atol=1e-9)


def test_a_saturated_rnn_vanishes_past_float64_in_log_safe_mode():
    model, x = _scaled_rnn(900, 8, 20.0)
    out, _, trace = model.forward(x)
    dy = np.zeros_like(out)
    dy[-1] = 1.0
    logs = model.backward(trace, dy, log_safe=True).layers[0][0].log10_norm("dh")
    assert np.all(np.isfinite(logs)) and logs[0] < -400
    with np.errstate(under="ignore"):
        plain = model.backward(trace, dy).layers[0][0].log10_norm("dh")
    assert plain[0] == -np.inf  # float64 lost it


def test_add_scaled_keeps_the_larger_scale_and_ignores_exact_zeros():
    a, b = np.array([1.0, 2.0]), np.array([3.0, 0.0])
    m, s = add_scaled(a, 400.0, b, 399.0)
    assert s == 400.0
    np.testing.assert_allclose(m, [1.3, 2.0])
    m, s = add_scaled(np.zeros(2), 0.0, b, -500.0)  # a zero at scale 0 must not drown b
    assert s == -500.0
    np.testing.assert_array_equal(m, b)


@pytest.mark.parametrize("cls", ARCHS, ids=lambda c: c.__name__)
def test_log_safe_with_ablations_and_clamps_equals_plain(cls):
    """Held units and clamped gates cut the gradient the same way in both modes of the one loop."""
    from lstm_vault import GateClamp, UnitAblation

    model = cls(2, 4, num_layers=2, bidirectional=True, seed=3)
    x = np.random.default_rng(5).standard_normal((9, 2, 2))
    recs = [UnitAblation((0, 3), start=2, stop=6), UnitAblation(None, start=7, layer=1, direction=1)]
    if cls is not RNN:
        recs.append(GateClamp(model.gates[0], 0.5, start=1, stop=5))
    out, _, trace = model.forward(x, clamps=recs)
    dy = np.random.default_rng(6).standard_normal(out.shape)
    plain = model.backward(trace, dy)
    safe = model.backward(trace, dy, log_safe=True)
    np.testing.assert_allclose(safe.input * 10.0**safe.input_log10_scale, plain.input, rtol=1e-10, atol=1e-13)
    for name, g in plain.params.items():
        got = safe.params[name] * 10.0 ** safe.params_log10_scale[name]
        np.testing.assert_allclose(got, g, rtol=1e-10, atol=1e-13, err_msg=name)
    held = plain.layers[1][1].dh[7:]
    assert np.all(held == 0.0) and np.all(safe.layers[1][1].dh[7:] == 0.0)
    np.testing.assert_allclose(safe[1, 1].log10_norm("dh")[:7], plain[1, 1].log10_norm("dh")[:7], atol=1e-10)
