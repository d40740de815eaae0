"""Unit ablations (UnitAblation): the held zeros in the trace, gradients that treat them as constants
(finite differences and a torch loop that zeroes the same entries by hand), alone and with gate clamps,
for the LSTM, the GRU and the RNN; stepping by hand agrees with the whole sequence; bad records are named."""

import numpy as np
import pytest
import torch
from torch_ref import max_rel

from lstm_vault import GRU, LSTM, RNN, GateClamp, UnitAblation, gradcheck

ARCHS = (LSTM, GRU, RNN)


def _records(cls):
    recs = [UnitAblation((0, 2), start=2, stop=5), UnitAblation(1, start=4, layer=1, direction=1)]
    if cls is LSTM:
        recs.append(UnitAblation(3, start=1, stop=6, what=("h",)))  # output silenced, cell running
    return recs


@pytest.mark.parametrize("cls", ARCHS, ids=lambda c: c.__name__)
def test_ablation_gradients_match_finite_differences(cls):
    model = cls(2, 4, num_layers=2, bidirectional=True, seed=1)
    x = np.random.default_rng(0).standard_normal((7, 2, 2))
    report = gradcheck(model, x, clamps=_records(cls), seed=2)
    assert report.max_error < 1e-6, str(report)


@pytest.mark.parametrize("cls,gate", [(LSTM, "f"), (LSTM, "o"), (GRU, "z"), (GRU, "n")])
def test_clamps_and_ablations_together_match_finite_differences(cls, gate):
    model = cls(2, 3, seed=3)
    x = np.random.default_rng(4).standard_normal((9, 2, 2))
    recs = [GateClamp(gate, 0.8, start=1, stop=7, units=(0, 1)), UnitAblation(1, start=3, stop=6)]
    report = gradcheck(model, x, clamps=recs, seed=5)
    assert report.max_error < 1e-6, str(report)
    # the records act: without them the loss differs
    y0 = model.forward(x)[0]
    y1 = model.forward(x, clamps=recs)[0]
    assert not np.allclose(y0, y1)


@pytest.mark.parametrize("cls", ARCHS, ids=lambda c: c.__name__)
def test_the_trace_records_the_held_zeros(cls):
    model = cls(1, 3, seed=6)
    x = np.random.default_rng(7).standard_normal((8, 1, 1))
    out, _, trace = model.forward(x, clamps=[UnitAblation(1, start=2, stop=5)])
    lt = trace.layers[0][0]
    assert np.all(lt.h[2:5, :, 1] == 0.0) and np.all(out[2:5, :, 1] == 0.0)
    assert np.all(lt.h[:2, :, 1] != 0.0) and np.all(lt.h[5:, :, 1] != 0.0)
    if cls is LSTM:
        assert np.all(lt.c[2:5, :, 1] == 0.0)
    assert set(lt.ablations) == {2, 3, 4}


