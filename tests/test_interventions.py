"""Gate clamps on every gate of the LSTM (i, f, g, o) and the GRU (r, z, n) over a range of steps: the
forced values in the trace, gradients against finite differences (float64) and against torch autograd on a
hand-written cell that forces the same entries; what freezing, hiding and wiping a memory do; bad clamps
named."""

import numpy as np
import pytest
import torch
from torch_ref import max_rel

from lstm_vault import GRU, LSTM, GateClamp, UnitAblation, gradcheck
from lstm_vault.interventions import gate_range

GATES = [(LSTM, g) for g in "ifgo"] + [(GRU, g) for g in "rzn"]
IDS = [f"{cls.__name__}-{g}" for cls, g in GATES]


def _value(cls, gate) -> float:
    """A value inside the gate's range that no cell produces by chance: 0.3 (sigmoid), -0.4 (tanh)."""
    return -0.4 if gate_range(cls.arch, gate)[0] < 0 else 0.3


@pytest.mark.parametrize("cls,gate", GATES, ids=IDS)
def test_every_gate_clamped_over_a_range_matches_finite_differences(cls, gate):
    """Two layers, both directions: a clamp on part of the units over steps 2..5 of layer 0 forward and one
    on the reverse direction of layer 1; float64 central differences, relative error < 1e-6."""
    model = cls(2, 3, num_layers=2, bidirectional=True, seed=21)
    x = np.random.default_rng(22).standard_normal((8, 2, 2))
    v = _value(cls, gate)
    recs = [
        GateClamp(gate, v, start=2, stop=6, units=(0, 2)),
        GateClamp(gate, v, start=3, layer=1, direction=1),
    ]
    report = gradcheck(model, x, clamps=recs, seed=23, max_entries=16)  # 16 random entries per tensor
    assert report.max_error < 1e-6, str(report)
    _, _, trace = model.forward(x, clamps=recs)
    forced = getattr(trace.layers[0][0], gate)
    assert np.all(forced[2:6][..., [0, 2]] == v) and np.all(getattr(trace.layers[1][1], gate)[3:] == v)
    assert not np.any(forced[:2] == v) and not np.any(forced[6:] == v) and not np.any(forced[..., 1] == v)


@pytest.mark.parametrize("cls,gate", GATES, ids=IDS)
@pytest.mark.parametrize("value", ["low", "high"])
def test_a_clamp_at_either_end_of_the_gate_s_range_matches_finite_differences(cls, gate, value):
    model = cls(2, 3, seed=24)
    x = np.random.default_rng(25).standard_normal((7, 2, 2))
    v = gate_range(cls.arch, gate)[0 if value == "low" else 1]
    report = gradcheck(model, x, clamps=[GateClamp(gate, v, start=1, stop=5, units=(1,))], seed=26)
    assert report.max_error < 1e-6, str(report)


@pytest.mark.parametrize("cls,gate", GATES, ids=IDS)
def test_a_clamped_gate_passes_no_gradient_to_its_pre_activation(cls, gate):
    """A forced value is a constant: dL/da is exactly 0 at the clamped entries, and not elsewhere."""
    model = cls(2, 4, seed=27)
    x = np.random.default_rng(28).standard_normal((9, 2, 2))
    recs = [GateClamp(gate, _value(cls, gate), start=3, stop=7, units=(1, 3))]
    y, _, trace = model.forward(x, clamps=recs)
    grads = model.backward(trace, np.random.default_rng(29).standard_normal(y.shape))
    k, H = model.gates.index(gate), 4
    da = grads.layers[0][0].da[..., k * H : (k + 1) * H]
    assert np.all(da[3:7][..., [1, 3]] == 0.0)
    assert np.all(da[1:3] != 0.0) and np.all(
        da[7:8] != 0.0
    )  # (f at t = 0 meets c0 = 0: no gradient) and np.all(da[3:7][..., [0, 2]] != 0.0)


