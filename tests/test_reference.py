"""The NumPy reference is exactly right: finite differences, per-step gradients, stepping, gate order."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from torch_ref import max_rel

from lstm_vault import GRU, LSTM, RNN, GateClamp, cells, gradcheck

ARCHS = [LSTM, RNN, GRU]


@pytest.mark.parametrize("cls", ARCHS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "cfg",
    [
        dict(num_layers=1, bidirectional=False, batch_first=False, shape=(6, 2, 3)),
        dict(num_layers=2, bidirectional=True, batch_first=False, shape=(5, 2, 3)),
        dict(num_layers=2, bidirectional=False, batch_first=True, shape=(2, 5, 3)),
        dict(num_layers=1, bidirectional=True, batch_first=False, shape=(4, 3)),  # unbatched
    ],
    ids=["plain", "stacked-bi", "batch-first", "unbatched"],
)
def test_backward_matches_finite_differences(cls, cfg):
    cfg = dict(cfg)
    shape = cfg.pop("shape")
    model = cls(3, 4, seed=5, **cfg)
    x = np.random.default_rng(6).standard_normal(shape)
    report = gradcheck(model, x, seed=1)
    assert set(report.errors) >= set(model.params) | {"input", "h0"}
    assert report.max_error < 1e-6, str(report)


@pytest.mark.parametrize("cls,gate", [(LSTM, "f"), (LSTM, "i"), (GRU, "z"), (GRU, "n")])
def test_backward_with_gate_clamps_matches_finite_differences(cls, gate):
    model = cls(2, 3, seed=2)
    x = np.random.default_rng(3).standard_normal((8, 2, 2))
    clamps = [GateClamp(gate, 0.9, start=2, stop=6, units=(0, 2))]
    report = gradcheck(model, x, clamps=clamps, seed=4)
    assert report.max_error < 1e-6, str(report)


def _manual_torch_steps(model, x, r_y):
    """Run the model in torch one cell at a time, keeping every h_t (and c_t) to read its .grad."""
    cell_cls = {"lstm": torch.nn.LSTMCell, "rnn": torch.nn.RNNCell, "gru": torch.nn.GRUCell}[model.arch]
    T, B, _ = x.shape
    H, D = model.hidden_size, model.num_directions
    inp = torch.from_numpy(x)
    kept = []
    for layer in range(model.num_layers):
        dirs = []
        for d in range(D):
            cell = cell_cls(inp.shape[-1], H).double()
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            with torch.no_grad():
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    getattr(cell, name).copy_(torch.from_numpy(model.params[name + sfx]))
            h = torch.zeros(B, H, dtype=torch.float64)
            c = torch.zeros(B, H, dtype=torch.float64)
            hs, cs = [None] * T, [None] * T
            for t in range(T - 1, -1, -1) if d else range(T):
                if model.arch == "lstm":
                    h, c = cell(inp[t], (h, c))
                    c.retain_grad()
                    cs[t] = c
                else:
                    h = cell(inp[t], h)
                h.retain_grad()
                hs[t] = h
            dirs.append((hs, cs))
        kept.append(dirs)
        inp = torch.cat([torch.stack(hs) for hs, _ in dirs], dim=-1)
    (inp * torch.from_numpy(r_y)).sum().backward()
    return kept


@pytest.mark.parametrize("cls", ARCHS, ids=lambda c: c.__name__)
def test_per_step_state_gradients_are_the_true_gradients(cls):
    """grads.layers[l][d].dh[t] is dL/dh_t through every path (output, layer above, later steps)."""
    model = cls(2, 3, num_layers=2, bidirectional=True, seed=9)
    x = np.random.default_rng(10).standard_normal((7, 2, 2))
    y, _, trace = model.forward(x)
    r_y = np.random.default_rng(11).standard_normal(y.shape)
    grads = model.backward(trace, r_y)
    kept = _manual_torch_steps(model, x, r_y)
    for layer in range(2):
        for d in range(2):
            hs, cs = kept[layer][d]
            want_dh = np.stack([h.grad.numpy() for h in hs])
            assert max_rel(grads.layers[layer][d].dh, want_dh) < 1e-10
            if cls is LSTM:
                want_dc = np.stack([c.grad.numpy() for c in cs])
                assert max_rel(grads.layers[layer][d].dc, want_dc) < 1e-10


@pytest.mark.parametrize("batched", [True, False], ids=["batch", "unbatched"])
@pytest.mark.parametrize("cls", ARCHS, ids=lambda c: c.__name__)
def test_stepping_by_hand_equals_the_whole_sequence(cls, batched, monkeypatch):
    """``step`` runs the cell step functions (never ``forward``); looping it reproduces ``forward``."""
    model = cls(3, 5, num_layers=2, seed=12)
    x = np.random.default_rng(13).standard_normal((9, 2, 3) if batched else (9, 3))
    y, s_all, _ = model.forward(x)
    monkeypatch.setattr(model, "forward", lambda *a, **k: pytest.fail("step must not call forward"))
    state, outs = None, []
    for t in range(9):
        out, state = model.step(x[t], state)
        outs.append(out)
    # the sequence loop adds the biases to all T input projections at once: equal to rounding, not bitwise
    np.testing.assert_allclose(np.stack(outs), y, rtol=1e-12, atol=1e-14)
    for a, b in zip(
        state if isinstance(state, tuple) else (state,), s_all if isinstance(s_all, tuple) else (s_all,)
    ):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_step_checks_its_input():
    model = LSTM(3, 4, seed=0)
    with pytest.raises(ValueError, match=r"x_t must be \(B, 3\) or \(3,\)"):
        model.step(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="finite"):
        model.step(np.array([0.0, np.nan, 1.0]))
    with pytest.raises(ValueError, match="bidirectional"):
        LSTM(3, 4, bidirectional=True).step(np.zeros(3))


def test_cell_step_functions_reproduce_the_trace():
    model = LSTM(2, 4, seed=14)
    x = np.random.default_rng(15).standard_normal((6, 3, 2))
    _, _, trace = model.forward(x)
    lt = trace.layers[0][0]
    p = model.params
    h, c = np.zeros((3, 4)), np.zeros((3, 4))
    for t in range(6):
        h, c, (a, act) = cells.lstm_step(
            x[t], h, c, p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"]
        )
        np.testing.assert_allclose(act, lt.act[t], rtol=0, atol=1e-14)
        np.testing.assert_allclose(h, lt.h[t], rtol=0, atol=1e-14)
        np.testing.assert_allclose(c, lt.c[t], rtol=0, atol=1e-14)
    # the named views are the packed blocks in GATES order
    for k, name in enumerate(cells.LSTM_GATES):
        assert np.array_equal(getattr(lt, name), lt.act[..., 4 * 0 + k * 4 : (k + 1) * 4])
        assert np.array_equal(getattr(lt, "a_" + name), lt.a[..., k * 4 : (k + 1) * 4])


def test_gate_order_by_name_only_the_forget_gate_moves():
    """Set only the forget-gate bias in torch (rows H:2H of bias_ih); only trace.f changes at t = 0."""
    torch.manual_seed(0)
    module = torch.nn.LSTM(3, 5).double()
    rng = np.random.default_rng(16)
    x = rng.standard_normal((4, 2, 3))
    state = (rng.standard_normal((1, 2, 5)), rng.standard_normal((1, 2, 5)))
    _, _, before = LSTM.from_torch(module).forward(x, state)
    with torch.no_grad():
        module.bias_ih_l0[5:10] += 2.0
    _, _, after = LSTM.from_torch(module).forward(x, state)
    b, a = before.layers[0][0], after.layers[0][0]
    assert np.all(a.f[0] > b.f[0])  # σ is increasing: a larger forget bias keeps more
    for name in ("i", "g", "o"):
        assert np.array_equal(getattr(a, name)[0], getattr(b, name)[0]), name
    assert not np.allclose(a.c[0], b.c[0])  # and the cell state keeps more of c0


def test_gru_gate_order_by_name_only_the_update_gate_moves():
    torch.manual_seed(1)
    module = torch.nn.GRU(2, 3).double()
    x = np.random.default_rng(17).standard_normal((3, 1, 2))
    _, _, before = GRU.from_torch(module).forward(x)
    with torch.no_grad():
        module.bias_ih_l0[3:6] += 1.5  # r, z, n: rows H:2H are z
    _, _, after = GRU.from_torch(module).forward(x)
    b, a = before.layers[0][0], after.layers[0][0]
    assert np.all(a.z[0] > b.z[0])
    assert np.array_equal(a.r[0], b.r[0]) and np.array_equal(a.n[0], b.n[0])


def test_forget_bias_sets_the_forget_slice_only():
    model = LSTM(2, 3, num_layers=2, bidirectional=True, forget_bias=1.0, seed=0)
    plain = LSTM(2, 3, num_layers=2, bidirectional=True, seed=0)
    for name, p in model.params.items():
        if name.startswith("bias_ih"):
            assert np.all(p[3:6] == 1.0)
        elif name.startswith("bias_hh"):
            assert np.all(p[3:6] == 0.0)
        if name.startswith("bias"):
            assert np.array_equal(np.delete(p, range(3, 6)), np.delete(plain.params[name], range(3, 6)))


def test_init_is_uniform_like_torch_and_seeded():
    a, b, c = LSTM(4, 16, seed=1), LSTM(4, 16, seed=1), LSTM(4, 16, seed=2)
    k = 1 / np.sqrt(16)
    for name, p in a.params.items():
        assert np.all(np.abs(p) <= k) and np.array_equal(p, b.params[name])
        assert not np.array_equal(p, c.params[name])


@pytest.mark.parametrize("cls", ARCHS, ids=lambda c: c.__name__)
def test_huge_pre_activations_are_stable(cls):
    model = cls(1, 3, seed=0)
    x = np.array([[1e4], [-1e4], [1e4], [0.0]])[:, None, :] * 1e4
    with np.errstate(all="raise"):  # any overflow warning would raise here
        y, _, trace = model.forward(x)
        grads = model.backward(trace, np.ones_like(y))
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(grads.input))
    assert np.all(np.isfinite(trace.layers[0][0].a)) and np.max(np.abs(trace.layers[0][0].a)) > 1e4


def test_clamp_forces_the_gate_and_the_cell_state_follows():
    model = LSTM(1, 2, seed=3)
    x = np.random.default_rng(4).standard_normal((10, 1, 1))
    clamps = [GateClamp("f", 1.0, start=3), GateClamp("i", 0.0, start=3)]
    _, _, trace = model.forward(x, clamps=clamps)
    lt = trace.layers[0][0]
    assert np.all(lt.f[3:] == 1.0) and np.all(lt.i[3:] == 0.0) and np.any(lt.f[:3] != 1.0)
    np.testing.assert_array_equal(lt.c[3:], np.broadcast_to(lt.c[2], lt.c[3:].shape))  # memory frozen


def test_trace_is_read_only_and_caller_arrays_stay_writable():
    model = LSTM(1, 2)
    x = np.zeros((3, 1, 1))
    _, _, trace = model.forward(x)
    with pytest.raises(ValueError):
        trace.layers[0][0].f[0, 0, 0] = 1.0
    x[0, 0, 0] = 1.0  # the caller's array is not frozen


@pytest.mark.parametrize(
    "x,state,pattern",
    [
        (np.zeros(5), None, r"3-D \(T, B, I\) or 2-D \(T, I\), got shape \(5,\)"),
        (np.zeros((4, 2, 3)), None, r"input_size=2, got shape \(4, 2, 3\)"),
        (np.zeros((0, 2, 2)), None, r"at least one step"),
        (np.array([[[0.0, np.nan]]]), None, r"finite, found nan at index \(0, 0, 1\)"),
        (np.array([["a", "b"]]), None, r"numeric"),
        (
            np.zeros((4, 2, 2)),
            (np.zeros((1, 3, 5)), np.zeros((1, 3, 5))),
            r"h0 must have shape \(1, 2, 5\), got \(1, 3, 5\)",
        ),
        (np.zeros((4, 2, 2)), np.zeros((1, 2, 5)), r"tuple \(h0, c0\)"),
    ],
    ids=["1-D", "input_size", "empty", "nan", "strings", "state-shape", "state-not-tuple"],
)
def test_bad_input_names_expected_and_actual(x, state, pattern):
    with pytest.raises(ValueError, match=pattern):
        LSTM(2, 5).forward(x, state)


@pytest.mark.parametrize(
    "kwargs,pattern",
    [
        (dict(input_size=0, hidden_size=3), r"input_size must be in \[1"),
        (dict(input_size=2, hidden_size=10**6), r"hidden_size must be in \[1, 4096\], got 1000000"),
        (dict(input_size=2, hidden_size=2.5), r"hidden_size must be an integer"),
        (dict(input_size=2, hidden_size=3, dtype=np.int32), r"float32 or float64"),
    ],
)
def test_absurd_hyperparameters_are_refused(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        LSTM(**kwargs)


def test_load_params_names_the_wrong_parameter():
    model = RNN(2, 3)
    bad = dict(model.params, weight_hh_l0=np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"weight_hh_l0: expected shape \(3, 3\), got \(3, 4\)"):
        model.load_params(bad)
    with pytest.raises(ValueError, match=r"missing \['bias_hh_l0'\]"):
        model.load_params({k: v for k, v in model.params.items() if k != "bias_hh_l0"})


def test_importing_the_library_imports_neither_torch_nor_streamlit():
    code = "import sys, lstm_vault; print('torch' in sys.modules, 'streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_gate_slices_and_biases_are_read_and_set_by_name():
    """gate_slice follows torch's packing order; with_gate_biases sets b_ih + b_hh exactly, in every layer."""
    for cls, gates in ((LSTM, "ifgo"), (GRU, "rzn"), (RNN, "")):
        model = cls(2, 3, num_layers=2, bidirectional=True, seed=1)
        for k, gate in enumerate(gates):
            assert model.gate_slice(gate) == slice(3 * k, 3 * k + 3)
        with pytest.raises(ValueError, match="gates"):
            model.gate_slice("x")
    model = LSTM(2, 3, num_layers=2, bidirectional=True, seed=1)
    new = model.with_gate_biases({"f": 2.5, "g": -1.0})
    for layer in range(2):
        for d in range(2):
            np.testing.assert_array_equal(new.gate_bias("f", layer, d), 2.5)
            np.testing.assert_array_equal(new.gate_bias("g", layer, d), -1.0)
            np.testing.assert_array_equal(new.gate_bias("i", layer, d), model.gate_bias("i", layer, d))
    np.testing.assert_array_equal(new.params["weight_hh_l1"], model.params["weight_hh_l1"])
    assert not np.array_equal(model.gate_bias("f"), 2.5)  # the original is untouched
    # the torch forget-gate rows: what torch calls f is what we set
    assert np.all(new.params["bias_ih_l0"][3:6] == 2.5) and np.all(new.params["bias_hh_l0"][3:6] == 0.0)


