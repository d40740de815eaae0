"""Torch models for training: a recurrent layer plus a linear read-out, device choice, task losses.

This is one of the two modules that import torch (the other is ``training.py``); ``import lstm_vault``
never reaches them. Weights cross to the NumPy reference (``lstm_vault.models``) only through
``to_reference`` / ``from_reference``, in torch's own parameter names (``weight_ih_l0``, ...).

Shape letters: ``T`` time, ``B`` batch, ``I`` input size, ``H`` hidden size, ``D`` directions
(2 when bidirectional, else 1), ``O`` output size. Everything is time-major: ``(T, B, ...)``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .cells import LSTM_GATES as GATES  # torch's packing order of the LSTM gate rows: i, f, g, o

ARCHS = ("lstm", "rnn", "gru")


def pick_device(prefer: str | None = None) -> torch.device:
    """CUDA when available, else CPU. ``prefer="cpu"`` forces the CPU; ``"cuda"`` without CUDA raises.
    Choosing CUDA also turns TF32 off (:func:`ieee_float32`)."""
    if prefer in (None, "", "auto"):
        prefer = "cuda" if torch.cuda.is_available() else "cpu"
    if prefer != "cpu" and prefer != "cuda" and not str(prefer).startswith("cuda:"):
        raise ValueError(f"unknown device {prefer!r}; choose auto, cpu or cuda")
    if prefer != "cpu" and not torch.cuda.is_available():
        raise ValueError(
            f"device {prefer!r} was asked for but torch sees no CUDA GPU; use --device cpu or auto"
        )
    if prefer != "cpu":
        ieee_float32()
    return torch.device(prefer)


def ieee_float32() -> None:
    """Turn TF32 off for cuDNN and cuBLAS, process-wide: float32 on the GPU is then IEEE float32.

    torch's default lets cuDNN run recurrent layers in TF32, which rounds the operands of every matrix
    product to 10 mantissa bits: measured on an H200, a float32 LSTM then differed from the float64
    NumPy reference by up to 3.7e-4 (forward) and 2.6e-2 (gradients), against 7.3e-6 and 1.3e-4 with TF32
    off. What a user trains here is what the reference then explains, so precision wins over the speed
    TF32 buys for large matrices (the models here are small). Only CUDA reads these flags.
    """
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False


_threads_set: int | None = None


def default_threads() -> int:
    """Half the cores (at least one): enough for a small LSTM, and the rest stays free for the app."""
    return max(1, (os.cpu_count() or 1) // 2)


def set_threads(n: int | None = None) -> int:
    """Set torch's intra-op thread count once per process; return the count in force.

    The count is process-wide: a training run inside the Streamlit server shares the process with every
    session's reruns. Left at torch's default (all cores) one run would starve the app, and changing the
    count per run or per step is itself costly and races between sessions. So the entry point (the CLI, or
    the app at import) decides once, deliberately; later calls keep the first choice and just report it.
    ``training.Trainer`` calls ``set_threads()`` too, so a run never goes with torch's all-cores default.

    Measured on a shared 2-core machine: with other processes busy, 2 threads made a tiny LSTM step 40-200x
    slower than 1 thread (OpenMP workers spin waiting for a core); more threads are not free.
    """
    global _threads_set
    if _threads_set is not None:
        return _threads_set
    n = default_threads() if n is None else int(n)
    if n < 1:
        raise ValueError(f"threads must be at least 1, got {n}")
    torch.set_num_threads(n)
    _threads_set = n
    return n


class SequenceModel(nn.Module):
    """A recurrent layer ``self.rnn`` (time-major) and a linear read-out ``self.head`` on every step.

    ``y_hat[t] = head(h_t)`` with ``h_t`` the top layer's output ``(B, D*H)``; the task's loss picks the last
    step or all steps (``task_loss``).
    """

    def __init__(
        self,
        arch: str,
        input_size: int,
        hidden_size: int,
        output_size: int,
        num_layers: int = 1,
        bidirectional: bool = False,
        forget_bias: float | None = 1.0,
        seed: int = 0,
    ):
        super().__init__()
        if arch not in ARCHS:
            raise ValueError(f"unknown arch {arch!r}; choose one of: {', '.join(ARCHS)}")
        for name, value in (
            ("input_size", input_size),
            ("hidden_size", hidden_size),
            ("output_size", output_size),
            ("num_layers", num_layers),
        ):
            if int(value) < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        self.arch = arch
        self.input_size, self.hidden_size, self.output_size = (
            int(input_size),
            int(hidden_size),
            int(output_size),
        )
        self.num_layers, self.bidirectional = int(num_layers), bool(bidirectional)
        kwargs = dict(
            input_size=self.input_size,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            batch_first=False,
        )
        # Initialise from the seed without touching the caller's global torch RNG.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            if arch == "lstm":
                self.rnn = nn.LSTM(**kwargs)
            elif arch == "rnn":
                self.rnn = nn.RNN(nonlinearity="tanh", **kwargs)
            else:
                self.rnn = nn.GRU(**kwargs)
            self.head = nn.Linear(self.directions * self.hidden_size, self.output_size)
        if arch == "lstm" and forget_bias is not None:
            set_forget_bias(self.rnn, forget_bias)

    @property
    def directions(self) -> int:  # D
        return 2 if self.bidirectional else 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (T, B, I) -> y_hat: (T, B, O), the read-out at every step."""
        out, _ = self.rnn(x)  # (T, B, D*H)
        return self.head(out)