def test_silencing_h_only_keeps_the_lstm_cell_running():
    model = LSTM(1, 3, seed=8)
    x = np.random.default_rng(9).standard_normal((8, 2, 1))
    _, _, trace = model.forward(x, clamps=[UnitAblation(0, start=2, what="h")])
    lt = trace.layers[0][0]
    assert np.all(lt.h[2:, :, 0] == 0.0) and np.all(lt.c[2:, :, 0] != 0.0)
    c_prev = lt.c_prev()
    np.testing.assert_allclose(lt.c, lt.f * c_prev + lt.i * lt.g, rtol=1e-14, atol=1e-15)
    # the other units read h_{t-1} with the zero in it: their gates use the held value
    a = lt.x @ model.params["weight_ih_l0"].T + lt.h_prev() @ model.params["weight_hh_l0"].T
    a += model.params["bias_ih_l0"] + model.params["bias_hh_l0"]
    np.testing.assert_allclose(lt.a, a, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cls", ARCHS, ids=lambda c: c.__name__)
def test_a_zero_length_range_changes_nothing(cls):
    model = cls(2, 3, num_layers=2, seed=10)
    x = np.random.default_rng(11).standard_normal((6, 2, 2))
    y, s, trace = model.forward(x)
    dy = np.random.default_rng(12).standard_normal(y.shape)
    g = model.backward(trace, dy)
    for rec in (UnitAblation(None, start=3, stop=3), UnitAblation(1, start=6), UnitAblation(0, start=40)):
        y2, s2, trace2 = model.forward(x, clamps=[rec])
        g2 = model.backward(trace2, dy)
        assert np.array_equal(y, y2)
        for a, b in zip(s if isinstance(s, tuple) else (s,), s2 if isinstance(s2, tuple) else (s2,)):
            assert np.array_equal(a, b)
        assert np.array_equal(g.input, g2.input)
        for name in g.params:
            assert np.array_equal(g.params[name], g2.params[name]), name


@pytest.mark.parametrize("cls", ARCHS, ids=lambda c: c.__name__)
def test_ablating_every_unit_cuts_the_output_from_the_input(cls):
    """All units of layer 0 held from t = 0: the output is 0 (one layer) or independent of x (two);
    held up to step s: outputs from s on do not depend on x before s, and dL/dx there is exactly 0."""
    rng = np.random.default_rng(13)
    x, x2 = rng.standard_normal((10, 2, 2)), rng.standard_normal((10, 2, 2))
    one = cls(2, 4, seed=14)
    y = one.forward(x, clamps=[UnitAblation(None)])[0]
    assert np.all(y == 0.0)
    two = cls(2, 4, num_layers=2, seed=15)
    rec = [UnitAblation(None)]
    assert np.array_equal(two.forward(x, clamps=rec)[0], two.forward(x2, clamps=rec)[0])
    s = 4
    rec = [UnitAblation(None, stop=s)]
    x3 = x.copy()
    x3[:s] = x2[:s]  # differ only before s
    ya, _, trace = two.forward(x, clamps=rec)
    yb = two.forward(x3, clamps=rec)[0]
    assert np.array_equal(ya, yb)
    assert not np.allclose(two.forward(x)[0][s:], two.forward(x3)[0][s:])  # without it, x before s matters
    dy = np.zeros_like(ya)
    dy[s:] = rng.standard_normal(dy[s:].shape)
    grads = two.backward(trace, dy)
    assert np.all(grads.input[:s] == 0.0) and np.any(grads.input[s:] != 0.0)


def _torch_masked_loop(model, x, recs_mask, r_y):
    """A torch loop over LSTMCell / GRUCell / RNNCell that multiplies h_t (and c_t) by a constant 0/1 mask:
    the same experiment by hand. Returns output, the parameters' .grad, x's .grad and, per layer, the
    gradients at h_t as the cell computed it (before the mask)."""
    cell_cls = {"lstm": torch.nn.LSTMCell, "rnn": torch.nn.RNNCell, "gru": torch.nn.GRUCell}[model.arch]
    T, B, _ = x.shape
    H = model.hidden_size
    tx = torch.tensor(x, requires_grad=True)
    inp, cells_, raw = tx, [], []
    for layer in range(model.num_layers):
        cell = cell_cls(inp.shape[-1], H).double()
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(cell, name).copy_(torch.from_numpy(model.params[f"{name}_l{layer}"]))
        cells_.append(cell)
        h = torch.zeros(B, H, dtype=torch.float64)
        c = torch.zeros(B, H, dtype=torch.float64)
        hs, kept = [], []
        mask_h, mask_c = (torch.from_numpy(m) for m in recs_mask[layer])  # (T, H) each
        for t in range(T):
            if model.arch == "lstm":
                h, c = cell(inp[t], (h, c))
                c = c * mask_c[t]
            else:
                h = cell(inp[t], h)
            h.retain_grad()
            kept.append(h)
            h = h * mask_h[t]
            hs.append(h)
        raw.append(kept)
        inp = torch.stack(hs)
    (inp * torch.from_numpy(r_y)).sum().backward()
    grads = {}
    for layer, cell in enumerate(cells_):
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            grads[f"{name}_l{layer}"] = getattr(cell, name).grad.numpy()
    return inp.detach().numpy(), grads, tx.grad.numpy(), [np.stack([h.grad.numpy() for h in k]) for k in raw]


@pytest.mark.parametrize("cls", ARCHS, ids=lambda c: c.__name__)
def test_ablation_matches_a_torch_loop_that_zeroes_the_same_entries(cls):
    T, H = 8, 4
    model = cls(3, H, num_layers=2, seed=16)
    x = np.random.default_rng(17).standard_normal((T, 2, 3))
    recs = [UnitAblation((1, 3), start=2, stop=6), UnitAblation(0, start=5, layer=1)]
    if cls is LSTM:
        recs.append(UnitAblation(2, start=1, stop=4, what=("h",)))
    masks = [[np.ones((T, H)), np.ones((T, H))] for _ in range(2)]
    masks[0][0][2:6, [1, 3]] = 0.0
    masks[0][1][2:6, [1, 3]] = 0.0
    masks[1][0][5:, 0] = 0.0
    masks[1][1][5:, 0] = 0.0
    if cls is LSTM:
        masks[0][0][1:4, 2] = 0.0
    y, _, trace = model.forward(x, clamps=recs)
    r_y = np.random.default_rng(18).standard_normal(y.shape)
    grads = model.backward(trace, r_y)
    ty, tgrads, tdx, raw = _torch_masked_loop(model, x, masks, r_y)
    assert max_rel(y, ty) < 1e-12
    assert max_rel(grads.input, tdx) < 1e-10
    for name, g in tgrads.items():
        assert max_rel(grads.params[name], g) < 1e-10, name
    for layer in range(2):  # dh is the gradient at the value the cell computed: 0 where it was held
        assert max_rel(grads.layers[layer][0].dh, raw[layer]) < 1e-10
        held = np.broadcast_to(masks[layer][0][:, None, :] == 0.0, y.shape)
        assert np.all(grads.layers[layer][0].dh[held] == 0.0)


@pytest.mark.parametrize("cls", ARCHS, ids=lambda c: c.__name__)
def test_stepping_with_records_equals_the_whole_sequence(cls):
    model = cls(2, 3, num_layers=2, seed=19)
    x = np.random.default_rng(20).standard_normal((7, 2, 2))
    recs = [UnitAblation(1, start=2, stop=5), UnitAblation(None, start=6, layer=1)]
    if cls is not RNN:
        recs.append(GateClamp(model.gates[1], 1.0, start=1, stop=4, units=(0,)))
    y, s_all, _ = model.forward(x, clamps=recs)
    state, outs = None, []
    for t in range(7):
        out, state = model.step(x[t], state, clamps=recs, t=t)
        outs.append(out)
    np.testing.assert_allclose(np.stack(outs), y, rtol=1e-12, atol=1e-14)
    for a, b in zip(
        state if isinstance(state, tuple) else (state,), s_all if isinstance(s_all, tuple) else (s_all,)
    ):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "make,pattern",
    [
        (lambda: UnitAblation(-1), r"ablation units must be in \[0, 2\]"),
        (lambda: UnitAblation(3), r"ablation units must be in \[0, 2\]"),
        (lambda: UnitAblation(0, layer=1), r"ablation on layer 1, direction 0 does not exist"),
        (lambda: "f", r"GateClamp or UnitAblation records, got str"),
    ],
    ids=["negative", "too-large", "layer", "not-a-record"],
)
def test_bad_records_are_named_by_the_model(make, pattern):
    with pytest.raises(ValueError, match=pattern):
        LSTM(1, 3).forward(np.zeros((4, 1)), clamps=[make()])


def test_bad_records_are_named_when_built():
    with pytest.raises(ValueError, match=r"what=\('h', 'c'\)"):
        UnitAblation(0, what=("c",))
    with pytest.raises(ValueError, match=r"stop must be None or an integer >= start=3, got 2"):
        UnitAblation(0, start=3, stop=2)
    with pytest.raises(ValueError, match=r"start must be an integer >= 0"):
        UnitAblation(0, start=-1)
    with pytest.raises(ValueError, match=r"among 'h' and 'c'"):
        UnitAblation(0, what=("x",))
    with pytest.raises(ValueError, match=r"units must be a unit index"):
        UnitAblation((0.5,))
    with pytest.raises(ValueError, match=r"a gru has no cell state c"):
        GRU(1, 3).forward(np.zeros((4, 1)), clamps=[UnitAblation(0, what=("h", "c"))])
    assert UnitAblation(2).units == (2,) and UnitAblation(0, what="h").what == ("h",)