def test_hand_set_lstm_builds_the_cell_its_knobs_describe():
    from lstm_vault.handset import HandSetLSTM

    base = LSTM(1, 4, seed=5)
    knobs = HandSetLSTM(H=4, seed=5, bf=3.0, bi=-1.0, bo=0.5, bg=0.25, scale=2.0, hh=0.0)
    model = knobs.build()
    for gate, value in (("f", 3.0), ("i", -1.0), ("o", 0.5), ("g", 0.25)):
        np.testing.assert_array_equal(model.gate_bias(gate), value)
    np.testing.assert_array_equal(model.params["weight_ih_l0"], 2.0 * base.params["weight_ih_l0"])
    np.testing.assert_array_equal(model.params["weight_hh_l0"], 0.0)
    # hh = 0 and a zero input: every gate is σ(its bias) and g = tanh(b_g), so c settles at i·g / (1 - f)
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    c = model.forward(np.zeros((1000, 1, 1)))[2].layers[0][0].c[:, 0]
    np.testing.assert_allclose(c[-1], sig(-1.0) * np.tanh(0.25) / (1 - sig(3.0)), rtol=1e-9)
    # and with b_g = 0, a memory written at t = 0 decays by exactly σ(b_f) per step
    model = HandSetLSTM(H=4, seed=5, bf=3.0, bi=-1.0, scale=2.0, hh=0.0).build()
    x = np.zeros((6, 1, 1))
    x[0] = 1.0
    c = model.forward(x)[2].layers[0][0].c[:, 0]
    np.testing.assert_allclose(c[2:] / c[1:-1], sig(3.0), rtol=1e-12)