def _torch_clamped_loop(model, x, recs, r_y):
    """The same experiment written in torch by hand: each gate is ``where(mask, value, σ(a))``, so autograd
    gives a forced entry no gradient. One layer, one direction. Returns output, parameter grads, dL/dx."""
    T, B, _ = x.shape
    H, gates = model.hidden_size, model.gates
    p = {k: torch.tensor(v, requires_grad=True) for k, v in model.params.items()}
    tx = torch.tensor(x, requires_grad=True)
    mask = {g: torch.zeros(T, H, dtype=torch.bool) for g in gates}
    value = {g: torch.zeros(T, H, dtype=torch.float64) for g in gates}
    for rec in recs:
        units = list(range(H)) if rec.units is None else list(rec.units)
        stop = T if rec.stop is None else rec.stop
        for t in range(rec.start, stop):
            mask[rec.gate][t, units] = True
            value[rec.gate][t, units] = rec.value

    def force(t, g, act):
        return torch.where(mask[g][t], value[g][t], act)

    W_ih, W_hh, b_ih, b_hh = (p[n + "_l0"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    h = torch.zeros(B, H, dtype=torch.float64)
    c = torch.zeros(B, H, dtype=torch.float64)
    hs = []
    for t in range(T):
        xw, hw = tx[t] @ W_ih.T + b_ih, h @ W_hh.T + b_hh
        blk = [slice(k * H, (k + 1) * H) for k in range(len(gates))]
        if model.arch == "lstm":
            a = xw + hw
            i, f = force(t, "i", torch.sigmoid(a[:, blk[0]])), force(t, "f", torch.sigmoid(a[:, blk[1]]))
            g, o = force(t, "g", torch.tanh(a[:, blk[2]])), force(t, "o", torch.sigmoid(a[:, blk[3]]))
            c = f * c + i * g
            h = o * torch.tanh(c)
        else:
            r = force(t, "r", torch.sigmoid(xw[:, blk[0]] + hw[:, blk[0]]))
            z = force(t, "z", torch.sigmoid(xw[:, blk[1]] + hw[:, blk[1]]))
            n = force(t, "n", torch.tanh(xw[:, blk[2]] + r * hw[:, blk[2]]))
            h = (1 - z) * n + z * h
        hs.append(h)
    y = torch.stack(hs)
    (y * torch.from_numpy(r_y)).sum().backward()
    return y.detach().numpy(), {k: v.grad.numpy() for k, v in p.items()}, tx.grad.numpy()


@pytest.mark.parametrize("cls", [LSTM, GRU], ids=lambda c: c.__name__)
def test_clamps_on_every_gate_at_once_match_torch_autograd(cls):
    model = cls(3, 4, seed=30)
    x = np.random.default_rng(31).standard_normal((10, 2, 3))
    recs = [
        GateClamp(gate, _value(cls, gate), start=k + 1, stop=k + 6, units=(k % 4, (k + 2) % 4))
        for k, gate in enumerate(model.gates)
    ]
    y, _, trace = model.forward(x, clamps=recs)
    r_y = np.random.default_rng(32).standard_normal(y.shape)
    grads = model.backward(trace, r_y)
    ty, tgrads, tdx = _torch_clamped_loop(model, x, recs, r_y)
    assert max_rel(y, ty) < 1e-12
    assert max_rel(grads.input, tdx) < 1e-10
    for name, g in tgrads.items():
        assert max_rel(grads.params[name], g) < 1e-10, name


def test_freezing_hiding_and_wiping_a_memory_do_what_they_say():
    """f = 1, i = 0 from step s: c stays c_{s-1}; o = 0: h = 0 while c runs on exactly as unclamped;
    f = 0: c_t = i_t g_t, nothing of c_{t-1} left."""
    model = LSTM(1, 3, seed=33)
    x = np.random.default_rng(34).standard_normal((12, 2, 1))
    plain = model.forward(x)[2].layers[0][0]
    frozen = model.forward(
        x, clamps=[GateClamp("f", 1.0, start=4, units=(1,)), GateClamp("i", 0.0, start=4, units=(1,))]
    )
    lt = frozen[2].layers[0][0]
    np.testing.assert_array_equal(lt.c[4:, :, 1], np.broadcast_to(plain.c[3, :, 1], lt.c[4:, :, 1].shape))
    hidden = model.forward(x, clamps=[GateClamp("o", 0.0, start=2, stop=9, units=(0,))])[2].layers[0][0]
    assert np.all(hidden.h[2:9, :, 0] == 0.0) and np.all(hidden.h[:2] == plain.h[:2])
    # hiding unit 0 changes what the others read, so compare unit 0's cell with its own gates
    np.testing.assert_allclose(
        hidden.c, hidden.f * hidden.c_prev() + hidden.i * hidden.g, rtol=1e-14, atol=1e-15
    )
    wiped = model.forward(x, clamps=[GateClamp("f", 0.0, start=5)])[2].layers[0][0]
    np.testing.assert_array_equal(wiped.c[5:], wiped.i[5:] * wiped.g[5:])


@pytest.mark.parametrize("cls", [LSTM, GRU], ids=lambda c: c.__name__)
def test_o_zero_on_every_step_is_the_same_experiment_as_silencing_h(cls):
    """LSTM: o = 0 makes h = 0 · tanh(c) = 0, exactly an ablation of h. GRU: z = 1 and h0 = 0 keep h at 0,
    exactly an ablation of h. Outputs and gradients agree."""
    model = cls(2, 3, num_layers=2, seed=35)
    x = np.random.default_rng(36).standard_normal((8, 2, 2))
    clamp = [GateClamp("o" if cls is LSTM else "z", 0.0 if cls is LSTM else 1.0, units=(1,))]
    ablation = [UnitAblation(1, what=("h",) if cls is LSTM else None)]
    y1, _, t1 = model.forward(x, clamps=clamp)
    y2, _, t2 = model.forward(x, clamps=ablation)
    np.testing.assert_array_equal(y1, y2)
    dy = np.random.default_rng(37).standard_normal(y1.shape)
    g1, g2 = model.backward(t1, dy), model.backward(t2, dy)
    np.testing.assert_allclose(g1.input, g2.input, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "clamp,pattern",
    [
        (GateClamp("f", 1.5), r"a clamp of 'f' must be a number in \[0, 1\], got 1.5"),
        (GateClamp("g", -1.5), r"a clamp of 'g' must be a number in \[-1, 1\], got -1.5"),
        (GateClamp("i", float("nan")), r"a clamp of 'i' must be a number in \[0, 1\], got nan"),
        (GateClamp("i", "1"), r"a clamp of 'i' must be a number in \[0, 1\], got '1'"),
        (GateClamp("f", 1.0, start=-1), r"a clamp's start must be an integer >= 0, got -1"),
        (GateClamp("f", 1.0, start=3, stop=2), r"stop must be None or an integer >= start=3, got 2"),
        (GateClamp("f", 1.0, stop=2.5), r"stop must be None or an integer >= start=0, got 2.5"),
        (GateClamp("f", 1.0, units=(0.5,)), r"clamp units must be a unit index, a tuple of them or None"),
        (GateClamp("f", 1.0, units=()), r"clamp units must be a unit index, a tuple of them or None"),
        (GateClamp("f", 1.0, layer=0.5), r"clamp layer and direction must be integers, got 0.5 and 0"),
    ],
    ids=[
        "above-one",
        "below-minus-one",
        "nan",
        "text",
        "start",
        "stop-before-start",
        "stop-float",
        "unit",
        "none",
        "layer",
    ],
)
def test_bad_clamps_are_named(clamp, pattern):
    with pytest.raises(ValueError, match=pattern):
        LSTM(1, 3).forward(np.zeros((4, 1)), clamps=[clamp])


def test_a_single_unit_index_and_repeated_units_are_one_clamp_each():
    model = GRU(1, 3, seed=38)
    x = np.random.default_rng(39).standard_normal((5, 1))
    a = model.forward(x, clamps=[GateClamp("n", 0.5, units=2)])[0]
    b = model.forward(x, clamps=[GateClamp("n", 0.5, units=(2, 2))])[0]
    np.testing.assert_array_equal(a, b)
    assert np.all(model.forward(x, clamps=[GateClamp("n", 0.5, units=2)])[2].layers[0][0].n[..., 2] == 0.5)
