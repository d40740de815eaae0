"""What a training run is asked to do: ``TrainConfig``, its checks, and the settings the Train page offers.

Imports neither torch nor streamlit, so the CLI can show its defaults and the app its form without loading
torch; :mod:`lstm_vault.training` runs a config.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

ARCH_NAMES = ("lstm", "rnn", "gru")  # torch_backend.ARCHS, without importing torch
ARCH_TITLES = {"lstm": "LSTM", "rnn": "RNN (tanh)", "gru": "GRU"}  # in the app's lists
ARCH_LABELS = {"lstm": "LSTM", "rnn": "RNN", "gru": "GRU"}  # a run's name on curves and in sentences
MAX_TRAIN_HIDDEN = 1024  # hidden units per layer a config accepts: beyond this a CPU run takes hours
CURVE_POINTS = 30  # the Train page validates often enough to draw at least this many points per curve


@dataclass(frozen=True)
class TrainConfig:
    """One training run. With these defaults an LSTM gets ``adding`` (length 100) below 1 % of the baseline's
    loss within 1000 steps (``assets/models/adding_lstm.npz``, a CPU run of a few tens of seconds)."""

    task: str = "adding"  # task registry name (lstm_vault.tasks)
    task_options: dict = field(default_factory=dict)  # options for get_task, e.g. {"length": 100}
    arch: str = "lstm"  # "lstm", "rnn" (tanh) or "gru"
    hidden_size: int = 32  # H, units per layer and direction
    num_layers: int = 1  # stacked recurrent layers
    bidirectional: bool = False  # each layer also reads the sequence backwards (outputs concatenated)
    batch_size: int = 64  # sequences per Adam step
    lr: float = 1e-2  # Adam learning rate
    steps: int = 3000  # Adam steps to run
    clip: float | None = 1.0  # max global gradient norm; None = no clipping
    seed: int = 0  # seeds the weights (torch) and the training batches (numpy Generator)
    eval_every: int = 50  # validate (and record a history row) every this many steps
    val_size: int = 512  # held-out sequences for validation
    device: str = "auto"  # "auto" (cuda when present), "cpu" or "cuda"
    max_seconds: float | None = None  # wall-clock budget in seconds; None = no limit
    forget_bias: float = 1.0  # LSTM forget-gate bias at init (ignored by rnn/gru)

    def check(self) -> None:
        """Raise ValueError naming the first bad field (the CLI and the app show the message as is)."""

        def bad(name, rule):
            raise ValueError(f"{name} {rule}, got {getattr(self, name)!r}")

        if self.arch not in ARCH_NAMES:
            bad("arch", f"must be one of {', '.join(ARCH_NAMES)}")
        if not isinstance(self.bidirectional, (bool, np.bool_)):
            bad("bidirectional", "must be true or false")
        for name, low, high in (
            ("hidden_size", 1, MAX_TRAIN_HIDDEN),
            ("num_layers", 1, 8),
            ("batch_size", 1, 1 << 16),
            ("steps", 1, 10**8),
            ("eval_every", 1, 10**8),
            ("val_size", 1, 1 << 16),
        ):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, np.integer))
                or not low <= value <= high
            ):
                bad(name, f"must be an integer in [{low}, {high}]")
        if (
            isinstance(self.seed, bool)
            or not isinstance(self.seed, (int, np.integer))
            or not 0 <= self.seed < 2**63
        ):
            bad("seed", "must be a non-negative integer")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and 0 < self.lr <= 10):
            bad("lr", "must be a number in (0, 10]")
        if self.clip is not None and not (math.isfinite(self.clip) and self.clip > 0):
            bad("clip", "must be a positive number (or None for no clipping)")
        if self.max_seconds is not None and not (self.max_seconds > 0):
            bad("max_seconds", "must be positive (or None for no limit)")
        if not math.isfinite(self.forget_bias):
            bad("forget_bias", "must be a finite number")
        if self.device not in ("auto", "cpu", "cuda") and not str(self.device).startswith("cuda:"):
            bad("device", "must be auto, cpu or cuda")

    def to_dict(self) -> dict:
        return asdict(self)


# ------------------------------------------------------------------------------------------------
# the settings the Train page offers


def bound_text(value: int | float) -> str:
    """A widget's bound as its help says it: "20,000", "2,147,483,647", "1e-05", "0.5"."""
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