def test_previous_state_at_one_step_equals_the_shifted_arrays():
    model = LSTM(2, 3, bidirectional=True, seed=2)
    _, _, trace = model.forward(np.random.default_rng(3).standard_normal((5, 2, 2)), None)
    for lt in trace.layers[0]:
        for t in range(5):
            np.testing.assert_array_equal(lt.h_prev_at(t), lt.h_prev()[t])
            np.testing.assert_array_equal(lt.c_prev_at(t), lt.c_prev()[t])


@pytest.mark.parametrize(
    "clamp,pattern",
    [
        (GateClamp("z", 1.0), r"a lstm has gates \('i', 'f', 'g', 'o'\), cannot clamp 'z'"),
        (GateClamp("f", 1.0, layer=2), r"clamp on layer 2, direction 0 does not exist"),
        (GateClamp("f", 1.0, units=(0, 5)), r"clamp units must be in \[0, 2\], got \[0, 5\]"),
    ],
    ids=["gate", "layer", "units"],
)
def test_bad_gate_clamps_are_named(clamp, pattern):
    with pytest.raises(ValueError, match=pattern):
        LSTM(1, 3, num_layers=2).forward(np.zeros((4, 1)), clamps=[clamp])
    with pytest.raises(ValueError, match="no gates"):
        RNN(1, 3).forward(np.zeros((4, 1)), clamps=[GateClamp("f", 1.0)])
