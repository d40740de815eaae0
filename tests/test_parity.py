"""The NumPy reference equals torch.nn.LSTM / RNN / GRU: outputs, final states and every gradient."""

import numpy as np
import pytest
import torch
from torch_ref import as_tuple, max_rel, random_configs, torch_forward

from lstm_vault import GRU, LSTM, RNN

ARCHS = [LSTM, RNN, GRU]


def make_case(cls, cfg, dtype=np.float64):
    model = cls(
        cfg["I"],
        cfg["H"],
        cfg["num_layers"],
        cfg["bidirectional"],
        cfg["batch_first"],
        seed=cfg["seed"],
        dtype=dtype,
    )
    rng = np.random.default_rng(cfg["seed"] + 1)
    T, B = cfg["T"], cfg["B"]
    x = rng.standard_normal((B, T, cfg["I"]) if cfg["batch_first"] else (T, B, cfg["I"]))
    state = None
    if cfg["with_state"]:
        shape = (cfg["num_layers"] * (2 if cfg["bidirectional"] else 1), B, cfg["H"])
        state = tuple(rng.standard_normal(shape) for _ in range(2 if cls is LSTM else 1))
        state = state if cls is LSTM else state[0]
    return model, x, state


CONFIGS = list(random_configs(30, seed=2024))
# the corners too: the largest and the smallest of everything
CONFIGS += [
    dict(T=37, B=4, I=5, H=32, num_layers=3, bidirectional=True, batch_first=True, with_state=True, seed=7),
    dict(T=1, B=1, I=1, H=1, num_layers=1, bidirectional=False, batch_first=False, with_state=False, seed=8),
]


@pytest.mark.parametrize("cls", ARCHS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "cfg",
    CONFIGS,
    ids=lambda c: "T{T}B{B}I{I}H{H}L{num_layers}bi{bidirectional:d}bf{batch_first:d}s{with_state:d}".format(
        **c
    ),
)
def test_forward_and_gradients_match_torch_float64(cls, cfg):
    model, x, state = make_case(cls, cfg)
    y, s, trace = model.forward(x, state)
    module, tx, tstate, ty, ts = torch_forward(model, x, state)
    assert y.shape == tuple(ty.shape)
    assert np.max(np.abs(y - ty.detach().numpy())) < 1e-10
    for a, b in zip(as_tuple(s), ts):
        assert a.shape == tuple(b.shape)
        assert np.max(np.abs(a - b.detach().numpy())) < 1e-10

    # a random projection of everything returned, as the loss
    rng = np.random.default_rng(cfg["seed"] + 2)
    r_y = rng.standard_normal(y.shape)
    r_s = [rng.standard_normal(a.shape) for a in as_tuple(s)]
    loss = (ty * torch.from_numpy(r_y)).sum() + sum((b * torch.from_numpy(r)).sum() for b, r in zip(ts, r_s))
    loss.backward()
    grads = model.backward(trace, r_y, tuple(r_s) if len(r_s) == 2 else r_s[0])
    for name, p in module.named_parameters():
        assert max_rel(grads.params[name], p.grad.numpy()) < 1e-8, name
    assert max_rel(grads.input, tx.grad.numpy()) < 1e-8
    if state is not None:
        for g, ts_in in zip(as_tuple(grads.state), tstate):
            assert max_rel(g, ts_in.grad.numpy()) < 1e-8


@pytest.mark.parametrize("cls", ARCHS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("cfg", CONFIGS[:12], ids=lambda c: "T{T}B{B}H{H}L{num_layers}".format(**c))
def test_forward_matches_torch_float32(cls, cfg):
    model, x, state = make_case(cls, cfg, dtype=np.float32)
    y, s, _ = model.forward(x, state)
    assert y.dtype == np.float32
    _, _, _, ty, ts = torch_forward(model, x, state, dtype=torch.float32)
    assert np.max(np.abs(y - ty.detach().numpy())) < 1e-5
    for a, b in zip(as_tuple(s), ts):
        assert np.max(np.abs(a - b.detach().numpy())) < 1e-5


@pytest.mark.parametrize("cls", ARCHS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_unbatched_input_like_torch(cls, bidirectional):
    model = cls(3, 4, num_layers=2, bidirectional=bidirectional, seed=3)
    x = np.random.default_rng(0).standard_normal((6, 3))
    y, s, trace = model.forward(x)
    _, _, _, ty, ts = torch_forward(model, x)
    assert y.shape == tuple(ty.shape) == (6, 4 * (2 if bidirectional else 1))
    for a, b in zip(as_tuple(s), ts):
        assert a.shape == tuple(b.shape) == (2 * (2 if bidirectional else 1), 4)
        assert np.max(np.abs(a - b.detach().numpy())) < 1e-10
    assert np.max(np.abs(y - ty.detach().numpy())) < 1e-10
    assert trace.layers[0][0].h.shape == (6, 1, 4)  # the trace still holds a batch of one
    grads = model.backward(trace, np.ones_like(y))
    assert grads.input.shape == x.shape


@pytest.mark.parametrize("cls", ARCHS, ids=lambda c: c.__name__)
def test_from_torch_copies_a_trained_module_exactly(cls):
    torch.manual_seed(0)
    tcls = {LSTM: torch.nn.LSTM, RNN: torch.nn.RNN, GRU: torch.nn.GRU}[cls]
    module = tcls(4, 6, num_layers=2, bidirectional=True, batch_first=True).double()
    model = cls.from_torch(module)
    assert (model.num_layers, model.bidirectional, model.batch_first) == (2, True, True)
    x = np.random.default_rng(1).standard_normal((3, 9, 4))
    y, _, _ = model.forward(x)
    ty, _ = module(torch.from_numpy(x))
    assert np.max(np.abs(y - ty.detach().numpy())) < 1e-12
    back = model.to_torch()
    for (n1, p1), (n2, p2) in zip(module.named_parameters(), back.named_parameters()):
        assert n1 == n2 and torch.equal(p1, p2)


def test_from_torch_refuses_what_it_cannot_represent():
    with pytest.raises(ValueError, match="nonlinearity"):
        RNN.from_torch(torch.nn.RNN(2, 3, nonlinearity="relu"))
    with pytest.raises(ValueError, match="proj_size"):
        LSTM.from_torch(torch.nn.LSTM(2, 3, proj_size=2))
    with pytest.raises(ValueError, match="torch.nn.LSTM"):
        LSTM.from_torch(torch.nn.GRU(2, 3))
