"""torch_backend: device/threads, seeded init, forget bias by name, exact torch<->NumPy, task losses."""

import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from lstm_vault import models, torch_backend
from lstm_vault.torch_backend import (
    ARCHS,
    GATES,
    SequenceModel,
    from_reference,
    pick_device,
    set_threads,
    task_loss,
    to_reference,
    to_tensors,
)

# Every test that runs a model runs on each device torch sees: on a GPU machine the CUDA path is tested too.
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def test_pick_device():
    assert pick_device("cpu").type == "cpu"
    assert pick_device().type == ("cuda" if torch.cuda.is_available() else "cpu")
    if torch.cuda.is_available():
        assert pick_device("cuda").type == "cuda"
    else:
        with pytest.raises(ValueError, match="no CUDA"):
            pick_device("cuda")
    with pytest.raises(ValueError, match="unknown device"):
        pick_device("tpu")


def test_set_threads_once():
    first = set_threads()
    assert first >= 1 and torch.get_num_threads() == first
    assert set_threads(first + 3) == first  # later calls keep the first, deliberate choice
    assert torch.get_num_threads() == first


def test_import_lstm_vault_does_not_import_torch():
    code = (
        "import sys, lstm_vault, lstm_vault.modelfile, lstm_vault.tasks, lstm_vault.__main__; "
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("layers,bi", [(1, False), (2, True)])
def test_shapes(arch, layers, bi, device):
    model = SequenceModel(arch, 3, 5, 2, num_layers=layers, bidirectional=bi).to(device)
    assert model.head.in_features == (2 if bi else 1) * 5
    y_hat = model(torch.zeros(7, 4, 3, device=device))
    assert y_hat.shape == (7, 4, 2) and y_hat.device.type == device


def test_seeded_init_leaves_global_rng_alone():
    state = torch.get_rng_state()
    a, b, c = (
        SequenceModel("lstm", 2, 4, 1, seed=3),
        SequenceModel("lstm", 2, 4, 1, seed=3),
        SequenceModel("lstm", 2, 4, 1, seed=4),
    )
    assert torch.equal(torch.get_rng_state(), state)
    for (name, pa), pb, pc in zip(a.named_parameters(), b.parameters(), c.parameters()):
        assert torch.equal(pa, pb), name
        assert not torch.equal(pa, pc), name


def test_forget_bias_by_name():
    H = 6
    plain = SequenceModel("lstm", 2, H, 1, num_layers=2, bidirectional=True, forget_bias=None, seed=1)
    model = SequenceModel("lstm", 2, H, 1, num_layers=2, bidirectional=True, forget_bias=1.0, seed=1)
    f = GATES.index("f")
    assert GATES == ("i", "f", "g", "o")
    names = [n for n, _ in model.rnn.named_parameters() if n.startswith("bias")]
    assert len(names) == 8  # ih/hh x 2 layers x 2 directions
    for name in names:
        new, old = getattr(model.rnn, name).detach(), getattr(plain.rnn, name).detach()
        want = 1.0 if name.startswith("bias_ih") else 0.0
        assert torch.all(new[f * H : (f + 1) * H] == want), name
        for gate in ("i", "g", "o"):  # other gates keep torch's init
            k = GATES.index(gate)
            assert torch.equal(new[k * H : (k + 1) * H], old[k * H : (k + 1) * H]), (name, gate)
    # the sum the gate sees is exactly the forget bias
    total = model.rnn.bias_ih_l0 + model.rnn.bias_hh_l0
    assert torch.all(total[H : 2 * H] == 1.0)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("layers,bi", [(1, False), (2, True), (3, False), (1, True)])  # the Train page's
def test_reference_matches_torch(arch, layers, bi, device):
    model = SequenceModel(arch, 3, 5, 2, num_layers=layers, bidirectional=bi, seed=2).double().to(device)
    rnn, weight, bias = to_reference(model)
    assert (
        isinstance(rnn, models.ARCHS[arch])
        and weight.dtype == np.float64
        and weight.shape == (2, model.head.in_features)
    )
    x = np.random.default_rng(0).normal(size=(9, 4, 3))
    output, _, _ = rnn.forward(x)
    y_ref = output @ weight.T + bias
    y_torch = model(torch.from_numpy(x).to(device)).detach().cpu().numpy()
    np.testing.assert_allclose(y_ref, y_torch, atol=1e-10, rtol=0)


@pytest.fixture
def tf32_flags():
    """torch's TF32 flags as they were before the test, restored after (they are process-wide)."""
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    yield
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def test_ieee_float32_turns_tf32_off(tf32_flags):
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = True
    torch_backend.ieee_float32()
    assert not torch.backends.cudnn.allow_tf32 and not torch.backends.cuda.matmul.allow_tf32


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("arch", ARCHS)
def test_float32_matches_reference(arch, device, tf32_flags):
    """The float32 model on the device the backend picks agrees with the float64 reference to float32
    precision: on CUDA that needs TF32 off, which ``pick_device`` does (torch's default has it on)."""
    torch.backends.cudnn.allow_tf32 = True  # torch's default
    model = SequenceModel(arch, 3, 32, 2, num_layers=2, bidirectional=True, seed=3).to(pick_device(device))
    rnn, weight, bias = to_reference(model)  # float64 copies of the float32 weights
    x = np.random.default_rng(1).normal(size=(30, 4, 3)).astype(np.float32)
    y_ref = rnn.forward(x)[0] @ weight.T + bias
    with torch.no_grad():
        y_torch = model(torch.from_numpy(x).to(device)).double().cpu().numpy()
    np.testing.assert_allclose(y_torch, y_ref, atol=1e-5, rtol=0)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("arch", ARCHS)
def test_round_trip_is_lossless(arch, device):
    model = SequenceModel(arch, 2, 4, 3, num_layers=2, bidirectional=True, seed=5).to(device)  # float32
    rnn, weight, bias = to_reference(model)
    back = from_reference(rnn, weight, bias).to(device)
    assert back.arch == arch and back.head.weight.dtype == torch.float64
    for (name, p), q in zip(model.state_dict().items(), back.state_dict().values()):
        assert p.device.type == q.device.type == device and torch.equal(p.double(), q), name
    with pytest.raises(ValueError, match="read-out shapes"):
        from_reference(rnn, weight[:, :-1], bias)


@pytest.mark.parametrize("device", DEVICES)
def test_task_loss_last_and_masked_all(device):
    rng = np.random.default_rng(0)
    T, B, O = 5, 3, 4
    y_hat = torch.from_numpy(rng.normal(size=(T, B, O))).to(device)
    mse_last = SimpleNamespace(loss="mse", target="last")
    y = rng.normal(size=(B, O))
    batch = SimpleNamespace(x=np.zeros((T, B, 1)), y=y, mask=None)
    assert float(task_loss(mse_last, y_hat, batch)) == pytest.approx(
        np.mean((y_hat.cpu().numpy()[-1] - y) ** 2)
    )

    ce_all = SimpleNamespace(loss="ce", target="all")
    labels = rng.integers(0, O, size=(T, B))
    mask = rng.random((T, B)) < 0.5
    mask[0, 0] = True
    batch = SimpleNamespace(x=np.zeros((T, B, 1)), y=labels, mask=mask)
    logits = y_hat.cpu().numpy()
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    nll = -np.take_along_axis(logp, labels[..., None], -1)[..., 0]
    assert float(task_loss(ce_all, y_hat, batch)) == pytest.approx(nll[mask].mean())
    tb = to_tensors(batch, device, torch.float64)
    assert tb.mask.dtype == torch.bool and tb.y.dtype == torch.int64 and tb.x.device.type == device
    assert float(task_loss(ce_all, y_hat, tb)) == pytest.approx(nll[mask].mean())