def set_forget_bias(lstm: nn.LSTM, value: float) -> None:
    """Forget gate rows [H:2H] (order i, f, g, o): bias_ih = value, bias_hh = 0, in every layer and direction.

    The gate sees ``bias_ih + bias_hh``, so the sum is exactly ``value``: f = sigmoid(value) at the start
    (0.73 for 1.0), the cell keeps what it stores and gradients flow back through c (Gers et al. 2000).
    """
    H = lstm.hidden_size
    f = slice(GATES.index("f") * H, (GATES.index("f") + 1) * H)
    with torch.no_grad():
        for name, p in lstm.named_parameters():
            if name.startswith("bias_ih"):
                p[f] = float(value)
            elif name.startswith("bias_hh"):
                p[f] = 0.0


# ------------------------------------------------------------------------------------------------
# torch <-> NumPy reference


def _reference_class(arch: str):
    from lstm_vault import models

    return {"lstm": models.LSTM, "rnn": models.RNN, "gru": models.GRU}[arch]


def to_reference(model: SequenceModel):
    """-> (NumPy reference rnn, readout_weight (O, D*H) float64, readout_bias (O,) float64); exact copies."""
    rnn = _reference_class(model.arch).from_torch(model.rnn)
    weight = model.head.weight.detach().cpu().to(torch.float64).numpy().copy()
    bias = model.head.bias.detach().cpu().to(torch.float64).numpy().copy()
    return rnn, weight, bias


def from_reference(rnn, readout_weight: np.ndarray, readout_bias: np.ndarray) -> SequenceModel:
    """The torch model holding exactly the reference weights, in the reference's dtype (float64 stays so)."""
    readout_weight = np.asarray(readout_weight)
    readout_bias = np.asarray(readout_bias)
    D = 2 if rnn.bidirectional else 1
    O = readout_weight.shape[0]
    if readout_weight.shape != (O, D * rnn.hidden_size) or readout_bias.shape != (O,):
        raise ValueError(
            f"read-out shapes {readout_weight.shape} and {readout_bias.shape} do not fit hidden size "
            f"{rnn.hidden_size} x {D} direction(s); expected ({O}, {D * rnn.hidden_size}) and ({O},)"
        )
    model = SequenceModel(
        rnn.arch,
        rnn.input_size,
        rnn.hidden_size,
        O,
        num_layers=rnn.num_layers,
        bidirectional=rnn.bidirectional,
        forget_bias=None,
    )
    model.to(torch.float32 if rnn.dtype == np.float32 else torch.float64)
    with torch.no_grad():
        for name, p in model.rnn.named_parameters():
            if name not in rnn.params:
                raise ValueError(f"reference model has no parameter {name!r}")
            p.copy_(torch.from_numpy(np.asarray(rnn.params[name])))
        model.head.weight.copy_(torch.from_numpy(readout_weight))
        model.head.bias.copy_(torch.from_numpy(readout_bias))
    return model


# ------------------------------------------------------------------------------------------------
# losses


@dataclass(frozen=True)
class TensorBatch:
    """A task ``Batch`` as tensors on one device."""

    x: torch.Tensor  # (T, B, I) float
    y: torch.Tensor  # "last": (B, O) float or (B,) int64; "all": (T, B, O) float or (T, B) int64
    mask: torch.Tensor | None = None  # (T, B) bool; None = every step counts


def to_tensors(batch, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32) -> TensorBatch:
    """NumPy ``Batch`` -> ``TensorBatch`` on ``device`` (float arrays cast to ``dtype``)."""
    y = torch.as_tensor(batch.y)
    y = y.to(device, dtype) if y.is_floating_point() else y.to(device, torch.int64)
    mask = None if batch.mask is None else torch.as_tensor(batch.mask, dtype=torch.bool).to(device)
    return TensorBatch(x=torch.as_tensor(batch.x).to(device, dtype), y=y, mask=mask)


def task_loss(task, y_hat: torch.Tensor, batch) -> torch.Tensor:
    """Scalar loss of ``y_hat`` (T, B, O) on ``batch`` (``Batch`` or ``TensorBatch``), as the task defines it.

    ``mse``: mean squared error over outputs; ``ce``: cross-entropy on logits. Target ``last``: the final
    step only; ``all``: the mean over the steps the mask keeps.
    """
    if not isinstance(batch, TensorBatch):
        batch = to_tensors(batch, y_hat.device, y_hat.dtype)
    y, mask = batch.y, batch.mask
    if task.target == "last":
        last = y_hat[-1]  # (B, O)
        return F.mse_loss(last, y) if task.loss == "mse" else F.cross_entropy(last, y)
    T, B, O = y_hat.shape
    if task.loss == "mse":
        per_step = ((y_hat - y) ** 2).mean(dim=-1)  # (T, B)
    else:
        per_step = F.cross_entropy(y_hat.reshape(T * B, O), y.reshape(T * B), reduction="none").reshape(T, B)
    if mask is None:
        return per_step.mean()
    weights = mask.to(per_step.dtype)
    return (per_step * weights).sum() / weights.sum().clamp_min(1.0)
