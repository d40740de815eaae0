"""Helpers shared by the parity tests: run a NumPy reference model's twin in torch."""

import numpy as np
import torch


def as_tuple(state):
    return state if isinstance(state, tuple) else (state,)


def torch_forward(model, x, state=None, dtype=torch.float64):
    """Forward through ``model.to_torch()`` with autograd on x, the state and every parameter."""
    module = model.to_torch(dtype)
    tx = torch.tensor(x, dtype=dtype, requires_grad=True)
    tstate = None
    if state is not None:
        tstate = tuple(torch.tensor(s, dtype=dtype, requires_grad=True) for s in as_tuple(state))
    arg = tstate if (tstate is None or len(tstate) == 2) else tstate[0]
    y, s = module(tx, arg)
    return module, tx, tstate, y, as_tuple(s)


def max_rel(a, b) -> float:
    """max|a - b| / max|b|, the error measure of the issue."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = np.max(np.abs(b))
    return float(np.max(np.abs(a - b)) / scale) if scale > 0 else float(np.max(np.abs(a - b)))


def random_configs(n, seed):
    """n random configurations over the grid the issue names."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        yield dict(
            T=int(rng.choice([1, 2, 37])),
            B=int(rng.choice([1, 4])),
            I=int(rng.choice([1, 5])),
            H=int(rng.choice([1, 7, 32])),
            num_layers=int(rng.integers(1, 4)),
            bidirectional=bool(rng.integers(2)),
            batch_first=bool(rng.integers(2)),
            with_state=bool(rng.integers(2)),
            seed=int(rng.integers(1000)),
        )