@dataclass(frozen=True)
class Setting:
    """One number of the Train page's form: a ``TrainConfig`` field, with the range a CPU run can afford."""

    name: str  # the TrainConfig field
    label: str
    help: str
    low: int | float
    high: int | float
    step: int | float
    format: str | None = None  # the widget's printf format; None = Streamlit's for the type

    @property
    def default(self) -> int | float:
        value = getattr(TrainConfig(), self.name)
        return type(self.low)(value)  # clip's None ("no clipping") never is a default here

    @property
    def help_text(self) -> str:
        return f"{self.help} ({bound_text(self.low)} to {bound_text(self.high)})"

    def parse(self, text: str) -> int | float:
        """A link's text as the value the setting's widget takes from it, as Streamlit's number input does
        (an integer drops its fraction); ValueError when the widget would ignore it."""
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(text)
        value = int(value) if isinstance(self.low, int) else value
        if not self.low <= value <= self.high:
            raise ValueError(text)
        return value

    def link_warning(self, param: str, text: str) -> str:
        """What a page says when a link's ``param`` holds ``text``, which is not a value of this setting."""
        return (
            f"link parameter {param}={text!r} ignored: {self.name.replace('_', ' ')} must be a number from "
            f"{bound_text(self.low)} to {bound_text(self.high)}"
        )


# beyond these bounds a CPU run takes hours or the optimiser is sure to blow up
SETTINGS = (
    Setting("hidden_size", "hidden size H", "units in the recurrent layer", 1, 256, 1),
    Setting("steps", "steps", "Adam steps per model", 10, 20_000, 100),
    Setting("batch_size", "batch size", "sequences per step", 1, 1024, 1),
    Setting("lr", "learning rate", "Adam's step size; too large and the loss can diverge", 1e-5, 1.0, 1e-3,
            "%.4g"),
    Setting("clip", "gradient clip", "largest gradient norm per step; 0 = no clipping", 0.0, 100.0, 0.5,
            "%.2f"),
    Setting("seed", "seed", "same seed, same starting weights and batches", 0, 2**31 - 1, 1),
)  # fmt: skip
LARGE_LR = 0.1  # above this Adam's steps are large enough to make the loss jump or diverge


def configs_for(task, archs, values: dict, max_seconds: float | None = None) -> list[TrainConfig]:
    """One checked config per architecture for ``task`` (a ``lstm_vault.tasks.Task``) and the form's
    ``values`` (by ``SETTINGS`` name, and optionally ``num_layers`` and ``bidirectional`` from
    ``STRUCTURE``; clip 0 = no clipping). It validates often enough to draw
    ``CURVE_POINTS`` points. ValueError: no architecture, or the first bad value, named."""
    if not archs:
        raise ValueError("pick at least one architecture to train")
    steps = int(values["steps"])
    configs = [
        TrainConfig(
            task=task.name,
            task_options=task.options(),
            arch=arch,
            hidden_size=int(values["hidden_size"]),
            num_layers=int(values.get("num_layers", 1)),
            bidirectional=bool(values.get("bidirectional", False)),
            batch_size=int(values["batch_size"]),
            lr=float(values["lr"]),
            steps=steps,
            clip=float(values["clip"]) or None,
            seed=int(values["seed"]),
            eval_every=max(1, min(TrainConfig.eval_every, steps // CURVE_POINTS)),
            max_seconds=max_seconds,
        )
        for arch in archs
    ]
    for config in configs:
        config.check()
    return configs


def settings_notes(values: dict) -> tuple[str, ...]:
    """Warnings about settings that are allowed but risky, shown while the run goes."""
    if values["lr"] > LARGE_LR:
        return (f"A learning rate of {values['lr']:g} is large: the loss can jump or diverge.",)
    return ()


# ------------------------------------------------------------------------------------------------
# the layer structure the Train page offers: stacked layers and directions

LAYER_CHOICES = (1, 2, 3)  # stacked layers the Train page offers (a config takes up to 8)
BIDIRECTIONAL_NOTE = (
    "A bidirectional model also reads each sequence backwards: at step t its reverse direction has already "
    "read every input after t. This task scores a prediction at every step, so where the answer at t is a "
    "later input (the next character, say), the model can read it instead of predicting it."
)


def structure_notes(task, bidirectional: bool) -> tuple[str, ...]:
    """Warnings about a structure that is allowed but can mislead on ``task``, shown while the run goes."""
    return (BIDIRECTIONAL_NOTE,) if bidirectional and task.target == "all" else ()
